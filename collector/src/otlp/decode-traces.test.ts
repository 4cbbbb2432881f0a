import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import protobuf from "protobufjs/minimal";
import { describe, expect, it } from "vitest";
import {
  jsonTraces,
  protobufTraces,
  RESOURCE_ATTRIBUTES,
  recordSpans,
  typicalTrace,
} from "../../test/otel-data";
import { decodeTracesJson } from "./decode-json";
import { decodeTracesProto } from "./decode-traces";
import type { DecodedTraces } from "./model";

const nanos = ([s, ns]: ReadableSpan["startTime"]) => BigInt(s) * 1_000_000_000n + BigInt(ns);

function expectMatchesSdk(decoded: DecodedTraces, spans: ReadableSpan[]) {
  expect(decoded.spanCount).toBe(spans.length);
  // The healthy span is not a candidate; the two ERROR/exception spans are, in order.
  const sdkCandidates = spans.filter((s) => s.status.code === SpanStatusCode.ERROR);
  expect(decoded.candidates.map((c) => c.span.name)).toEqual(sdkCandidates.map((s) => s.name));
  for (const [i, { resource, span }] of decoded.candidates.entries()) {
    const sdk = sdkCandidates[i]!;
    expect(Object.fromEntries(resource)).toMatchObject(RESOURCE_ATTRIBUTES);
    expect(span.traceId).toBe(sdk.spanContext().traceId);
    expect(span.spanId).toBe(sdk.spanContext().spanId);
    expect(span.kind).toBe(sdk.kind + 1); // the API's SpanKind is 0-based, OTLP's is offset by one
    expect(span.startTimeUnixNano).toBe(nanos(sdk.startTime));
    expect(span.endTimeUnixNano).toBe(nanos(sdk.endTime));
    expect(span.statusCode).toBe(2);
    expect(span.statusMessage).toBe(sdk.status.message);
    expect(span.index).toBe(spans.indexOf(sdk));
    for (const [k, v] of Object.entries(sdk.attributes)) expect(span.attributes.get(k)).toEqual(v);
    const sdkExceptions = sdk.events.flatMap((e, index) => (e.name === "exception" ? [{ e, index }] : []));
    expect(span.exceptionEvents.map((e) => e.index)).toEqual(sdkExceptions.map((x) => x.index));
    for (const [j, ev] of span.exceptionEvents.entries()) {
      const sdkEv = sdkExceptions[j]!.e;
      expect(ev.timeUnixNano).toBe(nanos(sdkEv.time));
      expect(Object.fromEntries(ev.attributes)).toEqual(sdkEv.attributes);
    }
  }
}

describe("trace decoding against the official serializers", () => {
  it("decodes protobuf from ProtobufTraceSerializer", async () => {
    const spans = await recordSpans(typicalTrace);
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT, SpanKind.CLIENT]);
    expectMatchesSdk(decodeTracesProto(protobufTraces(spans)), spans);
  });

  it("decodes JSON from JsonTraceSerializer", async () => {
    const spans = await recordSpans(typicalTrace);
    expectMatchesSdk(decodeTracesJson(jsonTraces(spans)), spans);
  });

  it("decodes protobuf and JSON of the same spans identically", async () => {
    const spans = await recordSpans(typicalTrace);
    expect(decodeTracesProto(protobufTraces(spans))).toEqual(decodeTracesJson(jsonTraces(spans)));
  });

  it("keeps int, double, bool and array attributes with their types", async () => {
    const spans = await recordSpans((tracer) => {
      const span = tracer.startSpan("typed", {
        attributes: { i: 42, d: 1.5, b: true, arr: ["x", "y"], big: 2 ** 53 + 2 },
      });
      span.recordException(new Error("boom"));
      span.end();
    });
    for (const decoded of [decodeTracesProto(protobufTraces(spans)), decodeTracesJson(jsonTraces(spans))]) {
      const a = decoded.candidates[0]!.span.attributes;
      expect(a.get("i")).toBe(42);
      expect(a.get("d")).toBe(1.5);
      expect(a.get("b")).toBe(true);
      expect(a.get("arr")).toEqual(["x", "y"]);
    }
    // int64 beyond 2^53 survives protobuf as its exact decimal string.
    expect(decodeTracesProto(protobufTraces(spans)).candidates[0]!.span.attributes.get("big")).toBe(
      "9007199254740994",
    );
  });

  it("ignores spans that carry neither an exception event nor ERROR status", async () => {
    const spans = await recordSpans((tracer) => {
      for (let i = 0; i < 50; i++) {
        const s = tracer.startSpan(`ok-${i}`);
        s.addEvent("not-an-exception", { "exception.type": "Nope" });
        s.setStatus({ code: SpanStatusCode.OK });
        s.end();
      }
    });
    const decoded = decodeTracesProto(protobufTraces(spans));
    expect(decoded.spanCount).toBe(50);
    expect(decoded.candidates).toEqual([]);
  });

  it("decodes an empty request", () => {
    expect(decodeTracesProto(new Uint8Array())).toEqual({ spanCount: 0, malformed: 0, candidates: [] });
    expect(decodeTracesJson(Buffer.from("{}"))).toEqual({ spanCount: 0, malformed: 0, candidates: [] });
  });
});

