/**
 * Telemetry in the shapes that other OpenTelemetry SDKs send, built as hand-made ReadableSpan and
 * ReadableLogRecord objects and serialised by the official OTLP serializers: attribute names,
 * value types, stack trace formats and resources as the Python, Go and Java SDKs (and the Java
 * log appenders) write them.
 */
import {
  type Attributes,
  type HrTime,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  TraceFlags,
} from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";

export interface SpanShape {
  resource: Attributes;
  scope?: { name: string; version?: string };
  name: string;
  kind?: SpanKind;
  traceId: string;
  spanId: string;
  start: HrTime;
  end: HrTime;
  status?: SpanStatus;
  attributes?: Attributes;
  events?: TimedEvent[];
}

export function readableSpan(s: SpanShape): ReadableSpan {
  return {
    name: s.name,
    kind: s.kind ?? SpanKind.INTERNAL,
    spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED }),
    startTime: s.start,
    endTime: s.end,
    duration: [s.end[0] - s.start[0], 0],
    ended: true,
    status: s.status ?? { code: SpanStatusCode.UNSET },
    attributes: s.attributes ?? {},
    links: [],
    events: s.events ?? [],
    resource: resourceFromAttributes(s.resource),
    instrumentationScope: s.scope ?? { name: "test" },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export interface LogShape {
  resource: Attributes;
  scope: { name: string; version?: string };
  time?: HrTime;
  observed: HrTime;
  severityNumber: SeverityNumber;
  severityText: string;
  body: string;
  attributes: Attributes;
  trace?: { traceId: string; spanId: string };
}

export function readableLog(l: LogShape): ReadableLogRecord {
  return {
    hrTime: l.time ?? [0, 0],
    hrTimeObserved: l.observed,
    spanContext: l.trace ? { ...l.trace, traceFlags: TraceFlags.SAMPLED } : undefined,
    severityNumber: l.severityNumber,
    severityText: l.severityText,
    body: l.body,
    resource: resourceFromAttributes(l.resource),
    instrumentationScope: l.scope,
    attributes: l.attributes,
    droppedAttributesCount: 0,
  };
}

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

// --- Python (opentelemetry-python, Flask instrumentation) --------------------------------------

export const PYTHON_RESOURCE = {
  "service.name": "orders-py",
  "service.version": "2.3.1",
  "deployment.environment": "staging", // the pre-1.27 semantic convention Python apps still send
  "telemetry.sdk.language": "python",
  "telemetry.sdk.name": "opentelemetry",
  "telemetry.sdk.version": "1.27.0",
};

export const PYTHON_TRACEBACK = `Traceback (most recent call last):
  File "/app/.venv/lib/python3.12/site-packages/flask/app.py", line 880, in full_dispatch_request
    rv = self.dispatch_request()
  File "/app/orders/views.py", line 42, in get_order
    order_id = int(raw_id)
ValueError: invalid literal for int() with base 10: 'abc'
`;

/** A Flask request span whose handler raised (escaped "False" as older SDKs wrote it), and a worker span (escaped as a bool). */
export function pythonSpans(): ReadableSpan[] {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  return [
    readableSpan({
      resource: PYTHON_RESOURCE,
      scope: { name: "opentelemetry.instrumentation.flask", version: "0.48b0" },
      name: "GET /orders/<order_id>",
      kind: SpanKind.SERVER,
      traceId,
      spanId: "00f067aa0ba902b7",
      start: [T0, 0],
      end: [T0, 5_000_000],
      status: {
        code: SpanStatusCode.ERROR,
        message: "ValueError: invalid literal for int() with base 10: 'abc'",
      },
      attributes: { "http.method": "GET", "http.route": "/orders/<order_id>", "http.status_code": 500 },
      events: [
        {
          name: "exception",
          time: [T0, 4_000_000],
          attributes: {
            "exception.type": "ValueError",
            "exception.message": "invalid literal for int() with base 10: 'abc'",
            "exception.stacktrace": PYTHON_TRACEBACK,
            "exception.escaped": "False",
          },
        },
      ],
    }),
    readableSpan({
      resource: PYTHON_RESOURCE,
      scope: { name: "orders.worker" },
      name: "sync inventory",
      traceId,
      spanId: "00f067aa0ba902b8",
      start: [T0, 6_000_000],
      end: [T0, 9_000_000],
      status: { code: SpanStatusCode.ERROR, message: "KeyError: 'sku'" },
      events: [
        {
          name: "exception",
          time: [T0, 8_000_000],
          attributes: {
            "exception.type": "KeyError",
            "exception.message": "'sku'",
            "exception.stacktrace":
              "Traceback (most recent call last):\n  File \"/app/orders/worker.py\", line 17, in sync\n    sku = item['sku']\nKeyError: 'sku'\n",
            "exception.escaped": true,
          },
        },
      ],
    }),
  ];
}

// --- Go (go.opentelemetry.io/otel, otelhttp) ------------------------------------------------------

