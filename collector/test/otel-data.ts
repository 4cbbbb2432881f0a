/**
 * Real telemetry from the official OpenTelemetry JS SDKs, serialised by the official OTLP
 * serializers: the independent encoder the decoders are tested against.
 */
import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export const RESOURCE_ATTRIBUTES = {
  "service.name": "checkout",
  "service.namespace": "shop",
  "service.version": "1.4.2",
  "service.instance.id": "pod-7",
  "deployment.environment.name": "production",
  "telemetry.sdk.language": "nodejs",
  "host.name": "node-1",
} as const;

export type Tracer = ReturnType<BasicTracerProvider["getTracer"]>;

/** Runs `record` with a tracer and returns the finished spans. */
export async function recordSpans(
  record: (tracer: Tracer) => void,
  resource: Attributes = RESOURCE_ATTRIBUTES,
): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  record(provider.getTracer("test", "1.0.0"));
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export type OtelLogger = ReturnType<LoggerProvider["getLogger"]>;

/** Runs `record` with a logger and returns the emitted log records. */
export async function recordLogs(
  record: (logger: OtelLogger) => void,
  resource: Attributes = RESOURCE_ATTRIBUTES,
): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  record(provider.getLogger("test", "1.0.0"));
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

export function protobufTraces(spans: ReadableSpan[]): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(spans)!;
}
export function jsonTraces(spans: ReadableSpan[]): Uint8Array {
  return JsonTraceSerializer.serializeRequest(spans)!;
}
export function protobufLogs(records: ReadableLogRecord[]): Uint8Array {
  return ProtobufLogsSerializer.serializeRequest(records)!;
}
export function jsonLogs(records: ReadableLogRecord[]): Uint8Array {
  return JsonLogsSerializer.serializeRequest(records)!;
}

/** A TypeError thrown from a named function, so the stack is real. */
export function makeError(message = "card declined for order 42"): Error {
  function chargeCard(): never {
    throw new TypeError(message);
  }
  try {
    chargeCard();
  } catch (err) {
    return err as Error;
  }
}

/** A typical request: a server span with an exception event, a healthy span and an ERROR client span. */
export function typicalTrace(tracer: Tracer): void {
  const parent = tracer.startSpan("POST /checkout", {
    kind: SpanKind.SERVER,
    attributes: { "http.route": "/checkout", "http.request.method": "POST", "user.id": "u-1" },
  });
  parent.addEvent("cart.loaded", { items: 3 });
  parent.recordException(makeError(), new Date("2026-03-01T10:00:00.123Z"));
  parent.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
  parent.end();
  tracer.startSpan("db.query", { kind: SpanKind.CLIENT }).end();
  const client = tracer.startSpan("GET payments", {
    kind: SpanKind.CLIENT,
    attributes: { "error.type": "504", "http.response.status_code": 504 },
  });
  client.setStatus({ code: SpanStatusCode.ERROR, message: "gateway timeout" });
  client.end();
}

/** Log records: one carrying an exception, one ordinary. */
export function typicalLogs(logger: OtelLogger): void {
  const err = makeError("payment provider unreachable");
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: "ERROR",
    body: "charge failed",
    timestamp: new Date("2026-03-01T10:00:01.000Z"),
    attributes: {
      "exception.type": err.name,
      "exception.message": err.message,
      "exception.stacktrace": err.stack,
      "order.id": 42,
    },
  });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: "all good", attributes: { "order.id": 43 } });
}

/** A reader that collects on demand (no timer), to get real ResourceMetrics from the SDK. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** 2 counter series, 1 histogram series and 3 gauge series from the metrics SDK. */
export async function recordMetrics() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "metrics-test" }),
    readers: [reader],
  });
  const meter = provider.getMeter("test");
  const counter = meter.createCounter("requests");
  counter.add(1, { route: "/a" });
  counter.add(2, { route: "/b" });
  meter.createHistogram("latency").record(12, { route: "/a" });
  const gauge = meter.createGauge("temperature");
  gauge.record(21.5, { room: "x" });
  gauge.record(19, { room: "y" });
  gauge.record(18, { room: "z" });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors, "metrics collection failed");
  await provider.shutdown();
  return resourceMetrics;
}
