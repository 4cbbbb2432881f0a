/**
 * Error traffic for the worker benchmark and the no-loss test: OTLP ExportTraceServiceRequests
 * built with the official OpenTelemetry SDK and serializer, as an instrumented Node service
 * sends them, each carrying `errorsPerRequest` failed server spans with one `exception` span
 * event recorded from a real thrown Error (type, message with variable ids, stack trace), and
 * two successful client spans under each (a database query and an outgoing HTTP call).
 *
 * The errors form `issues` distinct problems (fingerprints): 10 exception classes thrown from
 * 5 route handlers, i.e. up to 50 combinations of type and in-app frames; with more than 50,
 * the `codewarden.fingerprint` attribute names the group. Every span has new random trace and
 * span ids, so every error has its own natural key and none is a duplicate of another.
 */
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

class ValidationError extends Error {}
class PaymentDeclinedError extends Error {}
class InventoryUnavailableError extends Error {}
class UpstreamTimeoutError extends Error {}
class RateLimitedError extends Error {}
class ConflictError extends Error {}
class NotFoundError extends Error {}
class PermissionDeniedError extends Error {}
class SerializationError extends Error {}
class DatabaseError extends Error {}

const ERROR_CLASSES = [
  ValidationError,
  PaymentDeclinedError,
  InventoryUnavailableError,
  UpstreamTimeoutError,
  RateLimitedError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  SerializationError,
  DatabaseError,
] as const;
for (const C of ERROR_CLASSES) Object.defineProperty(C.prototype, "name", { value: C.name });

const errorClass = (kind: number) => ERROR_CLASSES[kind % ERROR_CLASSES.length]!;
const errorMessage = (n: number) =>
  `request ${n} failed for order ${10_000 + (n % 9973)} (customer c_${(n * 7919) % 100_000})`;

// Five route handlers, each with its own throw site (grouping keys on the top in-app frame).
function checkout(kind: number, n: number): void {
  const Err = errorClass(kind);
  throw new Err(errorMessage(n));
}
function placeOrder(kind: number, n: number): void {
  const Err = errorClass(kind);
  throw new Err(errorMessage(n));
}
function updateProfile(kind: number, n: number): void {
  const Err = errorClass(kind);
  throw new Err(errorMessage(n));
}
function searchCatalog(kind: number, n: number): void {
  const Err = errorClass(kind);
  throw new Err(errorMessage(n));
}
function listOrders(kind: number, n: number): void {
  const Err = errorClass(kind);
  throw new Err(errorMessage(n));
}
const ROUTES: Array<[string, (kind: number, n: number) => void]> = [
  ["POST /api/checkout", checkout],
  ["POST /api/orders", placeOrder],
  ["PUT /api/profile", updateProfile],
  ["GET /api/search", searchCatalog],
  ["GET /api/orders", listOrders],
];

/** Distinct (class, route) pairs available without a fingerprint override. */
export const NATURAL_ISSUES = ERROR_CLASSES.length * ROUTES.length;

export interface ErrorTraffic {
  /** Distinct issues the errors group into (default 50). */
  issues?: number;
  /** `service.name` of the sending app (default "shop-api"). */
  serviceName?: string;
}

export interface ErrorRequest {
  /** The serialized ExportTraceServiceRequest (application/x-protobuf). */
  body: Uint8Array;
  /** Trace and span id (hex) of each failed span, i.e. of each error the request carries. */
  errorSpans: Array<{ traceId: string; spanId: string }>;
}

/** A builder of serialized requests: one tracer provider, reused for every request. */
export function createErrorRequestBuilder(opts: ErrorTraffic = {}) {
  const issues = opts.issues ?? 50;
  if (!Number.isInteger(issues) || issues < 1)
    throw new Error(`issues must be a positive integer, got ${issues}`);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": opts.serviceName ?? "shop-api",
      "service.namespace": "shop",
      "service.version": "2.14.0",
      "service.instance.id": "9f1c7d52-3b8e-4a51-9d0e-2f6a4c1b7e30",
      "deployment.environment.name": "bench",
      "host.name": "shop-api-7d9f8c6b5-x2k4q",
      "process.runtime.name": "nodejs",
      "process.runtime.version": "20.19.0",
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.sdk.language": "nodejs",
      "telemetry.sdk.version": "2.0.0",
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("@opentelemetry/instrumentation-http", "0.200.0");

  /**
   * One ExportTraceServiceRequest with `errors` failed requests; `first` numbers the first error
   * (error n belongs to issue n mod `issues`, so consecutive errors spread over all issues).
   */
  function build(first: number, errors: number): ErrorRequest {
    const errorSpans: ErrorRequest["errorSpans"] = [];
    for (let i = 0; i < errors; i++) {
      const n = first + i;
      const issue = n % issues;
      const [route, handler] = ROUTES[Math.floor(issue / ERROR_CLASSES.length) % ROUTES.length]!;
      const [method, path] = route.split(" ") as [string, string];
      const root = tracer.startSpan(route, {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": method,
          "http.route": path,
          "url.path": path,
          "url.scheme": "http",
          "server.address": "shop.internal",
          "server.port": 8080,
          "user_agent.original":
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
          "http.response.status_code": 500,
          ...(issues > NATURAL_ISSUES ? { "codewarden.fingerprint": `bench-issue-${issue}` } : {}),
        },
      });
      const parent = trace.setSpan(context.active(), root);
      tracer
        .startSpan(
          "SELECT shop.orders",
          {
            kind: SpanKind.CLIENT,
            attributes: {
              "db.system.name": "postgresql",
              "db.namespace": "shop",
              "db.operation.name": "SELECT",
              "db.query.text": "SELECT id, status, total FROM orders WHERE customer_id = $1 LIMIT 20",
              "server.address": "db.internal",
              "server.port": 5432,
            },
          },
          parent,
        )
        .end();
      tracer
        .startSpan(
          "POST",
          {
            kind: SpanKind.CLIENT,
            attributes: {
              "http.request.method": "POST",
              "url.full": "http://inventory.internal:8081/v1/reserve",
              "server.address": "inventory.internal",
              "server.port": 8081,
              "http.response.status_code": 503,
            },
          },
          parent,
        )
        .end();
      try {
        handler(issue % ERROR_CLASSES.length, n);
      } catch (err) {
        root.recordException(err as Error);
        root.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      }
      root.end();
      const { traceId, spanId } = root.spanContext();
      errorSpans.push({ traceId, spanId });
    }
    const spans = exporter.getFinishedSpans();
    exporter.reset();
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) throw new Error("the OTLP serializer returned nothing");
    return { body, errorSpans };
  }

  return { build, shutdown: () => provider.shutdown() };
}
