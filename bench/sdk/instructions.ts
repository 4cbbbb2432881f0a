/**
 * The SDK's cost as CPU instructions per request: bench/sdk/app.mjs run under valgrind (cachegrind, no cache
 * simulation), which counts every instruction the app's process executes in user space, JIT-compiled code
 * included. Unlike requests/s on a shared 2-core machine, the count hardly moves from run to run, so it
 * shows what the SDK adds where timing cannot (docs/BENCHMARKS.md, SDK overhead). It is reported twice:
 * all instructions (up to 2–3% of a request apart between two runs of the same app, from when V8's garbage
 * collector and optimising compiler happen to run), and without those two (up to 0.8% apart; cachegrind.ts).
 *
 * Three apps, each the same file:
 *   plain     node bench/sdk/app.mjs
 *   als-only  node --import bench/sdk/als-only.mjs bench/sdk/app.mjs   (AsyncLocalStorage.run per request:
 *             the context propagation any OpenTelemetry SDK does, nothing else)
 *   sdk       node --import @codewarden/sdk-otel/register bench/sdk/app.mjs   (defaults, as in run.ts)
 * Each app is started twice and sent `--warmup` requests, then `--warmup + --requests`; the difference of
 * the two totals over `--requests` is the steady-state count per request (start-up and JIT warm-up cancel).
 * The SDK exports to a local sink in this process (an OTLP/HTTP endpoint that answers 200): what the SDK
 * does to export is counted, the receiver is not. Kernel time (the socket writes) is not counted either.
 * By default no request goes to the error route: the SDK exports on a timer (batch processors), and under
 * valgrind, which runs the app ~30× slower, a captured error gets an export of its own where a real run
 * batches dozens, so errors would count ~30× too much. `--error-every N` includes them anyway.
 *
 * Needs valgrind (`apt-get install -y valgrind`). Run:
 *   npm run bench:sdk:instructions [-- --app memory|express|express5|koa|fastify --app-node PATH --requests 20000
 *                                      --warmup 5000 --error-every 0 --variants plain,als-only,sdk --keep DIR]
 * With `--keep DIR` the cachegrind outputs stay in DIR (`<variant>-<requests>.out`), for
 * `node --import tsx bench/sdk/cachegrind-diff.ts` to say which functions the extra instructions ran in.
 * Exit 1 if valgrind is missing or an app fails. The last line is JSON.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { removeTempDir, tempDir } from "../lib/children";
import { envArgs, intArg, runMain } from "../lib/cli";
import { fmt } from "../lib/stats";
import { instructionsByFunction, isGcOrCompiler } from "./cachegrind";
import { LoadGenerator } from "./load";
import {
  ALS_ONLY,
  ensureSdkBuild,
  frameworkOfApp,
  SERVICE_NAME,
  sdkDistBuiltAt,
  startApp,
  stopApp,
} from "./processes";

const { values: args } = parseArgs({
  options: {
    app: { type: "string", default: "memory" },
    "app-node": { type: "string" },
    requests: { type: "string", default: "20000" },
    warmup: { type: "string", default: "5000" },
    "error-every": { type: "string", default: "0" },
    connections: { type: "string", default: "10" },
    variants: { type: "string", default: "plain,als-only,sdk" },
    keep: { type: "string" },
    "node-flag": { type: "string", multiple: true, default: [] },
    "sdk-env": { type: "string", multiple: true, default: [] },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:sdk:instructions -- [options]
  --app memory|express|express5|koa|fastify   the app (default memory; postgres is not offered: the database's work is
                                  in another process and would not be counted)
  --app-node PATH       Node.js binary for the apps (default: this one)
  --requests N          requests counted per app (default 20000)
  --warmup N            requests before counting (default 5000)
  --error-every N       one request in N goes to the error route (default 0: none; see below)
  --connections N       concurrent connections (default 10)
  --variants LIST       which of plain,als-only,sdk to run (default all three)
  --keep DIR            keep the cachegrind outputs in DIR (<variant>-<requests>.out)
  --node-flag FLAG      a Node.js option for every variant, repeatable (e.g. --node-flag=--experimental-async-context-frame
                        on Node.js 22)
  --sdk-env K=V         extra environment for the SDK variant, repeatable (e.g. OTEL_TRACES_EXPORTER=none)`);
  process.exit(0);
}

// postgres is not offered: the database's work is in another process and would not be counted.
const framework = frameworkOfApp(args.app, ["memory"]);
const requests = intArg("requests", args.requests, 1000, 10_000_000);
const warmup = intArg("warmup", args.warmup, 0, 10_000_000);
const errorEvery = intArg("error-every", args["error-every"], 0, 1_000_000);
const connections = intArg("connections", args.connections, 1, 1000);
const sdkEnv = envArgs("sdk-env", args["sdk-env"]);

type Variant = "plain" | "als-only" | "sdk";
const ALL_VARIANTS: Variant[] = ["plain", "als-only", "sdk"];
const VARIANTS = (args.variants ?? "").split(",").map((v) => v.trim()) as Variant[];
for (const v of VARIANTS)
  if (!ALL_VARIANTS.includes(v)) throw new Error(`--variants: ${v} is not one of ${ALL_VARIANTS.join(", ")}`);
if (VARIANTS.length === 0) throw new Error("--variants: none given");

function valgrindVersion(): string {
  try {
    return execFileSync("valgrind", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("valgrind is not installed: apt-get install -y valgrind");
  }
}

/** An OTLP/HTTP endpoint that reads each export and answers 200 (empty body: full success). */
async function startSink(): Promise<{ url: string; server: Server; exports: () => number }> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      count++;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("sink did not listen");
  return { url: `http://127.0.0.1:${address.port}`, server, exports: () => count };
}