export const GO_RESOURCE = {
  "service.name": "cart-go",
  "service.version": "v1.8.0",
  "deployment.environment.name": "production",
  "telemetry.sdk.language": "go",
  "telemetry.sdk.name": "opentelemetry",
  "telemetry.sdk.version": "1.32.0",
};

export const GO_PANIC = `panic: runtime error: index out of range [5] with length 3 [recovered]
	panic: runtime error: index out of range [5] with length 3

goroutine 42 [running]:
go.opentelemetry.io/otel/sdk/trace.(*recordingSpan).End.deferwrap1()
	/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.32.0/trace/span.go:383 +0x2e
main.(*cartHandler).ServeHTTP(0xc0001a2000, {0x9a3f20, 0xc0002be000}, 0xc0002c6000)
	/src/cart/handler.go:57 +0x1c5
net/http.serverHandler.ServeHTTP({0xc000190000}, {0x9a3f20, 0xc0002be000}, 0xc0002c6000)
	/usr/local/go/src/net/http/server.go:3210 +0x8e
`;

/** A recovered panic recorded by span.RecordError(err, trace.WithStackTrace(true)), and a client span failed with error.type only. */
export function goSpans(): ReadableSpan[] {
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  return [
    readableSpan({
      resource: GO_RESOURCE,
      scope: { name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", version: "0.57.0" },
      name: "GET /cart",
      kind: SpanKind.SERVER,
      traceId,
      spanId: "b7ad6b7169203331",
      start: [T0 + 60, 0],
      end: [T0 + 60, 2_000_000],
      status: { code: SpanStatusCode.ERROR, message: "runtime error: index out of range [5] with length 3" },
      attributes: { "http.request.method": "GET", "http.route": "/cart", "http.response.status_code": 500 },
      events: [
        {
          name: "exception",
          time: [T0 + 60, 1_500_000],
          attributes: {
            "exception.type": "runtime.boundsError",
            "exception.message": "runtime error: index out of range [5] with length 3",
            "exception.stacktrace": GO_PANIC,
          },
        },
      ],
    }),
    readableSpan({
      resource: GO_RESOURCE,
      scope: { name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", version: "0.57.0" },
      name: "POST",
      kind: SpanKind.CLIENT,
      traceId,
      spanId: "b7ad6b7169203332",
      start: [T0 + 60, 100_000],
      end: [T0 + 61, 100_000],
      status: { code: SpanStatusCode.ERROR, message: "dial tcp 10.0.0.7:443: connect: connection refused" },
      attributes: {
        "error.type": "*net.OpError",
        "server.address": "pricing.internal",
        "http.request.method": "POST",
      },
    }),
  ];
}

// --- Java (opentelemetry-java, Logback appender from opentelemetry-java-instrumentation) ----------

export const JAVA_RESOURCE = {
  "service.name": "payments-java",
  "service.namespace": "shop",
  "service.version": "4.1.0",
  "deployment.environment.name": "production",
  "host.name": "payments-7d9f",
  "telemetry.sdk.language": "java",
  "telemetry.sdk.name": "opentelemetry",
  "telemetry.sdk.version": "1.45.0",
};

export const JAVA_STACK = `java.lang.IllegalStateException: Payment gateway rejected the charge
	at com.shop.payments.PaymentService.charge(PaymentService.java:88)
	at com.shop.checkout.CheckoutController.checkout(CheckoutController.java:41)
	at java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
Caused by: java.net.SocketTimeoutException: Read timed out
	at java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)
	at com.shop.payments.GatewayClient.post(GatewayClient.java:132)
	... 12 more
`;

/** `log.error("Payment failed for order {}", 42, e)` through the Logback appender, and an INFO line. */
export function javaLogs(): ReadableLogRecord[] {
  const scope = { name: "com.shop.payments.PaymentService" };
  const trace = { traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174" };
  return [
    readableLog({
      resource: JAVA_RESOURCE,
      scope,
      time: [T0 + 120, 250_000_000],
      observed: [T0 + 120, 251_000_000],
      severityNumber: SeverityNumber.ERROR,
      severityText: "ERROR",
      body: "Payment failed for order 42",
      trace,
      attributes: {
        "exception.type": "java.lang.IllegalStateException",
        "exception.message": "Payment gateway rejected the charge",
        "exception.stacktrace": JAVA_STACK,
        "thread.name": "http-nio-8080-exec-3",
        "thread.id": 57,
        "code.namespace": "com.shop.payments.PaymentService",
        "code.function": "charge",
      },
    }),
    readableLog({
      resource: JAVA_RESOURCE,
      scope,
      time: [T0 + 121, 0],
      observed: [T0 + 121, 1_000],
      severityNumber: SeverityNumber.INFO,
      severityText: "INFO",
      body: "Retrying order 42",
      trace,
      attributes: { "thread.name": "http-nio-8080-exec-3" },
    }),
  ];
}