describe("the span scan on hand-built bytes", () => {
  // ExportTraceServiceRequest { resource_spans = 1 { scope_spans = 2 { spans = 2 } } }
  function request(spans: Uint8Array[]): Uint8Array {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).fork(); // resource_spans
    w.uint32((2 << 3) | 2).fork(); // scope_spans
    for (const span of spans) w.uint32((2 << 3) | 2).bytes(span);
    w.ldelim().ldelim();
    return w.finish();
  }
  const name = (n: string) =>
    protobuf.Writer.create()
      .uint32((5 << 3) | 2)
      .string(n)
      .finish();
  const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
  function exceptionSpan(): Uint8Array {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).bytes(Buffer.alloc(16, 1)); // trace_id
    w.uint32((2 << 3) | 2).bytes(Buffer.alloc(8, 2)); // span_id
    w.uint32((5 << 3) | 2).string("GET /boom");
    w.uint32((6 << 3) | 0).int32(2); // kind SERVER
    w.uint32((7 << 3) | 1)
      .fixed64(1)
      .uint32((8 << 3) | 1)
      .fixed64(2); // start, end
    w.uint32((11 << 3) | 2).fork(); // events
    w.uint32((1 << 3) | 1).fixed64(3);
    w.uint32((2 << 3) | 2).string("exception");
    w.uint32((3 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("exception.type");
    w.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("Boom")
      .ldelim()
      .ldelim();
    w.ldelim();
    return w.finish();
  }

  it("skips varint, fixed64 and fixed32 fields inline and rejects bad ones as malformed items", () => {
    const ok = cat(name("ok"), Buffer.from([0x30, 0x96, 0x01]), Buffer.from([0x39, 1, 2, 3, 4, 5, 6, 7, 8]));
    const withFixed32 = cat(name("f32"), Buffer.from([0x7d, 1, 2, 3, 4])); // field 15 as fixed32: skipped
    const varintRunsPastEnd = cat(name("v"), Buffer.from([0x30, 0x80])); // kind's varint never ends
    const varintTooLong = cat(name("v11"), Buffer.from([0x30, ...Array(10).fill(0x80), 0x01]));
    const fixed64PastEnd = cat(name("f64"), Buffer.from([0x39, 1, 2, 3])); // start time cut short
    const groupWireType = cat(name("g"), Buffer.from([0x33])); // wire type 3 (start group)
    const fieldZero = cat(Buffer.from([0x02, 0x00]), name("z")); // field number 0
    const decoded = decodeTracesProto(
      request([
        ok,
        varintRunsPastEnd,
        withFixed32,
        varintTooLong,
        exceptionSpan(),
        fixed64PastEnd,
        groupWireType,
        fieldZero,
      ]),
    );
    expect(decoded.spanCount).toBe(8);
    expect(decoded.malformed).toBe(5);
    expect(decoded.candidates.map((c) => [c.span.index, c.span.name, c.span.kind])).toEqual([
      [4, "GET /boom", 2],
    ]);
    expect(decoded.candidates[0]!.span.exceptionEvents[0]!.attributes.get("exception.type")).toBe("Boom");
  });

  it("reads multi-byte lengths (a 20 KiB attribute, a 3-byte varint) before a candidate's fields", () => {
    const big = protobuf.Writer.create();
    big
      .uint32((9 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("blob");
    big
      .uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("x".repeat(20_000))
      .ldelim()
      .ldelim();
    const span = cat(big.finish(), exceptionSpan());
    const decoded = decodeTracesProto(request([span]));
    expect(decoded).toMatchObject({ spanCount: 1, malformed: 0 });
    expect(decoded.candidates[0]!.span.attributes.get("blob")).toBe("x".repeat(20_000));
  });
});
