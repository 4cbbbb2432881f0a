import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { captureException } from "../src/capture.js";
import { samplerFor } from "../src/start-sdk.js";
import { useInMemorySdk } from "./helpers/in-memory-sdk.js";

// Every trace sampled out (init({ sampleRate: 0 })): the log record must still carry the exception.
const { spans, logRecords } = useInMemorySdk({ sampler: samplerFor(0) });

describe("captureException when the trace is sampled out", () => {
  it("exports no span but still the log record, with the trace context", () => {
    let traceId: string | undefined;
    trace.getTracer("test").startActiveSpan("checkout", (span) => {
      traceId = span.spanContext().traceId;
      captureException(new RangeError("out of stock"));
      span.end();
    });

    expect(spans.getFinishedSpans()).toHaveLength(0);
    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.attributes["exception.type"]).toBe("RangeError");
    expect(log?.attributes["exception.message"]).toBe("out of stock");
    expect(log?.spanContext?.traceId).toBe(traceId);
  });
});