interface Count {
  /** Every instruction (cachegrind's `summary:` line). */
  total: number;
  /** Those in V8's garbage collector and compilers (see cachegrind.ts, isGcOrCompiler). */
  gcOrCompiler: number;
}

/** The instructions cachegrind counted for the process. */
function instructionsIn(dir: string, keepAs?: string): Count {
  const files = readdirSync(dir).filter((f) => f.startsWith("cachegrind.out"));
  if (files.length !== 1) throw new Error(`expected one cachegrind output in ${dir}, found ${files.length}`);
  if (keepAs) copyFileSync(join(dir, files[0]!), keepAs);
  const text = readFileSync(join(dir, files[0]!), "utf8");
  const line = text.split("\n").find((l) => l.startsWith("summary:"));
  const n = Number(line?.slice("summary:".length).trim().split(/\s+/)[0]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`no instruction summary in ${files[0]}`);
  let gcOrCompiler = 0;
  for (const [fn, count] of instructionsByFunction(join(dir, files[0]!)))
    if (isGcOrCompiler(fn)) gcOrCompiler += count;
  return { total: n, gcOrCompiler };
}

/** Starts the variant under cachegrind, sends `amount` requests, stops it; its instruction total. */
async function countRun(variant: Variant, amount: number, sinkUrl: string): Promise<Count> {
  const dir = tempDir("cw-bench-instr-");
  try {
    const app = await startApp({
      node: args["app-node"],
      framework,
      wrapper: [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--smc-check=all-non-file",
        `--cachegrind-out-file=${join(dir, "cachegrind.out.%p")}`,
      ],
      imports: variant === "als-only" ? [ALS_ONLY] : [],
      nodeFlags: args["node-flag"],
      sdk:
        variant === "sdk"
          ? { collectorUrl: sinkUrl, ingestKey: "cw_bench_instructions", env: sdkEnv }
          : undefined,
      startTimeoutMs: 180_000,
    });
    const gen = new LoadGenerator(connections, errorEvery);
    const load = await gen.run(app.url, 3600, amount, 60);
    if (load.unexpected > 0 || load.errors > 0)
      throw new Error(`${variant}: ${load.unexpected} unexpected statuses, ${load.errors} connection errors`);
    const exit = await stopApp(app, 120_000);
    if (exit !== 0) throw new Error(`${variant}: the app exited with ${exit}\n${app.proc.output()}`);
    const keep = args.keep;
    if (keep) mkdirSync(keep, { recursive: true });
    return instructionsIn(dir, keep ? join(keep, `${variant}-${amount}.out`) : undefined);
  } finally {
    removeTempDir(dir);
  }
}

async function main(): Promise<void> {
  const valgrind = valgrindVersion();
  ensureSdkBuild();
  const sink = await startSink();
  const node = args["app-node"] ?? process.execPath;
  const appNode = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
  console.log(
    `${valgrind}; app on Node.js ${appNode}; --app ${args.app}; ${fmt(warmup)} warm-up + ${fmt(requests)} counted requests per app, ${errorEvery ? `1 in ${errorEvery}` : "none"} to the error route`,
  );
  const perRequest: Partial<Record<Variant, number>> = {};
  const withoutGc: Partial<Record<Variant, number>> = {};
  for (const variant of VARIANTS) {
    console.log(`${variant}: ${fmt(warmup)} requests, then ${fmt(warmup + requests)} …`);
    const before = await countRun(variant, warmup, sink.url);
    const after = await countRun(variant, warmup + requests, sink.url);
    perRequest[variant] = Math.round((after.total - before.total) / requests);
    withoutGc[variant] = Math.round(
      (after.total - after.gcOrCompiler - (before.total - before.gcOrCompiler)) / requests,
    );
  }
  sink.server.close();

  const report = (title: string, counts: Partial<Record<Variant, number>>) => {
    const { plain, sdk } = counts;
    const als = counts["als-only"];
    console.log(`\n${title}`);
    for (const variant of VARIANTS) {
      const n = counts[variant] ?? 0;
      const added =
        variant === "plain" || plain === undefined
          ? ""
          : `  +${fmt(n - plain)} (+${fmt(((n - plain) / plain) * 100, 1)}%)`;
      console.log(`  ${variant.padEnd(9)} ${fmt(n).padStart(9)}${added}`);
    }
    if (sdk !== undefined && als !== undefined)
      console.log(`  the SDK beyond AsyncLocalStorage.run: +${fmt(sdk - als)} per request`);
    return {
      ratioPlainToSdk: plain !== undefined && sdk !== undefined ? Number((plain / sdk).toFixed(3)) : null,
      sdkBeyondAlsOnly: sdk !== undefined && als !== undefined ? sdk - als : null,
    };
  };
  const all = report("instructions per request (user space, steady state)", perRequest);
  const steady = report(
    "the same without V8's garbage collector and compilers (steadier from run to run; see cachegrind.ts)",
    withoutGc,
  );
  if (perRequest.sdk !== undefined) console.log(`the SDK exported ${sink.exports()} times to the sink`);
  console.log(
    JSON.stringify({
      bench: "sdk-instructions",
      machine: { node: process.version, appNode, valgrind },
      config: {
        app: args.app,
        requests,
        warmup,
        errorEvery,
        connections,
        nodeFlags: args["node-flag"],
        sdkEnv,
        serviceName: SERVICE_NAME,
      },
      sdkDistBuiltAt: sdkDistBuiltAt(),
      instructionsPerRequest: perRequest,
      ...all,
      withoutGcAndCompilers: { instructionsPerRequest: withoutGc, ...steady },
    }),
  );
}

runMain(main);
