/**
 * "Valid items in the same request are not lost": a span or log record that is malformed
 * inside a well-formed request is skipped and counted as rejected, and every other item's
 * exception still comes out. Requests come from the official serializers.
 */
import fc from "fast-check";
import protobuf from "protobufjs/minimal";
import { beforeAll, describe, expect, it } from "vitest";
import {
  jsonLogs,
  jsonTraces,
  makeError,
  protobufLogs,
  protobufTraces,
  recordLogs,
  recordSpans,
} from "../../test/otel-data";
import { itemFrames } from "../../test/proto-frames";
import { processExport } from "../process-export";
import type { Signal } from "./responses";
import { DecodeError } from "./wire";

const RECEIVED = "2026-03-01T12:00:00.000Z";
const ITEMS = 6;
const TYPES = Array.from({ length: ITEMS }, (_, i) => `E${i}`);

function typedError(i: number): Error {
  const err = makeError(`failure number ${i}`);
  err.name = TYPES[i]!;
  return err;
}

let bodies: Record<"traces" | "logs", { proto: Uint8Array; json: string }>;

beforeAll(async () => {
  const spans = await recordSpans((tracer) => {
    for (let i = 0; i < ITEMS; i++) {
      const span = tracer.startSpan(`op ${i}`);
      span.recordException(typedError(i));
      span.end();
    }
  });
  const records = await recordLogs((logger) => {
    for (let i = 0; i < ITEMS; i++) {
      const err = typedError(i);
      logger.emit({
        body: `log ${i}`,
        attributes: {
          "exception.type": err.name,
          "exception.message": err.message,
          "exception.stacktrace": err.stack,
        },
      });
    }
  });
  bodies = {
    traces: { proto: protobufTraces(spans), json: Buffer.from(jsonTraces(spans)).toString() },
    logs: { proto: protobufLogs(records), json: Buffer.from(jsonLogs(records)).toString() },
  };
});

const types = (signal: Signal, format: "protobuf" | "json", body: Uint8Array | string) => {
  const result = processExport(signal, format, typeof body === "string" ? Buffer.from(body) : body, RECEIVED);
  return { ...result, types: result.errors.map((e) => e.exceptionType).sort() };
};

/** One-byte tags that no item can start with: field 0, or wire types 3, 4, 6, 7 (groups, invalid). */
const badTag = fc.oneof(
  fc.integer({ min: 0, max: 7 }),
  fc.tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(3, 4, 6, 7)).map(([f, w]) => (f << 3) | w),
);
const signal = fc.constantFrom("traces" as const, "logs" as const);

