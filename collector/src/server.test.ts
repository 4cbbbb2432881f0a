import { connect as netConnect } from "node:net";
import { createDeflateRaw, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import {
  type ErrorBatchJob,
  errorBatchJobSchema,
  generateSecret,
  INGEST_KEY_PREFIX,
} from "@codewarden/common";
import { type DbHandle, ensureBootstrap } from "@codewarden/drizzle";
import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../drizzle/src/testing";
import { send } from "../test/http";
import {
  jsonTraces,
  protobufLogs,
  recordLogs,
  recordSpans,
  typicalLogs,
  typicalTrace,
} from "../test/otel-data";
import { MAX_ERRORS_PER_REQUEST } from "./process-export";
import { createInProcessErrorQueue, type InProcessErrorQueue } from "./queue/in-process";
import { type RunningCollector, startCollector } from "./server";

// The all-in-one wiring: embedded PGlite and the in-process queue.
const logger = pino({ level: "silent" });
const MAX_BODY = 4 * 1024 * 1024;
let handle: DbHandle;
let key: string;
let projectId: string;
let received: ErrorBatchJob[];
let queue: InProcessErrorQueue;
let collector: RunningCollector;
let base: string;

beforeAll(async () => {
  handle = await createTestPglite();
  key = generateSecret(INGEST_KEY_PREFIX);
  projectId = (await ensureBootstrap(handle.db, { adminEmail: "a@example.com", ingestKey: key })).projectId;
  received = [];
  queue = createInProcessErrorQueue(async (job) => void received.push(job), { logger });
  collector = await startCollector(
    { port: 0, host: "127.0.0.1", dataDir: "memory://", queuePrefix: "unused", maxBodyBytes: MAX_BODY },
    { db: handle.db, queue, logger },
  );
  base = `http://127.0.0.1:${collector.port}`;
});

afterAll(async () => {
  await collector?.close();
  await queue?.close();
  await handle?.close();
});

const auth = () => ({ authorization: `Bearer ${key}` });

describe("collector with PGlite and the in-process queue", () => {
  it("delivers the errors of a JSON trace export to the queue handler", async () => {
    received.length = 0;
    const res = await send(`${base}/v1/traces`, {
      headers: { "content-type": "application/json", ...auth() },
      body: jsonTraces(await recordSpans(typicalTrace)),
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("{}");
    await queue.drain();
    expect(received).toHaveLength(1);
    const job = errorBatchJobSchema.parse(received[0]);
    expect(job.projectId).toBe(projectId);
    expect(job.errors.map((e) => e.source)).toEqual(["span_event", "span_status"]);
  });

  it("accepts deflate bodies and bodies exactly at the limit", async () => {
    received.length = 0;
    const body = protobufLogs(await recordLogs(typicalLogs));
    const res = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/x-protobuf", "content-encoding": "deflate", ...auth() },
      body: deflateSync(body),
    });
    expect(res.status).toBe(200);
    await queue.drain();
    expect(received).toHaveLength(1);

    // Unknown fields are skipped: one unknown bytes field (field 15) fills the body to the limit exactly.
    const len = MAX_BODY - 1 - 4;
    const varint = encodeVarint(len);
    expect(varint.length).toBe(4);
    const padded = Buffer.concat([Buffer.from([(15 << 3) | 2]), varint, Buffer.alloc(len)]);
    expect(padded.length).toBe(MAX_BODY);
    const atLimit = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip", ...auth() },
      body: gzipSync(padded),
    });
    expect(atLimit.status).toBe(200);
    const overLimit = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip", ...auth() },
      body: gzipSync(Buffer.concat([padded, Buffer.from([0])])),
    });
    expect(overLimit.status).toBe(413);
    // A declared Content-Length over the limit is refused before the body is read.
    const declared = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/x-protobuf", "content-length": MAX_BODY + 1, ...auth() },
      body: Buffer.alloc(MAX_BODY + 1),
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.connection).toBe("close");
  });

  it("accepts raw deflate bodies as well, and stops a raw deflate bomb at the limit (413)", async () => {
    received.length = 0;
    const body = protobufLogs(await recordLogs(typicalLogs));
    const headers = { "content-type": "application/x-protobuf", "content-encoding": "deflate", ...auth() };
    const raw = await send(`${base}/v1/logs`, { headers, body: deflateRawSync(body) });
    expect(raw.status).toBe(200);
    await queue.drain();
    expect(received).toHaveLength(1);
    expect(received[0]!.errors[0]!.message).toBe("payment provider unreachable");

    const bomb = await rawDeflateBomb(64 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const res = await send(`${base}/v1/logs`, { headers, body: bomb });
    expect(res.status).toBe(413);
    const junk = await send(`${base}/v1/logs`, {
      headers,
      body: Buffer.from("neither zlib nor raw deflate"),
    });
    expect(junk.status).toBe(400);
  });

  it("reports partial success when a request carries more errors than kept", async () => {
    const records = Array.from({ length: MAX_ERRORS_PER_REQUEST + 3 }, (_, i) => ({
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
      attributes: [{ key: "exception.type", value: { stringValue: "E" } }],
    }));
    const res = await send(`${base}/v1/logs`, {
      headers: { "content-type": "application/json", ...auth() },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ partialSuccess: { rejectedLogRecords: "3" } });
    const metrics = (await send(`${base}/metrics`, { method: "GET" })).body.toString();
    expect(metrics).toMatch(/codewarden_collector_rejects_total\{reason="too_many_errors"\} 3\n/);
    // Without a fan-out configured, its families are still exposed (at zero).
    expect(metrics).toMatch(
      /# TYPE codewarden_collector_fanout_total counter\ncodewarden_collector_fanout_total 0\n/,
    );
    expect(metrics).toMatch(
      /# TYPE codewarden_collector_fanout_queue_bytes gauge\ncodewarden_collector_fanout_queue_bytes 0\n/,
    );
    await queue.drain();
  });

  it("answers 503 with Retry-After when the queue is full, and /readyz says so", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const full = createInProcessErrorQueue(() => gate, { logger, maxPending: 1 });
    const c = await startCollector(
      { port: 0, host: "127.0.0.1", dataDir: "memory://", queuePrefix: "unused", maxBodyBytes: MAX_BODY },
      { db: handle.db, queue: full, logger },
    );
    try {
      const body = ProtobufLogsSerializer.serializeRequest(await recordLogs(typicalLogs))!;
      const url = `http://127.0.0.1:${c.port}`;
      const headers = { "content-type": "application/x-protobuf", ...auth() };
      expect((await send(`${url}/v1/logs`, { headers, body })).status).toBe(200);
      const res = await send(`${url}/v1/logs`, { headers, body });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("2");
      expect((await send(`${url}/readyz`, { method: "GET" })).status).toBe(503);
    } finally {
      release();
      await c.close();
      await full.close();
    }
  });

  it("survives a client that disconnects in the middle of a body", async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = netConnect(collector.port, "127.0.0.1", () => {
        socket.write(
          `POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\nauthorization: Bearer ${key}\r\ncontent-length: 100000\r\n\r\n`,
        );
        socket.write(Buffer.alloc(1000));
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on("error", reject);
    });
    expect((await send(`${base}/healthz`, { method: "GET" })).status).toBe(200);
  });

  it("stops reading an uncompressed chunked body (no Content-Length) at the limit: 413, connection closed", async () => {
    const before = await send(`${base}/metrics`, { method: "GET" });
    const tooLarge = (text: string) =>
      Number(/rejects_total\{reason="too_large"\} (\d+)/.exec(text)?.[1] ?? 0);
    const res = await send(`${base}/v1/traces`, {
      headers: { "content-type": "application/x-protobuf", "transfer-encoding": "chunked", ...auth() },
      body: Buffer.alloc(MAX_BODY + 1),
    });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    const after = await send(`${base}/metrics`, { method: "GET" });
    expect(tooLarge(after.body.toString())).toBe(tooLarge(before.body.toString()) + 1);
    // At the limit exactly, the same body is accepted (one unknown bytes field fills it).
    const len = MAX_BODY - 1 - 4;
    const atLimit = Buffer.concat([Buffer.from([(15 << 3) | 2]), encodeVarint(len), Buffer.alloc(len)]);
    const ok = await send(`${base}/v1/traces`, {
      headers: { "content-type": "application/x-protobuf", "transfer-encoding": "chunked", ...auth() },
      body: atLimit,
    });
    expect(ok.status).toBe(200);
  });

  it("frees the export slot of a client that disconnects in the middle of a body", async () => {
    const c = await startCollector(
      { port: 0, host: "127.0.0.1", dataDir: "memory://", queuePrefix: "unused", maxBodyBytes: MAX_BODY },
      { db: handle.db, queue, logger },
      { maxConcurrentExports: 1 },
    );
    try {
      for (const encoding of ["identity", "gzip"]) {
        const socket = netConnect(c.port, "127.0.0.1");
        await new Promise<void>((resolve) => socket.once("connect", resolve));
        socket.write(
          `POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ncontent-encoding: ${encoding}\r\nauthorization: Bearer ${key}\r\ncontent-length: 100000\r\n\r\n`,
        );
        socket.write(Buffer.alloc(1000));
        await new Promise((r) => setTimeout(r, 100));
        socket.destroy();
        await new Promise((r) => setTimeout(r, 100));
        // The only slot is free again: the next export is served, not answered 503.
        const res = await send(`http://127.0.0.1:${c.port}/v1/traces`, {
          headers: { "content-type": "application/json", ...auth() },
          body: "{}",
        });
        expect(res.status, encoding).toBe(200);
      }
      const metrics = (await send(`http://127.0.0.1:${c.port}/metrics`, { method: "GET" })).body.toString();
      expect(metrics).toMatch(/rejects_total\{reason="decode_error"\} 2\b/);
    } finally {
      await c.close();
    }
  });

  it("answers CORS preflights and adds CORS headers for browser exporters", async () => {
    const pre = await send(`${base}/v1/traces`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("*");
    expect(pre.headers["access-control-allow-headers"]).toMatch(/x-codewarden-key/);
    const res = await send(`${base}/v1/traces`, {
      headers: { "content-type": "application/json", origin: "https://app.example", ...auth() },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
  });

  it("answers 503 + Retry-After beyond its concurrent export limit", async () => {
    const c = await startCollector(
      { port: 0, host: "127.0.0.1", dataDir: "memory://", queuePrefix: "unused", maxBodyBytes: MAX_BODY },
      { db: handle.db, queue, logger },
      { maxConcurrentExports: 1 },
    );
    // One request that sends its headers and never finishes its body holds the only slot.
    const socket = netConnect(c.port, "127.0.0.1");
    try {
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      socket.write(
        `POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${key}\r\ncontent-length: 10\r\n\r\n{`,
      );
      await new Promise((r) => setTimeout(r, 100));
      const res = await send(`http://127.0.0.1:${c.port}/v1/logs`, {
        headers: { "content-type": "application/json", ...auth() },
        body: "{}",
      });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
    } finally {
      socket.destroy();
      await c.close();
    }
  });

  it("answers 429 with Retry-After and a Status body once a key passes its rate, and counts it", async () => {
    const c = await startCollector(
      {
        port: 0,
        host: "127.0.0.1",
        dataDir: "memory://",
        queuePrefix: "unused",
        maxBodyBytes: MAX_BODY,
        ingestRateLimit: { itemsPerSecond: 1, burst: 1 },
      },
      { db: handle.db, queue, logger },
    );
    try {
      const url = `http://127.0.0.1:${c.port}`;
      const headers = { "content-type": "application/json", ...auth() };
      const body = jsonTraces(await recordSpans(typicalTrace)); // 3 spans: more than the bucket holds
      expect((await send(`${url}/v1/traces`, { headers, body })).status).toBe(200);
      const limited = await send(`${url}/v1/traces`, { headers, body });
      expect(limited.status).toBe(429);
      expect(limited.headers["retry-after"]).toBe("2"); // a debt of one burst, refilled at 1 item/s
      expect(JSON.parse(limited.body.toString())).toMatchObject({ code: 8, message: expect.any(String) });
      const metrics = (await send(`${url}/metrics`, { method: "GET" })).body.toString();
      expect(metrics).toMatch(/codewarden_collector_rejects_total\{reason="rate_limited"\} 1\n/);
      expect(metrics).toMatch(/codewarden_collector_requests_total\{signal="traces",status="429"\} 1\n/);
    } finally {
      await c.close();
    }
    await queue.drain();
  });

  it("is ready when PGlite answers and the queue has room", async () => {
    const res = await send(`${base}/readyz`, { method: "GET" });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toMatch(/db ok, queue ok/);
  });

  it("answers 404 elsewhere", async () => {
    expect((await send(`${base}/v1/profiles`, { body: "" })).status).toBe(404);
  });
});

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** A raw deflate stream of `size` zero bytes, built chunk by chunk. */
async function rawDeflateBomb(size: number): Promise<Buffer> {
  const z = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  z.on("data", (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    z.on("end", resolve);
    z.on("error", reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; written += chunk.length) {
    if (!z.write(chunk)) await new Promise((r) => z.once("drain", r));
  }
  z.end();
  await done;
  return Buffer.concat(out);
}
