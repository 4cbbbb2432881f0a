import { trace } from "@opentelemetry/api";
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureException } from "../src/capture.js";
import { samplerFor } from "../src/start-sdk.js";

// Every trace sampled out (init({ sampleRate: 0 })): the log record must still carry the exception.
const spans = new InMemorySpanExporter();
const logRecords = new InMemoryLogRecordExporter();
const sdk = new NodeSDK({
  autoDetectResources: false,
  sampler: samplerFor(0),
  spanProcessors: [new SimpleSpanProcessor(spans)],
  logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logRecords })],
  metricReaders: [],
});

beforeAll(() => sdk.start());
afterAll(() => sdk.shutdown());

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
