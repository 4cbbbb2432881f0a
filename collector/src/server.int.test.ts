import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { errorBatchJobSchema, generateSecret, INGEST_KEY_PREFIX, JOB_ERROR_BATCH } from "@codewarden/common";
import { ensureBootstrap } from "@codewarden/drizzle";
import { ExportResultCode } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import pino from "pino";
import protobuf from "protobufjs/minimal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { gzipBomb, send } from "../test/http";
import { protobufTraces, recordLogs, recordSpans, typicalLogs, typicalTrace } from "../test/otel-data";
import type { CollectorConfig } from "./config";
import { type BullmqErrorQueue, createBullmqErrorQueue } from "./queue/bullmq";
import { type RunningCollector, startCollector } from "./server";

const logger = pino({ level: "silent" });
const MAX_BODY = 1024 * 1024;

let testDb: TestDatabase;
let queue: BullmqErrorQueue;
let collector: RunningCollector;
let base: string;
let ingestKey: string;
let projectId: string;

const config = (over: Partial<CollectorConfig> = {}): CollectorConfig => ({
  port: 0,
  host: "127.0.0.1",
  dataDir: "unused",
  queuePrefix: `cwtest-${randomBytes(4).toString("hex")}`,
  maxBodyBytes: MAX_BODY,
  ...over,
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  ingestKey = generateSecret(INGEST_KEY_PREFIX);
  const boot = await ensureBootstrap(testDb.handle.db, { adminEmail: "admin@localhost", ingestKey });
  projectId = boot.projectId;
  const cfg = config();
  queue = createBullmqErrorQueue({ redisUrl: "redis://127.0.0.1:6379", prefix: cfg.queuePrefix, logger });
  collector = await startCollector(cfg, { db: testDb.handle.db, queue, logger });
  base = `http://127.0.0.1:${collector.port}`;
});

afterAll(async () => {
  await collector?.close();
  await queue?.queue.obliterate({ force: true });
  await queue?.close();
  await testDb?.drop();
});

async function jobs() {
  return queue.queue.getJobs(["waiting", "active", "completed", "failed", "delayed"]);
}

/** Decodes a google.rpc.Status protobuf body (field 1 code, field 2 message). */
function decodeStatus(bytes: Uint8Array): { code: number; message: string } {
  const r = protobuf.Reader.create(bytes);
  const out = { code: 0, message: "" };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) out.code = r.int32();
    else if (tag >>> 3 === 2) out.message = r.string();
    else r.skipType(tag & 7);
  }
  return out;
}

const protoHeaders = (extra: Record<string, string> = {}) => ({
  "content-type": "application/x-protobuf",
  authorization: `Bearer ${ingestKey}`,
  ...extra,
});

