/**
 * Hostile bodies over HTTP: every one answers 400, 413 or 200 (with partial_success when items
 * were skipped), in the request's format, and the collector stays up.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import protobuf from "protobufjs/minimal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCollector, type TestCollector } from "../test/all-in-one";
import { send } from "../test/http";
import {
  jsonTraces,
  protobufLogs,
  protobufTraces,
  recordLogs,
  recordSpans,
  typicalLogs,
  typicalTrace,
} from "../test/otel-data";
import { itemFrames } from "../test/proto-frames";

const MAX_BODY = 256 * 1024;
let c: TestCollector;
let valid: { traces: Uint8Array; logs: Uint8Array; json: Uint8Array };

beforeAll(async () => {
  c = await startTestCollector({ maxBodyBytes: MAX_BODY });
  valid = {
    traces: protobufTraces(await recordSpans(typicalTrace)),
    logs: protobufLogs(await recordLogs(typicalLogs)),
    json: jsonTraces(await recordSpans(typicalTrace)),
  };
});

afterAll(async () => {
  await c?.close();
});

/** field 1 (partial_success) → { rejected (field 1), message (field 2) }; null when absent. */
function decodeExportResponse(bytes: Uint8Array): { rejected: number; message: string } | null {
  const r = protobuf.Reader.create(bytes);
  let partial: { rejected: number; message: string } | null = null;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) {
      const end = r.uint32() + r.pos;
      partial = { rejected: 0, message: "" };
      while (r.pos < end) {
        const t = r.uint32();
        if (t === 1 << 3) partial.rejected = Number(r.int64());
        else if (t === ((2 << 3) | 2)) partial.message = r.string();
        else r.skipType(t & 7);
      }
    } else r.skipType(tag & 7);
  }
  return partial;
}

function expectWellFormedAnswer(
  res: { status: number; headers: Record<string, unknown>; body: Buffer },
  format: "protobuf" | "json",
) {
  expect([200, 400, 413]).toContain(res.status);
  expect(res.headers["content-type"]).toBe(format === "json" ? "application/json" : "application/x-protobuf");
  if (res.status === 200) {
    if (format === "json") expect(typeof JSON.parse(res.body.toString())).toBe("object");
    else decodeExportResponse(res.body);
  } else if (format === "json") expect(JSON.parse(res.body.toString())).toMatchObject({ code: 3 });
  else expect(res.body[0]).toBe(1 << 3); // google.rpc.Status: code first
}

const route = fc.constantFrom("traces", "logs", "metrics");
const format = fc.constantFrom("protobuf" as const, "json" as const);
const CONTENT_TYPE = { protobuf: "application/x-protobuf", json: "application/json" };

function nestedJsonLog(depth: number, stringBytes: number): string {
  let value = `{"stringValue":"${"x".repeat(stringBytes)}"}`;
  for (let i = 0; i < depth; i++) value = `{"arrayValue":{"values":[${value}]}}`;
  return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"exception.type","value":{"stringValue":"E"}},{"key":"v","value":${value}}]}]}]}]}`;
}

const hostile = fc.oneof(
  fc.record({ kind: fc.constant("random"), bytes: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ kind: fc.constant("truncated"), cut: fc.nat(), signal: fc.constantFrom("traces", "logs") }),
  fc.record({ kind: fc.constant("nested"), depth: fc.integer({ min: 0, max: 3000 }), size: fc.nat(1000) }),
  fc.record({ kind: fc.constant("huge"), size: fc.integer({ min: 100_000, max: 400_000 }) }),
  fc.record({ kind: fc.constant("garbage-gzip"), bytes: fc.uint8Array({ maxLength: 512 }) }),
);

describe("hostile bodies over HTTP", () => {
  it("answer 400, 413 or 200 in the request's format, never a crash or a hang", async () => {
    await fc.assert(
      fc.asyncProperty(hostile, route, format, async (input, signal, fmt) => {
        const headers: Record<string, string> = { "content-type": CONTENT_TYPE[fmt], ...c.auth() };
        let body: Uint8Array | string;
        let path = signal;
        if (input.kind === "random") body = input.bytes;
        else if (input.kind === "truncated") {
          const full = valid[input.signal as "traces" | "logs"];
          body = full.subarray(0, input.cut % full.length);
          path = input.signal;
          headers["content-type"] = CONTENT_TYPE.protobuf;
        } else if (input.kind === "nested") {
          body = nestedJsonLog(input.depth, input.size);
          path = "logs";
          headers["content-type"] = CONTENT_TYPE.json;
        } else if (input.kind === "huge") {
          body = JSON.stringify({
            resourceLogs: [
              {
                scopeLogs: [
                  {
                    logRecords: [
                      {
                        attributes: [
                          { key: "exception.type", value: { stringValue: "Huge" } },
                          { key: "exception.message", value: { stringValue: "m".repeat(input.size) } },
                        ],
                      },
                    ],
                  },
                ],
              },
            ],
          });
          path = "logs";
          headers["content-type"] = CONTENT_TYPE.json;
        } else {
          body = input.bytes;
          headers["content-encoding"] = "gzip";
        }
        const res = await send(`${c.base}/v1/${path}`, { headers, body });
        expectWellFormedAnswer(res, headers["content-type"] === CONTENT_TYPE.json ? "json" : "protobuf");
        if (input.kind === "huge") expect(res.status).toBe(Buffer.byteLength(body) > MAX_BODY ? 413 : 200);
      }),
      { numRuns: 150 },
    );
    expect((await send(`${c.base}/healthz`, { method: "GET" })).status).toBe(200);
    await c.queue.drain();
  });

  it("answers 200 with partial_success naming the malformed items, and counts them", async () => {
    const counted = async () =>
      Number(
        /codewarden_collector_rejects_total\{reason="malformed_item"\} (\d+)/.exec(await c.metrics())?.[1] ??
          0,
      );
    const before = await counted();
    // JSON: the first span's trace id is not hex.
    const doc = JSON.parse(Buffer.from(valid.json).toString());
    doc.resourceSpans[0].scopeSpans[0].spans[0].traceId = "definitely-not-hex";
    const json = await send(`${c.base}/v1/traces`, {
      headers: { "content-type": "application/json", ...c.auth() },
      body: JSON.stringify(doc),
    });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.toString())).toEqual({
      partialSuccess: { rejectedSpans: "1", errorMessage: "1 malformed span skipped" },
    });

    // Protobuf, gzipped: the first log record's bytes are garbage inside its frame.
    const logs = Uint8Array.from(valid.logs);
    const { start } = itemFrames(logs)[0]!;
    logs[start] = 0x07; // field 0: never valid
    const proto = await send(`${c.base}/v1/logs`, {
      headers: { "content-type": "application/x-protobuf", "content-encoding": "gzip", ...c.auth() },
      body: gzipSync(logs),
    });
    expect(proto.status).toBe(200);
    expect(decodeExportResponse(proto.body)).toEqual({
      rejected: 1,
      message: "1 malformed log record skipped",
    });

    expect(await counted()).toBe(before + 2);
    await c.queue.drain();
  });
});
