/**
 * The official OTLP/HTTP JSON exporters (@opentelemetry/exporter-trace-otlp-http and
 * exporter-logs-otlp-http) against a running collector on Postgres and BullMQ.
 */
import { randomBytes } from "node:crypto";
import { type ErrorEvent, errorBatchJobSchema, generateSecret, INGEST_KEY_PREFIX } from "@codewarden/common";
import { ensureBootstrap } from "@codewarden/drizzle";
import { ExportResultCode } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { send } from "../test/http";
import { recordLogs, recordSpans, typicalLogs, typicalTrace } from "../test/otel-data";
import { goSpans, javaLogs, pythonSpans } from "../test/sdk-shapes";
import type { CollectorConfig } from "./config";
import { type BullmqErrorQueue, createBullmqErrorQueue } from "./queue/bullmq";
import { type RunningCollector, startCollector } from "./server";

const logger = pino({ level: "silent" });
let testDb: TestDatabase;
let queue: BullmqErrorQueue;
let ingestKey: string;
const running: RunningCollector[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  ingestKey = generateSecret(INGEST_KEY_PREFIX);
  await ensureBootstrap(testDb.handle.db, { adminEmail: "admin@localhost", ingestKey });
  queue = createBullmqErrorQueue({
    redisUrl: "redis://127.0.0.1:6379",
    prefix: `cwtest-${randomBytes(4).toString("hex")}`,
    logger,
  });
});

afterAll(async () => {
  for (const c of running) await c.close();
  await queue?.queue.obliterate({ force: true });
  await queue?.close();
  await testDb?.drop();
});

async function collector(over: Partial<CollectorConfig> = {}): Promise<string> {
  const c = await startCollector(
    { port: 0, host: "127.0.0.1", dataDir: "unused", queuePrefix: "unused", maxBodyBytes: 1 << 20, ...over },
    { db: testDb.handle.db, queue, logger },
  );
  running.push(c);
  return `http://127.0.0.1:${c.port}`;
}

/** The errors of the jobs enqueued while `run` ran. */
async function enqueuedBy(run: () => Promise<void>): Promise<ErrorEvent[]> {
  const states = ["waiting", "active", "completed", "failed", "delayed"] as const;
  const before = new Set((await queue.queue.getJobs([...states])).map((j) => j.id));
  await run();
  const jobs = (await queue.queue.getJobs([...states])).filter((j) => !before.has(j.id));
  return jobs.flatMap((j) => errorBatchJobSchema.parse(j.data).errors);
}

function exportWith<T>(
  exporter: { export(items: T[], cb: (r: { code: number; error?: Error }) => void): void },
  items: T[],
) {
  return new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(items, resolve));
}

describe("official OTLP/HTTP JSON exporters", () => {
  it("traces from OTLPTraceExporter (JSON, plain and gzip) arrive as jobs with every error", async () => {
    const base = await collector();
    for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
      const spans = [...pythonSpans(), ...goSpans(), ...(await recordSpans(typicalTrace))];
      const exporter = new OTLPTraceExporter({
        url: `${base}/v1/traces`,
        headers: { authorization: `Bearer ${ingestKey}` },
        compression,
      });
      let result: { code: number; error?: Error } | undefined;
      const errors = await enqueuedBy(async () => {
        result = await exportWith(exporter, spans);
      });
      await exporter.shutdown();
      expect(result?.error).toBeUndefined();
      expect(result?.code).toBe(ExportResultCode.SUCCESS);
      expect(errors.map((e) => `${e.resource.serviceName}:${e.exceptionType}`).sort()).toEqual(
        [
          "orders-py:ValueError",
          "orders-py:KeyError",
          "cart-go:runtime.boundsError",
          "cart-go:*net.OpError",
          "checkout:TypeError",
          "checkout:504",
        ].sort(),
      );
    }
  });

  it("log records from OTLPLogExporter (JSON) arrive, the Java appender's and the JS SDK's", async () => {
    const base = await collector();
    const exporter = new OTLPLogExporter({
      url: `${base}/v1/logs`,
      headers: { "x-codewarden-key": ingestKey },
    });
    const records = [...javaLogs(), ...(await recordLogs(typicalLogs))];
    let result: { code: number; error?: Error } | undefined;
    const errors = await enqueuedBy(async () => {
      result = await exportWith(exporter, records);
    });
    await exporter.shutdown();
    expect(result?.code).toBe(ExportResultCode.SUCCESS);
    expect(errors.map((e) => [e.resource.serviceName, e.exceptionType, e.message])).toEqual([
      ["payments-java", "java.lang.IllegalStateException", "Payment gateway rejected the charge"],
      ["checkout", "TypeError", "payment provider unreachable"],
    ]);
  });

  it("the exporter honours 429 + Retry-After from the rate limiter and succeeds on its retry", async () => {
    const base = await collector({ ingestRateLimit: { itemsPerSecond: 1, burst: 1 } });
    const exporter = new OTLPTraceExporter({
      url: `${base}/v1/traces`,
      headers: { authorization: `Bearer ${ingestKey}` },
    });
    const spans = await recordSpans(typicalTrace); // 3 spans: the first export leaves the key in debt
    expect((await exportWith(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
    const second = await exportWith(exporter, await recordSpans(typicalTrace));
    await exporter.shutdown();
    expect(second.code).toBe(ExportResultCode.SUCCESS);
    const metrics = (await send(`${base}/metrics`, { method: "GET" })).body.toString();
    expect(metrics).toMatch(/codewarden_collector_requests_total\{signal="traces",status="429"\} 1\n/);
    expect(metrics).toMatch(/codewarden_collector_requests_total\{signal="traces",status="200"\} 2\n/);
  }, 20_000);
});
