import { SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { captureException } from "../src/capture.js";
import { ErrorSpanProcessor } from "../src/error-spans.js";
import { useInMemorySdk } from "./helpers/in-memory-sdk.js";

// The default export mode: only spans that carry an error reach the exporter.
const { spans, logRecords } = useInMemorySdk({ wrapSpanProcessor: (p) => new ErrorSpanProcessor(p) });

const tracer = () => trace.getTracer("test");
const exportedNames = () => spans.getFinishedSpans().map((s) => s.name);

describe("ErrorSpanProcessor (exportSpans: errors)", () => {
  it("drops spans without an error, including ones with other events", () => {
    tracer().startActiveSpan("GET /products", (span) => {
      span.addEvent("cache.miss");
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    });
    tracer().startSpan("db.query").end();
    expect(exportedNames()).toEqual([]);
  });

  it("exports a span with status ERROR, with its attributes", () => {
    const span = tracer().startSpan("POST /checkout", { attributes: { "http.route": "/checkout" } });
    span.setStatus({ code: SpanStatusCode.ERROR, message: "payment failed" });
    span.end();
    const [exported] = spans.getFinishedSpans();
    expect(exported?.name).toBe("POST /checkout");
    expect(exported?.attributes["http.route"]).toBe("/checkout");
  });

  it("exports the span a captured exception was recorded on, and the log record with its context", () => {
    let spanId: string | undefined;
    tracer().startActiveSpan("GET /cart", (span) => {
      spanId = span.spanContext().spanId;
      captureException(new TypeError("cart is undefined"));
      span.end();
    });
    tracer().startSpan("sibling without error").end();

    const exported = spans.getFinishedSpans();
    expect(exported.map((s) => s.name)).toEqual(["GET /cart"]);
    expect(exported[0]?.events.map((e) => e.name)).toContain("exception");
    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.spanContext?.spanId).toBe(spanId);
  });

  it("exports a span whose exception was recorded directly with recordException", () => {
    const span = tracer().startSpan("worker.job");
    span.recordException(new Error("job failed"));
    span.end();
    expect(exportedNames()).toEqual(["worker.job"]);
  });
});
