/**
 * Request bodies for the ingest benchmark: OTLP ExportTraceServiceRequests of 100 spans, built
 * once with the official serializer, then re-stamped with fresh trace ids for every request.
 *
 * Each body holds 10 traces of 10 spans (an HTTP server span and 9 children: database, cache and
 * outgoing HTTP calls) with the attributes the Node auto-instrumentations set. The "error" body
 * is the same shape, except that one server span failed: status ERROR and one `exception` span
 * event recorded from a real Error (type, message, stack trace).
 *
 * Unique ids: the serializer writes every span's 16-byte trace id as field 1 (tag 0x0a, length
 * 0x10). We find those offsets once per template, check that every one was found (no more, no
 * fewer), and before each request overwrite them in place with ids derived from a request
 * serial number. So every request carries new traces, every error has a new natural key
 * (project, trace id, span id, time, type) and a new request digest, and the worker cannot
 * skip any of them as a duplicate — without building 100 spans per request on the load
 * generator's CPU.
 */
import { randomBytes } from "node:crypto";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export const TRACES_PER_REQUEST = 10;
export const SPANS_PER_TRACE = 10;
export const SPANS_PER_REQUEST = TRACES_PER_REQUEST * SPANS_PER_TRACE;

export interface BodyTemplate {
  /** The serialized request; rewritten in place by stamp(). */
  bytes: Buffer;
  /** For each trace of the request, the offsets of its 16-byte trace id (one per span). */
  traceIdOffsets: number[][];
  /** Exception span events in the body. */
  errors: number;
}

export interface Bodies {
  plain: BodyTemplate;
  withError: BodyTemplate;
}

class PaymentDeclinedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentDeclinedError";
  }
}

// A few real frames in the stack trace, the way application code would throw.
function chargeCard(orderId: number): never {
  throw new PaymentDeclinedError(`card declined for order ${orderId}`);
}
function checkout(orderId: number): void {
  chargeCard(orderId);
}

function buildTrace(tracer: ReturnType<BasicTracerProvider["getTracer"]>, t: number, failing: boolean): void {
  const root = tracer.startSpan(
    failing ? "POST /api/checkout" : "GET /api/orders/:id",
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": failing ? "POST" : "GET",
        "http.route": failing ? "/api/checkout" : "/api/orders/:id",
        "url.path": failing ? "/api/checkout" : `/api/orders/${1000 + t}`,
        "url.scheme": "http",
        "server.address": "shop.internal",
        "server.port": 8080,
        "network.protocol.version": "1.1",
        "user_agent.original":
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "client.address": "10.0.3.17",
        "http.response.status_code": failing ? 500 : 200,
      },
    },
    context.active(),
  );
  const parent = trace.setSpan(context.active(), root);
  const children: Span[] = [];
  for (let c = 0; c < SPANS_PER_TRACE - 1; c++) {
    const kind = c % 3;
    const span =
      kind === 0
        ? tracer.startSpan(
            "SELECT shop.orders",
            {
              kind: SpanKind.CLIENT,
              attributes: {
                "db.system.name": "postgresql",
                "db.namespace": "shop",
                "db.operation.name": "SELECT",
                "db.collection.name": "orders",
                "db.query.text": "SELECT id, status, total FROM orders WHERE customer_id = $1 LIMIT 20",
                "server.address": "db.internal",
                "server.port": 5432,
              },
            },
            parent,
          )
        : kind === 1
          ? tracer.startSpan(
              "GET",
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  "db.system.name": "redis",
                  "db.operation.name": "GET",
                  "db.query.text": "GET session:?",
                  "server.address": "cache.internal",
                  "server.port": 6379,
                },
              },
              parent,
            )
          : tracer.startSpan(
              "POST",
              {
                kind: SpanKind.CLIENT,
                attributes: {
                  "http.request.method": "POST",
                  "url.full": "http://inventory.internal:8081/v1/reserve",
                  "server.address": "inventory.internal",
                  "server.port": 8081,
                  "http.response.status_code": 200,
                },
              },
              parent,
            );
    children.push(span);
  }
  for (const span of children) span.end();
  if (failing) {
    try {
      checkout(40_000 + t);
    } catch (err) {
      root.recordException(err as Error);
      root.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    }
  }
  root.end();
}

