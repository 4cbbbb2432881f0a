/**
 * The all-in-one mode's footprint, as users run it (`npm start`'s launcher):
 *  - time from spawn to "CodeWarden ready" on a new data directory (PGlite runs initdb) and on
 *    a restart, against a bare `node -e ''` start in the same run;
 *  - resident memory after ingesting 1,000 errors (OTLP protobuf, 100 requests of 10
 *    exceptions over 50 distinct issues) into the restarted process, against the same
 *    process's RSS right after ready.
 *
 * Run: npm run bench:footprint   (prints a JSON line with the figures and ratios)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { api, eventually, freePort, LAUNCHER, spawnProcess } from "../../test/e2e/harness";

const ERRORS = 1000;
const PER_REQUEST = 10;
const DISTINCT = 50;

function rssMiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function bareNodeStartMs(): number {
  const runs = 5;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) execFileSync(process.execPath, ["-e", ""]);
  return (performance.now() - t0) / runs;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "cw-bench-"));
  const ingestKey = `cw_ik_bench_${randomBytes(12).toString("hex")}`;
  const apiToken = `cw_at_bench_${randomBytes(12).toString("hex")}`;
  const webPort = await freePort();
  const collectorPort = await freePort();
  const launch = async () => {
    const t0 = performance.now();
    const app = spawnProcess(LAUNCHER[0], [...LAUNCHER[1]], {
      CODEWARDEN_DATA_DIR: dir,
      WEB_PORT: String(webPort),
      COLLECTOR_PORT: String(collectorPort),
      CODEWARDEN_BOOTSTRAP_INGEST_KEY: ingestKey,
      CODEWARDEN_BOOTSTRAP_API_TOKEN: apiToken,
      CODEWARDEN_LOG_FORMAT: "json",
    });
    await app.waitFor(/CodeWarden ready/, 120_000);
    return { app, readyMs: performance.now() - t0 };
  };
  const first = await launch();
  const rssFirstReady = rssMiB(first.app.child.pid!);
  if ((await first.app.stop()) !== 0) throw new Error("the first start did not stop cleanly");
  const { app, readyMs } = await launch();
  try {
    const pid = app.child.pid!;
    const rssReady = rssMiB(pid);

    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "bench", "telemetry.sdk.language": "nodejs" }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer("bench");
    const ingestStart = performance.now();
    for (let r = 0; r < ERRORS / PER_REQUEST; r++) {
      exporter.reset();
      for (let i = 0; i < PER_REQUEST; i++) {
        const n = r * PER_REQUEST + i;
        const span = tracer.startSpan(`GET /items/${n}`);
        const err = new Error(`item ${n} failed`);
        err.name = `BenchError${n % DISTINCT}`;
        span.recordException(err);
        span.end();
      }
      const res = await fetch(`http://127.0.0.1:${collectorPort}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${ingestKey}` },
        body: ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()),
      });
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
    }
    const client = api(webPort, apiToken);
    await eventually(
      async () => (await client.issues()).reduce((n, i) => n + i.eventCount, 0) >= ERRORS,
      120_000,
      `${ERRORS} stored events`,
    );
    const ingestMs = performance.now() - ingestStart;
    const rssAfter = rssMiB(pid);
    const bareMs = bareNodeStartMs();
    const result = {
      bench: "allinone-footprint",
      firstStartToReadyMs: Math.round(first.readyMs),
      restartToReadyMs: Math.round(readyMs),
      bareNodeStartMs: Math.round(bareMs),
      restartRatioVsBareNode: +(readyMs / bareMs).toFixed(1),
      rssAtFirstReadyMiB: +rssFirstReady.toFixed(1),
      rssAtReadyMiB: +rssReady.toFixed(1),
      rssAfter1000ErrorsMiB: +rssAfter.toFixed(1),
      rssRatioAfterVsReady: +(rssAfter / rssReady).toFixed(2),
      ingestAndStore1000ErrorsMs: Math.round(ingestMs),
    };
    console.log(JSON.stringify(result));
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
