import {
  type Attributes,
  type AttributeValue,
  context,
  type Span,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { type LogAttributes, logs, SeverityNumber } from "@opentelemetry/api-logs";
import { hrTime } from "@opentelemetry/core";
import { debugLog } from "./diagnostics.js";
import { toExceptionInfo } from "./exception.js";
import { getRuntime } from "./runtime.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

export const DEFAULT_FLUSH_TIMEOUT_MS = 2000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;
const MAX_EXTRA_ATTRIBUTES = 64;

function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === "string" || t === "boolean" || (t === "number" && Number.isFinite(value))) return true;
  return (
    Array.isArray(value) &&
    value.every(
      (item) => item === null || item === undefined || ["string", "number", "boolean"].includes(typeof item),
    )
  );
}

/** Keeps valid attribute values only (bad ones are dropped, never thrown on). */
function cleanAttributes(attributes: unknown): Attributes {
  const clean: Attributes = {};
  if (attributes === null || typeof attributes !== "object") return clean;
  let count = 0;
  for (const [key, value] of Object.entries(attributes)) {
    if (count >= MAX_EXTRA_ATTRIBUTES) break;
    if (key !== "" && isAttributeValue(value)) {
      clean[key] = value;
      count++;
    }
  }
  return clean;
}

/**
 * Records an exception, from any thrown value, in two places:
 * - on the active span (`recordException` + status ERROR), or, without one, on a short span named
 *   "exception" that is ended immediately;
 * - as a log record with severity ERROR, `exception.type`/`exception.message`/`exception.stacktrace`
 *   and the span's context, so the exception is kept even when the trace is sampled out.
 * Both carry the same timestamp (the same nanoseconds) and span context, so a receiver can tell that they
 * describe one exception. `attributes` are added to the log record (and to the "exception" span).
 * A no-op until an OpenTelemetry SDK is registered; never throws.
 */
export function captureException(error: unknown, attributes?: Attributes): void {
  try {
    const info = toExceptionInfo(error);
    const extra = cleanAttributes(attributes);
    const time = hrTime(); // one [seconds, nanos] value, passed verbatim to the span event and the log record

    let span: Span | undefined = trace.getActiveSpan();
    const ownSpan = span === undefined;
    if (span === undefined) {
      span = trace
        .getTracer(SDK_NAME, SDK_VERSION)
        .startSpan("exception", { attributes: extra, startTime: time });
    }
    span.recordException({ name: info.type, message: info.message, stack: info.stacktrace }, time);
    span.setStatus({ code: SpanStatusCode.ERROR, message: info.message });
    if (ownSpan) span.end(time);

    const logAttributes: LogAttributes = {
      ...extra,
      "exception.type": info.type,
      "exception.message": info.message,
    };
    if (info.stacktrace !== undefined) logAttributes["exception.stacktrace"] = info.stacktrace;
    logs.getLogger(SDK_NAME, SDK_VERSION).emit({
      timestamp: time,
      observedTimestamp: time,
      severityNumber: SeverityNumber.ERROR,
      severityText: "ERROR",
      body: info.message ? `${info.type}: ${info.message}` : info.type,
      attributes: logAttributes,
      context: trace.setSpan(context.active(), span),
    });
  } catch (failure) {
    debugLog(`captureException failed: ${String(failure)}`);
  }
}

/** Exports buffered spans and logs. Resolves true when done within `timeoutMs` (or nothing is running); never rejects. */
export function flush(timeoutMs: number = DEFAULT_FLUSH_TIMEOUT_MS): Promise<boolean> {
  const runtime = getRuntime();
  return runtime ? runtime.flush(timeoutMs) : Promise.resolve(true);
}

/** Flushes, stops exporting and removes the process hooks. Resolves true when done within `timeoutMs`; never rejects. */
export function shutdown(timeoutMs: number = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<boolean> {
  const runtime = getRuntime();
  return runtime ? runtime.shutdown(timeoutMs) : Promise.resolve(true);
}
