/**
 * Payloads in the shapes the Python, Go and Java SDKs and the OpenTelemetry Collector's otlphttp
 * exporter send, serialised by the official OTLP serializers (protobuf and JSON).
 */
import { gzipSync } from "node:zlib";
import { errorBatchJobSchema, errorEventSchema } from "@codewarden/common";
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCollector, type TestCollector } from "../test/all-in-one";
import { send } from "../test/http";
import { recordLogs, recordMetrics, recordSpans, typicalLogs, typicalTrace } from "../test/otel-data";
import { itemFrames } from "../test/proto-frames";
import { GO_PANIC, goSpans, JAVA_STACK, javaLogs, PYTHON_TRACEBACK, pythonSpans } from "../test/sdk-shapes";
import { processExport } from "./process-export";

const RECEIVED = "2026-03-01T12:00:00.000Z";

function bothFormats(signal: "traces" | "logs", proto: Uint8Array, json: Uint8Array) {
  const a = processExport(signal, "protobuf", proto, RECEIVED);
  const b = processExport(signal, "json", json, RECEIVED);
  expect(b).toEqual(a);
  for (const e of a.errors) errorEventSchema.parse(e);
  return a;
}

describe("payloads shaped like other SDKs'", () => {
  it("Python: exception events with exception.escaped as the string 'False' or a bool, old deployment.environment", () => {
    const spans = pythonSpans();
    const { items, errors, rejected } = bothFormats(
      "traces",
      ProtobufTraceSerializer.serializeRequest(spans)!,
      JsonTraceSerializer.serializeRequest(spans)!,
    );
    expect([items, rejected]).toEqual([2, 0]);
    expect(errors.map((e) => [e.source, e.exceptionType, e.message])).toEqual([
      ["span_event", "ValueError", "invalid literal for int() with base 10: 'abc'"],
      ["span_event", "KeyError", "'sku'"],
    ]);
    const [flask, worker] = errors;
    expect(flask).toMatchObject({
      stacktrace: PYTHON_TRACEBACK,
      timestamp: "2026-01-01T00:00:00.004Z",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      resource: {
        serviceName: "orders-py",
        serviceVersion: "2.3.1",
        environment: "staging",
        sdkLanguage: "python",
      },
      span: { name: "GET /orders/<order_id>", kind: 2, statusCode: 2 },
      attributes: {
        "exception.escaped": "False",
        "http.route": "/orders/<order_id>",
        "http.status_code": 500,
      },
    });
    expect(worker!.attributes["exception.escaped"]).toBe(true);
    expect(worker!.span).toMatchObject({ kind: 1, statusCode: 2 });
  });

  it("Go: a recovered panic with its goroutine dump, and a failed client span with error.type only", () => {
    const spans = goSpans();
    const { errors } = bothFormats(
      "traces",
      ProtobufTraceSerializer.serializeRequest(spans)!,
      JsonTraceSerializer.serializeRequest(spans)!,
    );
    expect(errors.map((e) => [e.source, e.exceptionType])).toEqual([
      ["span_event", "runtime.boundsError"],
      ["span_status", "*net.OpError"],
    ]);
    expect(errors[0]).toMatchObject({
      message: "runtime error: index out of range [5] with length 3",
      stacktrace: GO_PANIC,
      resource: {
        serviceName: "cart-go",
        environment: "production",
        sdkLanguage: "go",
        serviceVersion: "v1.8.0",
      },
      span: { name: "GET /cart", kind: 2 },
    });
    expect(errors[1]).toMatchObject({
      message: "dial tcp 10.0.0.7:443: connect: connection refused",
      stacktrace: null,
      span: { name: "POST", kind: 3, statusCode: 2 },
      attributes: { "error.type": "*net.OpError", "server.address": "pricing.internal" },
    });
  });

  it("Java: an ERROR record from the Logback appender with a Caused-by stack; the INFO record is not an error", () => {
    const records = javaLogs();
    const { items, errors } = bothFormats(
      "logs",
      ProtobufLogsSerializer.serializeRequest(records)!,
      JsonLogsSerializer.serializeRequest(records)!,
    );
    expect(items).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      source: "log",
      exceptionType: "java.lang.IllegalStateException",
      message: "Payment gateway rejected the charge",
      stacktrace: JAVA_STACK,
      timestamp: "2026-01-01T00:02:00.250Z",
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      span: null,
      resource: {
        serviceName: "payments-java",
        serviceNamespace: "shop",
        environment: "production",
        hostName: "payments-7d9f",
        sdkLanguage: "java",
      },
      attributes: { "thread.name": "http-nio-8080-exec-3", "thread.id": 57, "code.function": "charge" },
    });
    expect(errors[0]!.stacktrace).toMatch(/\nCaused by: java\.net\.SocketTimeoutException: Read timed out\n/);
  });
});

describe("the OpenTelemetry Collector's otlphttp exporter", () => {
  let c: TestCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(async () => {
    await c?.close();
  });

  it("gzip protobuf requests with several resources and scopes, for traces, logs and metrics", async () => {
    // A collector batches what many services sent: one request per signal, many resources each.
    const spans = [...pythonSpans(), ...goSpans(), ...(await recordSpans(typicalTrace))];
    const records = [...javaLogs(), ...(await recordLogs(typicalLogs))];
    const traces = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(itemFrames(traces)).toHaveLength(spans.length);
    const headers = {
      "content-type": "application/x-protobuf",
      "content-encoding": "gzip",
      "user-agent": "OpenTelemetry Collector Contrib/0.115.0 (linux/amd64)",
      ...c.auth(),
    };
    const bodies = {
      traces: traces,
      logs: ProtobufLogsSerializer.serializeRequest(records)!,
      metrics: ProtobufMetricsSerializer.serializeRequest(await recordMetrics())!,
    };
    for (const [signal, body] of Object.entries(bodies)) {
      const res = await send(`${c.base}/v1/${signal}`, { headers, body: gzipSync(body) });
      expect(res.status, signal).toBe(200);
      expect(res.body.length, signal).toBe(0); // an empty Export*ServiceResponse: full success
    }
    await c.queue.drain();
    const errors = c.received.flatMap((job) => errorBatchJobSchema.parse(job).errors);
    const byService = (name: string) =>
      errors.filter((e) => e.resource.serviceName === name).map((e) => e.exceptionType);
    expect(byService("orders-py")).toEqual(["ValueError", "KeyError"]);
    expect(byService("cart-go")).toEqual(["runtime.boundsError", "*net.OpError"]);
    expect(byService("payments-java")).toEqual(["java.lang.IllegalStateException"]);
    expect(byService("checkout")).toEqual(["TypeError", "504", "TypeError"]);
    const metrics = await c.metrics();
    expect(metrics).toMatch(new RegExp(`codewarden_collector_spans_received_total ${spans.length}\\n`));
    expect(metrics).toMatch(/codewarden_collector_log_records_received_total 4\n/);
    expect(metrics).toMatch(/codewarden_collector_metric_data_points_received_total 6\n/);
  });
});