describe("collector over HTTP with Postgres and BullMQ", () => {
  it("accepts spans from the official OTLP/proto exporter and enqueues one valid job", async () => {
    const before = (await jobs()).length;
    const spans = await recordSpans(typicalTrace);
    const exporter = new OTLPTraceExporter({
      url: `${base}/v1/traces`,
      headers: { authorization: `Bearer ${ingestKey}` },
    });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export(spans, resolve),
    );
    await exporter.shutdown();
    expect(result.error).toBeUndefined();
    expect(result.code).toBe(ExportResultCode.SUCCESS);

    const all = await jobs();
    expect(all.length).toBe(before + 1);
    const job = all.find((j) => j.data.errors.some((e: { source: string }) => e.source === "span_event"))!;
    expect(job.name).toBe(JOB_ERROR_BATCH);
    const data = errorBatchJobSchema.parse(job.data);
    expect(data.projectId).toBe(projectId);
    expect(data.errors.map((e) => [e.source, e.exceptionType])).toEqual([
      ["span_event", "TypeError"],
      ["span_status", "504"],
    ]);
    expect(data.errors[0]!.traceId).toBe(spans[0]!.spanContext().traceId);
    expect(data.errors[0]!.resource.serviceName).toBe("checkout");
  });

  it("accepts log records from the official OTLP/proto log exporter (x-codewarden-key header)", async () => {
    const before = (await jobs()).length;
    const records = await recordLogs(typicalLogs);
    const exporter = new OTLPLogExporter({
      url: `${base}/v1/logs`,
      headers: { "x-codewarden-key": ingestKey },
    });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export(records, resolve),
    );
    await exporter.shutdown();
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const all = await jobs();
    expect(all.length).toBe(before + 1);
    const job = all.find((j) => j.data.errors[0]?.source === "log")!;
    const data = errorBatchJobSchema.parse(job.data);
    expect(data.errors).toHaveLength(1);
    expect(data.errors[0]!.message).toBe("payment provider unreachable");
  });

  it("does not add a second job when the same request is retried", async () => {
    const body = protobufTraces(await recordSpans(typicalTrace));
    const first = await send(`${base}/v1/traces`, { headers: protoHeaders(), body });
    expect(first.status).toBe(200);
    const count = (await jobs()).length;
    const retry = await send(`${base}/v1/traces`, { headers: protoHeaders(), body });
    expect(retry.status).toBe(200);
    expect((await jobs()).length).toBe(count);
  });

  it("answers 200 with an empty response and enqueues nothing for telemetry without errors", async () => {
    const before = (await jobs()).length;
    const body = protobufTraces(await recordSpans((t) => t.startSpan("fine").end()));
    const res = await send(`${base}/v1/traces`, { headers: protoHeaders(), body });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/x-protobuf");
    expect(res.body.length).toBe(0);
    expect((await jobs()).length).toBe(before);
  });

  it("answers JSON requests in JSON, with a charset parameter and gzip", async () => {
    const fixture = Buffer.from(JSON.stringify({ resourceSpans: [] }));
    const res = await send(`${base}/v1/traces`, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-encoding": "gzip",
        authorization: `Bearer ${ingestKey}`,
      },
      body: gzipSync(fixture),
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(res.body.toString())).toEqual({});
  });

  it("401 without a key or with an unknown key, with a Status body", async () => {
    const body = protobufTraces(await recordSpans(typicalTrace));
    const none = await send(`${base}/v1/traces`, {
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    expect(none.status).toBe(401);
    expect(decodeStatus(none.body).code).toBe(16);
    const unknown = await send(`${base}/v1/traces`, {
      headers: protoHeaders({ authorization: "Bearer cw_ik_not-a-real-key" }),
      body,
    });
    expect(unknown.status).toBe(401);
    const json = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/json", "x-codewarden-key": "nope" },
      body: "{}",
    });
    expect(json.status).toBe(401);
    expect(JSON.parse(json.body.toString())).toMatchObject({ code: 16 });
  });

  it("405 for other methods on /v1/*", async () => {
    const res = await send(`${base}/v1/traces`, { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST");
  });

  it("415 for other content types and encodings", async () => {
    const text = await send(`${base}/v1/logs`, {
      headers: { "content-type": "text/plain", authorization: `Bearer ${ingestKey}` },
      body: "hello",
    });
    expect(text.status).toBe(415);
    const br = await send(`${base}/v1/logs`, {
      headers: protoHeaders({ "content-encoding": "br" }),
      body: "x",
    });
    expect(br.status).toBe(415);
  });

  it("413 for a body over the limit, plain or as a gzip bomb", async () => {
    const plain = await send(`${base}/v1/traces`, {
      headers: protoHeaders(),
      body: Buffer.alloc(MAX_BODY + 1),
    });
    expect(plain.status).toBe(413);
    // 128 MiB of zeros compress to ~128 KiB, far under the limit: the decompressed count must catch it.
    const bomb = await gzipBomb(128 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const res = await send(`${base}/v1/traces`, {
      headers: protoHeaders({ "content-encoding": "gzip" }),
      body: bomb,
    });
    expect(res.status).toBe(413);
    expect(decodeStatus(res.body).message).toMatch(/exceeds/);
  });

  it("400 with a google.rpc.Status body for undecodable requests, in the request's format", async () => {
    const proto = await send(`${base}/v1/traces`, {
      headers: protoHeaders(),
      body: Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]),
    });
    expect(proto.status).toBe(400);
    expect(proto.headers["content-type"]).toBe("application/x-protobuf");
    const status = decodeStatus(proto.body);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/invalid ExportTraceServiceRequest/);

    const json = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/json", authorization: `Bearer ${ingestKey}` },
      body: "{not json",
    });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body.toString())).toMatchObject({ code: 3 });

    const badGzip = await send(`${base}/v1/logs`, {
      headers: protoHeaders({ "content-encoding": "gzip" }),
      body: Buffer.from("definitely not gzip"),
    });
    expect(badGzip.status).toBe(400);
  });

  it("serves /healthz, /readyz and /metrics", async () => {
    expect((await send(`${base}/healthz`, { method: "GET" })).status).toBe(200);
    const ready = await send(`${base}/readyz`, { method: "GET" });
    expect(ready.status).toBe(200);
    const metrics = (await send(`${base}/metrics`, { method: "GET" })).body.toString();
    expect(metrics).toMatch(/codewarden_collector_requests_total\{signal="traces",status="200"\} \d+/);
    expect(metrics).toMatch(/codewarden_collector_errors_extracted_total\{source="span_event"\} [1-9]/);
    expect(metrics).toMatch(/codewarden_collector_rejects_total\{reason="too_large"\} 2/);
    expect(metrics).toMatch(/codewarden_collector_enqueue_duration_seconds_count [1-9]/);
  });

  it("503 with Retry-After when Redis is unreachable, quickly", async () => {
    const cfg = config();
    const deadQueue = createBullmqErrorQueue({
      redisUrl: "redis://127.0.0.1:1",
      prefix: cfg.queuePrefix,
      logger,
    });
    const c = await startCollector(cfg, { db: testDb.handle.db, queue: deadQueue, logger });
    try {
      const body = protobufTraces(await recordSpans(typicalTrace));
      const started = Date.now();
      const res = await send(`http://127.0.0.1:${c.port}/v1/traces`, { headers: protoHeaders(), body });
      expect(res.status).toBe(503);
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      expect(decodeStatus(res.body).code).toBe(14);
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await send(`http://127.0.0.1:${c.port}/readyz`, { method: "GET" })).status).toBe(503);
    } finally {
      await c.close();
      await deadQueue.close();
    }
  });
});
