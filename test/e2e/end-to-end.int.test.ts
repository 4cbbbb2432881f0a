/**
 * The whole path, as users run it: `npm start`'s launcher, an app instrumented with our SDK
 * or with the official OpenTelemetry SDK, and assertions through the public REST API.
 * Runs once in the all-in-one mode (PGlite, in-process queue) and once scaled out (real
 * Postgres, real Redis/BullMQ, the worker as a separate Bun process).
 */
import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { join } from "node:path";
import { SpanStatusCode } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, freePort, LAUNCHER, ROOT, type Spawned, spawnProcess } from "./harness";
import { launcherModes } from "./launcher-modes";

const INGEST_KEY = `cw_ik_e2e_${randomBytes(12).toString("hex")}`;
const API_TOKEN = `cw_at_e2e_${randomBytes(12).toString("hex")}`;

const modes = launcherModes("e2e");

describe.each(modes)("end to end, $name", (mode) => {
  let env: Record<string, string>;
  let app: Spawned;
  let webPort: number;
  let collectorPort: number;
  const client = () => api(webPort, API_TOKEN);

  const startLauncher = async () => {
    const launcher = spawnProcess(LAUNCHER[0], [...LAUNCHER[1]], env);
    await launcher.waitFor(/CodeWarden ready/, 90_000);
    return launcher;
  };

  beforeAll(async () => {
    webPort = await freePort();
    collectorPort = await freePort();
    env = {
      ...(await mode.env()),
      WEB_PORT: String(webPort),
      COLLECTOR_PORT: String(collectorPort),
      CODEWARDEN_BOOTSTRAP_INGEST_KEY: INGEST_KEY,
      CODEWARDEN_BOOTSTRAP_API_TOKEN: API_TOKEN,
      CODEWARDEN_LOG_FORMAT: "json",
    };
    app = await startLauncher();
  });

  afterAll(async () => {
    await app?.stop();
    await mode.cleanup();
  });

  it("prints the bootstrap values and the endpoint once at start", () => {
    expect(app.output()).toContain(`Ingest key:     ${INGEST_KEY}`);
    expect(app.output()).toContain(`API token:      ${API_TOKEN}`);
    expect(app.output()).toContain(`OTLP endpoint:  http://127.0.0.1:${collectorPort}`);
  });

  if (mode.name === "scale-out") {
    it("runs the worker as a separate Bun process", () => {
      const m = app.output().match(/"workerPid":(\d+)/);
      expect(m).not.toBeNull();
      expect(readlinkSync(`/proc/${m![1]}/exe`)).toMatch(/bun/);
    });
  }

  it("turns an app's exceptions (via @codewarden/sdk-otel) into three issues with the right counts and frames", async () => {
    const sdkApp = spawnProcess(process.execPath, [join(ROOT, "test", "e2e", "fixtures", "sdk-app.mjs")], {
      CODEWARDEN_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      CODEWARDEN_INGEST_KEY: INGEST_KEY,
    });
    // The last error is uncaught: the SDK flushes it, then the process exits with Node's usual code.
    expect(await sdkApp.exited(30_000)).toBe(1);
    expect(sdkApp.output()).toContain("SyntaxError");

    const issues = await eventually(
      async () => {
        const list = (await client().issues()).filter((i) => i.services.includes("checkout-api"));
        const total = list.reduce((n, i) => n + i.eventCount, 0);
        // Summaries are written just after the events are committed.
        return list.length >= 3 && total >= 6 && list.every((i) => i.summary) ? list : null;
      },
      45_000,
      "three issues from checkout-api",
    );
    expect(issues).toHaveLength(3);
    const byType = Object.fromEntries(issues.map((i) => [i.exceptionType, i]));
    expect(byType.TypeError?.eventCount).toBe(3);
    expect(byType.PaymentDeclinedError?.eventCount).toBe(2);
    expect(byType.SyntaxError?.eventCount).toBe(1);
    for (const issue of issues) {
      expect(issue.environments).toEqual(["e2e"]);
      expect(issue.status).toBe("unresolved");
      expect(issue.summary?.source).toBe("heuristic");
    }
    expect(byType.PaymentDeclinedError?.message).toMatch(/^card declined for order 100[01]$/);

    const expectFrame = async (issueId: string, fn: string) => {
      const { events } = await client().get<{
        events: Array<{
          frames: Array<{ function: string | null; file: string | null; inApp: boolean }>;
          traceId: string | null;
          serviceVersion: string | null;
        }>;
      }>(`/api/v1/issues/${issueId}/events?limit=10`);
      expect(events.length).toBeGreaterThan(0);
      const frame = events[0]!.frames.find((f) => f.function === fn);
      expect(frame, `frame ${fn} in ${JSON.stringify(events[0]!.frames)}`).toBeDefined();
      expect(frame!.inApp).toBe(true);
      expect(frame!.file).toMatch(/sdk-app\.mjs$/);
      expect(events[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(events[0]!.serviceVersion).toBe("1.4.2");
    };
    await expectFrame(byType.TypeError!.id, "loadUser");
    await expectFrame(byType.PaymentDeclinedError!.id, "chargeCard");
    await expectFrame(byType.SyntaxError!.id, "parseSettings");

    const detail = await client().get<ApiIssueDetail>(`/api/v1/issues/${byType.TypeError!.id}`);
    expect(detail.id).toBe(byType.TypeError!.id);
    expect(detail.latestEvent?.exceptionType).toBe("TypeError");
  });

  it("accepts the official OpenTelemetry JS SDK configured only by OTEL_EXPORTER_OTLP_* variables (protobuf)", async () => {
    const otelApp = spawnProcess(process.execPath, [join(ROOT, "test", "e2e", "fixtures", "otel-app.mjs")], {
      OTEL_SERVICE_NAME: "inventory-svc",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${INGEST_KEY}`,
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
    });
    expect(await otelApp.exited(30_000)).toBe(0);
    const issue = await eventually(
      async () =>
        (await client().issues()).find((i) => i.services.includes("inventory-svc") && i.eventCount >= 2),
      45_000,
      "the RangeError issue from inventory-svc",
    );
    expect(issue.exceptionType).toBe("RangeError");
    expect(issue.eventCount).toBe(2);
    expect(issue.culprit ?? "").toContain("reserveInventory");
  });

  it("does not double-count the same OTLP request sent twice", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "retry-svc", "telemetry.sdk.language": "nodejs" }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer("e2e");
    const span = tracer.startSpan("GET /orders/:id");
    const err = new Error("order lookup failed");
    err.name = `RetryProbe${randomBytes(3).toString("hex")}`;
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans());
    expect(body).toBeDefined();
    exporter.reset();

    const post = async (bytes: Uint8Array) => {
      const res = await fetch(`http://127.0.0.1:${collectorPort}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${INGEST_KEY}` },
        body: bytes,
      });
      expect(res.status).toBe(200);
    };
    await post(body!);
    await post(body!);

    // A marker sent after both copies: once it is stored, both copies have been processed.
    const marker = tracer.startSpan("marker");
    const markerErr = new Error("marker");
    markerErr.name = `${err.name}Marker`;
    marker.recordException(markerErr);
    marker.end();
    await provider.forceFlush();
    await post(ProtobufTraceSerializer.serializeRequest([...exporter.getFinishedSpans()])!);
    await provider.shutdown();

    await eventually(
      async () => (await client().issues()).find((i) => i.exceptionType === markerErr.name),
      30_000,
      "the marker issue",
    );
    const probe = (await client().issues()).find((i) => i.exceptionType === err.name);
    expect(probe?.eventCount).toBe(1);
    const { events } = await client().get<{ events: unknown[] }>(`/api/v1/issues/${probe!.id}/events`);
    expect(events).toHaveLength(1);
  });

  it("stops cleanly on SIGTERM and keeps its data across a restart", async () => {
    const before = await client().issues();
    expect(await app.stop()).toBe(0);
    app = await startLauncher();
    const after = await client().issues();
    expect(after.map((i) => [i.id, i.eventCount]).sort()).toEqual(
      before.map((i) => [i.id, i.eventCount]).sort(),
    );
    // Bootstrap values are not re-created or re-printed as new on restart.
    expect(app.output()).toContain(`Ingest key:     ${INGEST_KEY}`);
  });
});

interface ApiIssueDetail {
  id: string;
  latestEvent: { exceptionType: string } | null;
}