function locateTraceIds(bytes: Buffer, spans: ReadableSpan[]): number[][] {
  const byTrace = new Map<string, number>();
  for (const s of spans) {
    const id = s.spanContext().traceId;
    byTrace.set(id, (byTrace.get(id) ?? 0) + 1);
  }
  const offsets: number[][] = [];
  for (const [hex, spanCount] of byTrace) {
    const needle = Buffer.from(hex, "hex");
    const found: number[] = [];
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + needle.length)) {
      // Span.trace_id is field 1, length-delimited: tag 0x0a, then length 16.
      if (at < 2 || bytes[at - 2] !== 0x0a || bytes[at - 1] !== 0x10) {
        throw new Error(`trace id ${hex} found at ${at} outside a Span.trace_id field`);
      }
      found.push(at);
    }
    if (found.length !== spanCount) {
      throw new Error(
        `trace id ${hex}: expected ${spanCount} occurrences in the body, found ${found.length}`,
      );
    }
    offsets.push(found);
  }
  return offsets;
}

function buildTemplate(withError: boolean): BodyTemplate {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "shop-api",
      "service.namespace": "shop",
      "service.version": "2.14.0",
      "service.instance.id": "9f1c7d52-3b8e-4a51-9d0e-2f6a4c1b7e30",
      "deployment.environment.name": "bench",
      "host.name": "shop-api-7d9f8c6b5-x2k4q",
      "host.arch": "amd64",
      "os.type": "linux",
      "process.pid": 4242,
      "process.runtime.name": "nodejs",
      "process.runtime.version": "20.19.0",
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.version": "2.0.0",
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("@opentelemetry/instrumentation-http", "0.200.0");
  // The failing request is the first trace of the error body; the other 99 spans are fine.
  for (let t = 0; t < TRACES_PER_REQUEST; t++) buildTrace(tracer, t, withError && t === 0);
  const spans = exporter.getFinishedSpans();
  if (spans.length !== SPANS_PER_REQUEST) throw new Error(`built ${spans.length} spans`);
  const serialized = ProtobufTraceSerializer.serializeRequest(spans);
  if (!serialized) throw new Error("the OTLP serializer returned nothing");
  const bytes = Buffer.from(serialized);
  const errors = spans.reduce((n, s) => n + s.events.filter((e) => e.name === "exception").length, 0);
  return { bytes, traceIdOffsets: locateTraceIds(bytes, spans), errors };
}

export function buildBodies(): Bodies {
  const plain = buildTemplate(false);
  const withError = buildTemplate(true);
  if (plain.errors !== 0 || withError.errors !== 1) throw new Error("unexpected exception events");
  return { plain, withError };
}

/**
 * Stamps fresh trace ids into a template (in place) for request `serial`: 8 random bytes per
 * run, then the serial (uint32) and the trace's index in the request (uint32).
 */
export function createStamper(
  runPrefix: Buffer = randomBytes(8),
): (tpl: BodyTemplate, serial: number) => Buffer {
  if (runPrefix.length !== 8) throw new Error("run prefix must be 8 bytes");
  return (tpl, serial) => {
    const { bytes } = tpl;
    for (let t = 0; t < tpl.traceIdOffsets.length; t++) {
      for (const at of tpl.traceIdOffsets[t]!) {
        runPrefix.copy(bytes, at);
        bytes.writeUInt32BE(serial >>> 0, at + 8);
        bytes.writeUInt32BE(t, at + 12);
      }
    }
    return bytes;
  };
}
