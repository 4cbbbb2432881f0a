import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
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
