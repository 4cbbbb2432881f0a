/**
 * OpenObserve fan-out against local stub servers: identical bytes and headers reach a healthy
 * destination; a destination that never answers, or a closed port, neither slows nor fails
 * ingest, and drops and failures are counted in /metrics.
 */
import { gzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startTestCollector, type TestCollector } from "../../test/all-in-one";
import { send } from "../../test/http";
import {
  jsonLogs,
  protobufTraces,
  recordLogs,
  recordSpans,
  typicalLogs,
  typicalTrace,
} from "../../test/otel-data";
import { closedPort, type StubServer, startStubServer } from "../../test/stub-server";
import type { OpenObserveConfig } from "../config";
import { createForwarder } from "./forwarder";
import type { FanoutTuning } from "./openobserve";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function collectorTo(
  openobserve: OpenObserveConfig,
  fanout: FanoutTuning = {},
): Promise<TestCollector> {
  const c = await startTestCollector({ openobserve }, { fanout: { closeDeadlineMs: 200, ...fanout } });
  cleanups.push(() => c.close());
  return c;
}

async function stub(answer: "ok" | "never"): Promise<StubServer> {
  const s = await startStubServer(answer);
  cleanups.push(() => s.close());
  return s;
}

/** The value of one fan-out counter in /metrics (0 when absent). */
async function fanoutCount(c: TestCollector, result: string, signal: string): Promise<number> {
  const m = new RegExp(
    `codewarden_collector_fanout_total\\{result="${result}",signal="${signal}"\\} (\\d+)`,
  ).exec(await c.metrics());
  return m ? Number(m[1]) : 0;
}

/** Polls until `check` holds (bounded; well inside the tests' own timeout). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Real sockets and a collector per test: on a loaded 2-core machine (CI runs every suite in parallel)
// a test takes more than the unit project's default 5 s.
describe("OpenObserve fan-out", { timeout: 30_000 }, () => {
  it("forwards each accepted request as received, with its content type and encoding, to /api/{org}/v1/{signal}", async () => {
    const o2 = await stub("ok");
    const c = await collectorTo({ url: `${o2.url}/`, org: "acme", authorization: "Basic cm9vdDpwYXNz" });
    const traces = gzipSync(protobufTraces(await recordSpans(typicalTrace)));
    const logs = jsonLogs(await recordLogs(typicalLogs));
    const t = await send(`${c.base}/v1/traces`, {
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip", ...c.auth() },
      body: traces,
    });
    const l = await send(`${c.base}/v1/logs`, {
      headers: { "content-type": "application/json; charset=utf-8", ...c.auth() },
      body: logs,
    });
    expect([t.status, l.status]).toEqual([200, 200]);
    // Neither a rejected nor an unauthenticated request is forwarded.
    const bad = await send(`${c.base}/v1/logs`, {
      headers: { "content-type": "application/json" },
      body: logs,
    });
    expect(bad.status).toBe(401);

    await o2.waitFor(2);
    const byPath = Object.fromEntries(o2.requests.map((r) => [r.url, r]));
    expect(Object.keys(byPath).sort()).toEqual(["/api/acme/v1/logs", "/api/acme/v1/traces"]);
    const ft = byPath["/api/acme/v1/traces"]!;
    expect(ft.method).toBe("POST");
    expect(ft.body.equals(traces)).toBe(true);
    expect(ft.headers).toMatchObject({
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
      authorization: "Basic cm9vdDpwYXNz",
    });
    const fl = byPath["/api/acme/v1/logs"]!;
    expect(fl.body.equals(Buffer.from(logs))).toBe(true);
    expect(fl.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(fl.headers["content-encoding"]).toBeUndefined();
    expect(fl.headers["x-codewarden-key"]).toBeUndefined();
    await eventually(async () => (await fanoutCount(c, "sent", "traces")) === 1);
    expect(await fanoutCount(c, "sent", "logs")).toBe(1);
    await c.queue.drain();
  });

  it("a destination that never answers neither slows nor fails ingest; overflow is dropped and counted", async () => {
    const o2 = await stub("never");
    const c = await collectorTo(
      { url: o2.url, org: "default", authorization: null },
      { concurrency: 2, maxQueueRequests: 3, timeoutMs: 60_000 },
    );
    const body = protobufTraces(await recordSpans(typicalTrace));
    const headers = { "content-type": "application/x-protobuf", ...c.auth() };
    const started = performance.now();
    for (let i = 0; i < 20; i++)
      expect((await send(`${c.base}/v1/traces`, { headers, body })).status).toBe(200);
    const elapsed = performance.now() - started;
    // All 20 answered while the destination had answered none of its requests.
    await o2.waitFor(2);
    expect(elapsed).toBeLessThan(15_000); // a quarter of one send's timeout: no request waited for one
    // 2 sends in flight, 3 queued, the other 15 dropped.
    expect(await fanoutCount(c, "dropped", "traces")).toBe(15);
    expect(await fanoutCount(c, "sent", "traces")).toBe(0);
    expect(await c.metrics()).toMatch(/codewarden_collector_fanout_queue_bytes [1-9]\d*\n/);
    await c.queue.drain();
  });

  it("sends that time out are counted as failures, without retries", async () => {
    const o2 = await stub("never");
    const c = await collectorTo({ url: o2.url, org: "default", authorization: null }, { timeoutMs: 100 });
    const body = jsonLogs(await recordLogs(typicalLogs));
    const res = await send(`${c.base}/v1/logs`, {
      headers: { "content-type": "application/json", ...c.auth() },
      body,
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await fanoutCount(c, "failed", "logs")) === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(o2.requests).toHaveLength(1); // not retried
    await c.queue.drain();
  });

  it("a closed port fails fast, is counted, and ingest goes on", async () => {
    const port = await closedPort();
    const c = await collectorTo({ url: `http://127.0.0.1:${port}`, org: "default", authorization: null });
    const body = protobufTraces(await recordSpans(typicalTrace));
    for (let i = 0; i < 3; i++) {
      const res = await send(`${c.base}/v1/traces`, {
        headers: { "content-type": "application/x-protobuf", ...c.auth() },
        body,
      });
      expect(res.status).toBe(200);
    }
    await eventually(async () => (await fanoutCount(c, "failed", "traces")) === 3);
    await c.queue.drain();
  });
});

describe("forwarder", { timeout: 30_000 }, () => {
  it("bounds its buffer in bytes, and on close drops what is queued and aborts what is in flight", async () => {
    const o2 = await stub("never");
    const results: string[] = [];
    const forwarder = createForwarder({
      endpoint: (signal) => `${o2.url}/${signal}`,
      maxQueueBytes: 1000,
      concurrency: 1,
      timeoutMs: 60_000,
      onResult: (r) => results.push(r),
      logger: pino({ level: "silent" }),
    });
    const req = (size: number) => ({
      signal: "logs" as const,
      body: Buffer.alloc(size),
      contentType: "application/json",
    });
    forwarder.forward(req(600)); // sent at once (in flight, never answered)
    await o2.waitFor(1);
    forwarder.forward(req(600)); // queued
    forwarder.forward(req(600)); // over 1000 queued bytes: dropped
    expect(results).toEqual(["dropped"]);
    expect(forwarder.queuedBytes).toBe(600);
    await forwarder.close(50);
    expect(results.sort()).toEqual(["dropped", "dropped", "failed"]);
    forwarder.forward(req(1)); // after close
    expect(results.filter((r) => r === "dropped")).toHaveLength(3);
  });
});
