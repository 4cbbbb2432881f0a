import { errorEventSchema } from "@codewarden/common";
import fc from "fast-check";
import protobuf from "protobufjs/minimal";
import { describe, expect, it } from "vitest";
import {
  protobufLogs,
  protobufTraces,
  recordLogs,
  recordSpans,
  typicalLogs,
  typicalTrace,
} from "../../test/otel-data";
import { processExport } from "../process-export";
import { MAX_ANY_VALUE_DEPTH } from "./model";
import type { OtlpFormat, Signal } from "./responses";
import { DecodeError } from "./wire";

const SIGNALS: Signal[] = ["traces", "logs", "metrics"];
const RECEIVED = "2026-03-01T12:00:00.000Z";

/** The one allowed failure: a controlled DecodeError. Anything else (or a hang) fails the property. */
function decodesOrRejects(signal: Signal, format: OtlpFormat, bytes: Uint8Array): number {
  try {
    const { errors } = processExport(signal, format, bytes, RECEIVED);
    for (const e of errors) errorEventSchema.parse(e);
    return errors.length;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return 0;
  }
}

const validBodies = async () => ({
  traces: protobufTraces(await recordSpans(typicalTrace)),
  logs: protobufLogs(await recordLogs(typicalLogs)),
});

describe("decoders never crash on hostile input", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...SIGNALS), (bytes, signal) => {
        decodesOrRejects(signal, "protobuf", bytes);
        decodesOrRejects(signal, "json", bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("truncated valid requests", async () => {
    const bodies = await validBodies();
    for (const signal of ["traces", "logs"] as const) {
      const body = bodies[signal];
      for (let cut = 0; cut < body.length; cut++) decodesOrRejects(signal, "protobuf", body.subarray(0, cut));
    }
  });

  it("truncated valid requests are rejected or yield fewer errors, never different ones", async () => {
    const bodies = await validBodies();
    const full = processExport("traces", "protobuf", bodies.traces, RECEIVED).errors;
    let rejected = 0;
    for (let cut = 1; cut < bodies.traces.length; cut++) {
      try {
        const { errors } = processExport("traces", "protobuf", bodies.traces.subarray(0, cut), RECEIVED);
        expect(errors.length).toBeLessThan(full.length + 1);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it("bit-flipped valid requests", async () => {
    const bodies = await validBodies();
    fc.assert(
      fc.property(
        fc.constantFrom("traces" as const, "logs" as const),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        (signal, flips) => {
          const body = Uint8Array.from(bodies[signal]);
          for (const [pos, bit] of flips) body[pos % body.length]! ^= 1 << bit;
          decodesOrRejects(signal, "protobuf", body);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("random JSON documents, including lone surrogates and odd types", () => {
    const junk = fc.anything({ maxDepth: 2, maxKeys: 3 });
    const anyValue = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.record({ stringValue: fc.string({ unit: "binary" }) }),
        fc.record({ intValue: fc.oneof(fc.bigInt().map(String), fc.integer(), fc.string()) }),
        fc.record({ doubleValue: fc.oneof(fc.double(), fc.constantFrom("NaN", "Infinity", "x")) }),
        fc.record({ boolValue: junk }),
        fc.record({ arrayValue: fc.record({ values: fc.array(tie("value"), { maxLength: 3 }) }) }),
        junk,
      ),
    }));
    const attr = fc.record({
      key: fc.oneof(
        { arbitrary: fc.constantFrom("exception.type", "exception.message", "__proto__"), weight: 3 },
        { arbitrary: fc.string(), weight: 1 },
      ),
      value: fc.oneof(
        { arbitrary: fc.record({ stringValue: fc.string({ unit: "binary" }) }), weight: 3 },
        { arbitrary: anyValue.value, weight: 1 },
      ),
    });
    const record = fc.record(
      {
        timeUnixNano: fc.oneof(fc.bigInt({ min: -1n, max: 1n << 70n }).map(String), fc.double(), junk),
        traceId: fc.oneof(
          fc.string(),
          fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("hex")),
        ),
        spanId: fc.string(),
        body: anyValue.value,
        attributes: fc.oneof(
          { arbitrary: fc.array(attr, { minLength: 1, maxLength: 6 }), weight: 4 },
          { arbitrary: junk, weight: 1 },
        ),
      },
      { requiredKeys: [] },
    );
    const scopeLogs = fc.record({ logRecords: fc.array(record, { minLength: 1, maxLength: 4 }) });
    const doc = fc.record({
      resourceLogs: fc.oneof(
        { arbitrary: fc.array(fc.record({ scopeLogs: fc.array(scopeLogs, { maxLength: 3 }) })), weight: 4 },
        { arbitrary: junk, weight: 1 },
      ),
    });
    let extracted = 0;
    fc.assert(
      fc.property(doc, (d) => {
        extracted += decodesOrRejects("logs", "json", Buffer.from(JSON.stringify(d) ?? "null"));
      }),
      { numRuns: 500 },
    );
    // The generator must reach extraction, not only the decoder's rejections.
    expect(extracted).toBeGreaterThan(0);
  });
});

/**
 * A LogRecord with `exception.type` and an attribute nested `depth` ArrayValues deep; with
 * `neighbours`, framed by well-formed records of types "Before" and "After".
 */
function deeplyNestedLogRequest(depth: number, neighbours = 0): Uint8Array {
  let value = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string("leaf")
    .finish(); // AnyValue{string}
  for (let i = 0; i < depth; i++) {
    const array = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(value)
      .finish(); // ArrayValue{values}
    value = protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .bytes(array)
      .finish(); // AnyValue{array_value}
  }
  const kv = (key: string, v: Uint8Array) =>
    protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string(key)
      .uint32((2 << 3) | 2)
      .bytes(v)
      .finish();
  const str = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string("E")
    .finish();
  const record = protobuf.Writer.create()
    .uint32((6 << 3) | 2)
    .bytes(kv("exception.type", str))
    .uint32((6 << 3) | 2)
    .bytes(kv("deep", value))
    .finish();
  const plain = (type: string) =>
    protobuf.Writer.create()
      .uint32((6 << 3) | 2)
      .bytes(
        kv(
          "exception.type",
          protobuf.Writer.create()
            .uint32((1 << 3) | 2)
            .string(type)
            .finish(),
        ),
      )
      .finish();
  const records = neighbours > 0 ? [plain("Before"), record, plain("After")] : [record];
  const scopeWriter = protobuf.Writer.create();
  for (const rec of records) scopeWriter.uint32((2 << 3) | 2).bytes(rec);
  const scope = scopeWriter.finish();
  const resource = protobuf.Writer.create()
    .uint32((2 << 3) | 2)
    .bytes(scope)
    .finish();
  return protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(resource)
    .finish();
}

describe("AnyValue nesting is bounded", () => {
  it("accepts nesting up to the limit", () => {
    const result = processExport("logs", "protobuf", deeplyNestedLogRequest(MAX_ANY_VALUE_DEPTH), RECEIVED);
    expect(result.errors).toHaveLength(1);
  });

  it("rejects a record nested deeper, however deep, without losing its neighbours (protobuf)", () => {
    for (const depth of [MAX_ANY_VALUE_DEPTH + 1, 1000, 5000]) {
      const result = processExport("logs", "protobuf", deeplyNestedLogRequest(depth, 2), RECEIVED);
      expect(result).toMatchObject({ items: 3, malformed: 1, rejected: 1 });
      expect(result.errors.map((e) => e.exceptionType)).toEqual(["Before", "After"]);
    }
  });

  it("rejects a record nested deeper, however deep, without losing its neighbours (JSON)", () => {
    let value = '{"stringValue":"leaf"}';
    for (let i = 0; i < 50_000; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const ok = (type: string) =>
      `{"attributes":[{"key":"exception.type","value":{"stringValue":"${type}"}}]}`;
    const body = Buffer.from(
      `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${ok("Before")},{"attributes":[{"key":"exception.type","value":{"stringValue":"E"}},{"key":"deep","value":${value}}]},${ok("After")}]}]}]}`,
    );
    const result = processExport("logs", "json", body, RECEIVED);
    expect(result).toMatchObject({ items: 3, malformed: 1, rejected: 1 });
    expect(result.errors.map((e) => e.exceptionType)).toEqual(["Before", "After"]);
  });

  it("groups (wire types 3/4), which OTLP never uses, are rejected rather than recursed into", () => {
    const body = new Uint8Array(100_000).fill((1 << 3) | 3); // field 1, start group, repeated
    expect(() => processExport("traces", "protobuf", body, RECEIVED)).toThrow(DecodeError);
  });
});
