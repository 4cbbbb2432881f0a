import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach } from "vitest";

export interface InMemorySdkOptions {
  sampler?: Sampler;
  /** Wraps the span processor in front of the in-memory exporter (e.g. ErrorSpanProcessor). */
  wrapSpanProcessor?: (processor: SpanProcessor) => SpanProcessor;
}

/**
 * A real OpenTelemetry NodeSDK with in-memory exporters, started for the calling test file and emptied
 * before each test: what the code under test records is read back as it would be exported.
 */
export function useInMemorySdk(options: InMemorySdkOptions = {}): {
  spans: InMemorySpanExporter;
  logRecords: InMemoryLogRecordExporter;
} {
  const spans = new InMemorySpanExporter();
  const logRecords = new InMemoryLogRecordExporter();
  const spanProcessor = new SimpleSpanProcessor(spans);
  const sdk = new NodeSDK({
    autoDetectResources: false,
    ...(options.sampler ? { sampler: options.sampler } : {}),
    spanProcessors: [options.wrapSpanProcessor?.(spanProcessor) ?? spanProcessor],
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logRecords })],
    metricReaders: [],
  });
  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());
  beforeEach(() => {
    spans.reset();
    logRecords.reset();
  });
  return { spans, logRecords };
}