describe("protobuf: one malformed item does not cost the others", () => {
  it("the serializers' bodies have one frame per item", () => {
    for (const s of ["traces", "logs"] as const) expect(itemFrames(bodies[s].proto)).toHaveLength(ITEMS);
  });

  it("an item whose bytes are garbage inside its frame is rejected; the rest come out", () => {
    fc.assert(
      fc.property(
        signal,
        fc.nat(ITEMS - 1),
        badTag,
        fc.uint8Array({ minLength: 200, maxLength: 200 }),
        (s, victim, tag, filler) => {
          const body = Uint8Array.from(bodies[s].proto);
          const { start, end } = itemFrames(body)[victim]!;
          for (let p = start; p < end; p++) body[p] = filler[(p - start) % filler.length]!;
          body[start] = tag;
          const result = types(s, "protobuf", body);
          expect(result.types).toEqual(TYPES.filter((_, i) => i !== victim));
          expect(result).toMatchObject({ items: ITEMS, malformed: 1, rejected: 1 });
          expect(result.message).toMatch(/1 malformed (span|log record) skipped/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("bit flips inside one item never fail the request nor touch the other items", () => {
    fc.assert(
      fc.property(
        signal,
        fc.nat(ITEMS - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        (s, victim, flips) => {
          const body = Uint8Array.from(bodies[s].proto);
          const { start, end } = itemFrames(body)[victim]!;
          for (const [pos, bit] of flips) body[start + (pos % (end - start))]! ^= 1 << bit;
          const result = types(s, "protobuf", body); // never throws: the envelope is intact
          for (const [i, t] of TYPES.entries()) if (i !== victim) expect(result.types).toContain(t);
          expect(result.malformed).toBeLessThanOrEqual(1);
          expect(result.rejected).toBe(result.malformed);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a frame that overruns its scope is an undecodable envelope", () => {
    const body = Uint8Array.from(bodies.traces.proto);
    const { start } = itemFrames(body)[ITEMS - 1]!;
    // The last span's length prefix sits just before its payload; make it claim more bytes.
    const r = protobuf.Reader.create(body.subarray(start - 2, start));
    expect(r.uint32()).toBeGreaterThan(127); // a two-byte varint
    body[start - 2] = 0xff;
    body[start - 1] = 0x7f;
    expect(() => processExport("traces", "protobuf", body, RECEIVED)).toThrow(DecodeError);
  });
});

type Json = Record<string, unknown>;
type Mutation = (item: Json) => unknown;
const event = (item: Json) => (item.events as Json[])[0]!;
const firstAttr = (list: unknown) => (list as Json[])[0]!;

const SPAN_MUTATIONS: Record<string, Mutation> = {
  "trace id not hex": (s) => ({ ...s, traceId: "not-a-trace-id!" }),
  "trace id a number": (s) => ({ ...s, traceId: 12345 }),
  "span id of the wrong length": (s) => ({ ...s, spanId: "abcd" }),
  "name a number": (s) => ({ ...s, name: 42 }),
  "unknown kind": (s) => ({ ...s, kind: "SPAN_KIND_BOGUS" }),
  "negative start time": (s) => ({ ...s, startTimeUnixNano: "-5" }),
  "time a boolean": (s) => ({ ...s, endTimeUnixNano: true }),
  "status a string": (s) => ({ ...s, status: "error" }),
  "events an object": (s) => ({ ...s, events: {} }),
  "event time a word": (s) => ({ ...s, events: [{ ...event(s), timeUnixNano: "yesterday" }] }),
  "attributes a string": (s) => ({ ...s, attributes: "x" }),
  "bool attribute a string": (s) => {
    const e = event(s);
    const [first, ...rest] = e.attributes as Json[];
    return { ...s, events: [{ ...e, attributes: [{ ...first, value: { boolValue: "true" } }, ...rest] }] };
  },
  "int attribute a fraction": (s) => ({ ...s, attributes: [{ key: "n", value: { intValue: 1.5 } }] }),
  "span a number": () => 7,
  "span an array": () => [],
};

const LOG_MUTATIONS: Record<string, Mutation> = {
  "unknown severity": (l) => ({ ...l, severityNumber: "LOUD" }),
  "body a bare string": (l) => ({ ...l, body: "plain" }),
  "trace id not hex": (l) => ({ ...l, traceId: "g".repeat(32) }),
  "observed time an object": (l) => ({ ...l, observedTimeUnixNano: {} }),
  "attribute key a number": (l) => ({
    ...l,
    attributes: [{ ...firstAttr(l.attributes), key: 5 }, ...(l.attributes as Json[])],
  }),
  "record a string": () => "record",
};

function mutateJson(s: "traces" | "logs", victim: number, mutation: Mutation): string {
  const doc = JSON.parse(bodies[s].json) as Json;
  const scope =
    s === "traces"
      ? ((doc.resourceSpans as Json[])[0]!.scopeSpans as Json[])[0]!
      : ((doc.resourceLogs as Json[])[0]!.scopeLogs as Json[])[0]!;
  const list = (s === "traces" ? scope.spans : scope.logRecords) as unknown[];
  list[victim] = mutation(list[victim] as Json);
  return JSON.stringify(doc);
}

describe("JSON: an item with invalid fields does not cost the others", () => {
  it("every mutation rejects exactly its item", () => {
    const cases = [
      ...Object.entries(SPAN_MUTATIONS).map(([name, m]) => ["traces", name, m] as const),
      ...Object.entries(LOG_MUTATIONS).map(([name, m]) => ["logs", name, m] as const),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.nat(ITEMS - 1), ([s, name, mutation], victim) => {
        const result = types(s, "json", mutateJson(s, victim, mutation));
        expect(result.types, name).toEqual(TYPES.filter((_, i) => i !== victim));
        expect(result, name).toMatchObject({ items: ITEMS, malformed: 1, rejected: 1 });
      }),
      { numRuns: 300 },
    );
  });

  it("the unmutated bodies are accepted whole", () => {
    for (const s of ["traces", "logs"] as const) {
      expect(types(s, "json", bodies[s].json)).toMatchObject({ types: TYPES, malformed: 0, rejected: 0 });
      expect(types(s, "protobuf", bodies[s].proto)).toMatchObject({
        types: TYPES,
        malformed: 0,
        rejected: 0,
      });
    }
  });

  it("a malformed envelope is still undecodable", () => {
    for (const bad of [
      '{"resourceSpans":{}}',
      '{"resourceSpans":[{"scopeSpans":"x"}]}',
      '{"resourceSpans":[{"scopeSpans":[{"spans":5}]}]}',
    ]) {
      expect(() => processExport("traces", "json", Buffer.from(bad), RECEIVED)).toThrow(DecodeError);
    }
  });

  it("a resource with malformed attributes rejects its candidates only", () => {
    const doc = JSON.parse(bodies.logs.json) as Json;
    const resourceLogs = doc.resourceLogs as Json[];
    const other = JSON.parse(JSON.stringify(resourceLogs[0])) as Json;
    (other.resource as Json).attributes = [{ key: "service.name", value: { stringValue: 7 } }];
    resourceLogs.push(other);
    const result = types("logs", "json", JSON.stringify(doc));
    expect(result).toMatchObject({ types: TYPES, items: 2 * ITEMS, malformed: ITEMS, rejected: ITEMS });
  });
});
