import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { describe, expect, it } from "vitest";
import { captureException } from "../src/capture.js";
import { DeferredSpan, DeferredTracerProvider } from "../src/deferred-span.js";
import { useInMemorySdk } from "./helpers/in-memory-sdk.js";

// A real NodeSDK exporting every ended span (no ErrorSpanProcessor): what the DeferredSpan starts shows up,
// what it drops never reaches a processor.
const { spans, logRecords } = useInMemorySdk();

const tracer = () => trace.getTracer("deferred-test");
const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function deferred(name = "GET", parent = ROOT_CONTEXT) {
  let computed = 0;
  const span = new DeferredSpan(tracer(), name, parent, {
    spanOptions() {
      computed++;
      return { kind: SpanKind.SERVER, attributes: { "url.path": "/p" } };
    },
  });
  return { span, computed: () => computed };
}

describe("DeferredSpan", () => {
  it("is never started when nothing asks for it and it ends without an error", () => {
    const { span, computed } = deferred();
    span.setAttribute("a", 1);
    span.addEvent("cache.miss");
    span.setStatus({ code: SpanStatusCode.OK });
    expect(span.isRecording()).toBe(true);
    span.end();
    expect(span.started).toBe(false);
    expect(span.isRecording()).toBe(false);
    expect(computed()).toBe(0);
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it("starts at its own start time when it ends with status ERROR, replaying every call in order", async () => {
    const before = Date.now();
    const { span, computed } = deferred("GET");
    await new Promise((resolve) => setTimeout(resolve, 30));
    span.setAttribute("a", 1);
    span.setAttributes({ b: "two", a: 3 });
    span.addEvent("cache.miss", { key: "k" });
    span.updateName("GET /p");
    span.setStatus({ code: SpanStatusCode.ERROR, message: "upstream failed" });
    span.end();
    expect(computed()).toBe(1);
    const [exported] = spans.getFinishedSpans();
    expect(exported?.name).toBe("GET /p");
    expect(exported?.kind).toBe(SpanKind.SERVER);
    expect(exported?.attributes).toEqual({ "url.path": "/p", a: 3, b: "two" });
    expect(exported?.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream failed" });
    expect(exported?.events.map((e) => e.name)).toEqual(["cache.miss"]);
    const startMs = exported ? exported.startTime[0] * 1000 + exported.startTime[1] / 1e6 : 0;
    expect(startMs).toBeGreaterThanOrEqual(before - 5);
    expect(startMs).toBeLessThan(before + 25); // the start, not the moment it was started for real
    const [seconds, nanos] = exported?.duration ?? [0, 0];
    expect(seconds * 1000 + nanos / 1e6).toBeGreaterThanOrEqual(25);
  });

  it("starts when it ends with an exception event, even with a later status OK", () => {
    const { span } = deferred();
    span.recordException(new RangeError("out of range"));
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
    const [exported] = spans.getFinishedSpans();
    expect(exported?.status.code).toBe(SpanStatusCode.OK);
    expect(exported?.events[0]?.attributes?.["exception.type"]).toBe("RangeError");
  });

  it("keeps the SDK's status rules: UNSET changes nothing, OK is final", () => {
    const unset = deferred().span;
    unset.setStatus({ code: SpanStatusCode.ERROR });
    unset.setStatus({ code: SpanStatusCode.UNSET });
    expect(unset.carriesError).toBe(true);
    const ok = deferred().span;
    ok.setStatus({ code: SpanStatusCode.OK });
    ok.setStatus({ code: SpanStatusCode.ERROR });
    expect(ok.carriesError).toBe(false);
    ok.end();
    unset.end();
    expect(spans.getFinishedSpans().map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR]);
  });

  it("starts when its context is asked for: children, then, are its children, and it ends as a normal span", () => {
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: PARENT });
    const { span } = deferred("GET", parent);
    const ctx = trace.setSpan(parent, span);
    const child = tracer().startSpan("db.query", {}, ctx);
    expect(span.started).toBe(true);
    child.end();
    span.end();
    const [exportedChild, exportedServer] = spans.getFinishedSpans();
    expect(exportedServer?.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(exportedServer?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(exportedChild?.parentSpanContext?.spanId).toBe(exportedServer?.spanContext().spanId);
    expect(span.spanContext().spanId).toBe(exportedServer?.spanContext().spanId);
  });

  it("gives captureException's log record the ids of the span that is exported", () => {
    const { span } = deferred();
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => captureException(new Error("deferred-marker")));
    span.end();
    const [exported] = spans.getFinishedSpans();
    const [record] = logRecords.getFinishedLogRecords();
    expect(record?.spanContext?.spanId).toBe(exported?.spanContext().spanId);
    expect(record?.spanContext?.traceId).toBe(exported?.spanContext().traceId);
    expect(exported?.events[0]?.attributes?.["exception.message"]).toBe("deferred-marker");
  });

  it("ignores calls after it ended and a second end", () => {
    const { span } = deferred();
    span.end();
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it("buffers a bounded number of attributes and calls, and still keeps the status and the name", () => {
    const { span } = deferred();
    const internals = span as unknown as { attributes?: object; calls?: unknown[] };
    for (let i = 0; i < 10_000; i++) {
      span.setAttribute(`k${i}`, i);
      span.addEvent(`e${i}`);
    }
    span.setAttribute("k0", "last"); // an attribute already held is still updated
    expect(Object.keys(internals.attributes ?? {})).toHaveLength(512);
    expect(internals.calls).toHaveLength(512);
    span.setStatus({ code: SpanStatusCode.ERROR, message: "late" });
    span.updateName("GET /late");
    span.end();
    const [exported] = spans.getFinishedSpans();
    // The SDK's own default limits then keep 128 attributes and 128 events.
    expect(exported?.attributes["url.path"]).toBe("/p");
    expect(exported?.attributes.k0).toBe("last");
    expect(exported?.events).toHaveLength(128);
    expect(exported?.status).toEqual({ code: SpanStatusCode.ERROR, message: "late" });
    expect(exported?.name).toBe("GET /late");
  });

  it("runs the sampler when it starts: under an unsampled parent, an error span is not recorded", () => {
    const unsampled = propagation.extract(ROOT_CONTEXT, { traceparent: PARENT.replace(/-01$/, "-00") });
    const { span } = deferred("GET", unsampled);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    expect(span.started).toBe(true);
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(spans.getFinishedSpans()).toEqual([]);
  });
});

describe("DeferredTracer", () => {
  const deferredTracer = () =>
    new DeferredTracerProvider(trace.getTracerProvider()).getTracer("deferred-tracer-test");

  it("starts nothing for a tree of spans that all end without an error", () => {
    deferredTracer().startActiveSpan("request", (parent) => {
      deferredTracer().startActiveSpan("middleware", { attributes: { layer: "auth" } }, (child) => {
        deferredTracer().startSpan("db.query").end();
        child.end();
      });
      parent.end();
    });
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it("starts a failing child and its parents, parents first, with the ids a child saw", () => {
    let childSpanId = "";
    deferredTracer().startActiveSpan("request", (parent) => {
      deferredTracer().startActiveSpan("middleware", {}, context.active(), (middleware) => {
        const query = deferredTracer().startSpan("db.query", { kind: SpanKind.CLIENT });
        query.recordException(new Error("deadlock"));
        query.end();
        childSpanId = query.spanContext().spanId;
        middleware.end();
      });
      parent.end();
    });
    const byName = Object.fromEntries(spans.getFinishedSpans().map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["db.query", "middleware", "request"]);
    expect(byName["db.query"]?.spanContext().spanId).toBe(childSpanId);
    expect(byName["db.query"]?.kind).toBe(SpanKind.CLIENT);
    expect(byName["db.query"]?.parentSpanContext?.spanId).toBe(byName.middleware?.spanContext().spanId);
    expect(byName.middleware?.parentSpanContext?.spanId).toBe(byName.request?.spanContext().spanId);
    expect(byName.request?.parentSpanContext).toBeUndefined();
    const traceIds = new Set(Object.values(byName).map((s) => s?.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    // Started in order of need, each at its own start time.
    const start = (name: string) => {
      const [seconds, nanos] = byName[name]?.startTime ?? [0, 0];
      return seconds * 1e9 + nanos;
    };
    expect(start("request")).toBeLessThanOrEqual(start("middleware"));
    expect(start("middleware")).toBeLessThanOrEqual(start("db.query"));
  });

  it("honours root: true, and leaves suppressed tracing to the SDK (a non-recording span)", () => {
    deferredTracer().startActiveSpan("outer", (outer) => {
      const root = deferredTracer().startSpan("detached", { root: true });
      root.setStatus({ code: SpanStatusCode.ERROR });
      root.end();
      const suppressed = deferredTracer().startSpan("export", {}, suppressTracing(context.active()));
      expect(suppressed).not.toBeInstanceOf(DeferredSpan);
      expect(suppressed.isRecording()).toBe(false);
      outer.end();
    });
    const [detached] = spans.getFinishedSpans();
    expect(detached?.name).toBe("detached");
    expect(detached?.parentSpanContext).toBeUndefined();
    expect(spans.getFinishedSpans()).toHaveLength(1);
  });
});
