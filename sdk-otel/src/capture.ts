import { type Attributes, context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { type LogAttributes, logs, SeverityNumber } from "@opentelemetry/api-logs";
import { hrTime } from "@opentelemetry/core";
import { cleanAttributes } from "./attributes.js";
import { type CapturedEvent, runPipeline } from "./before-send.js";
import { debugLog } from "./diagnostics.js";
import { MAX_MESSAGE_LENGTH, toExceptionInfo } from "./exception.js";
import { markCaptured } from "./request-errors.js";
import { getRuntime } from "./runtime.js";
import { scopeAttributes } from "./scope.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

export const DEFAULT_FLUSH_TIMEOUT_MS = 2000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;

/** `exception.type` of the events captureMessage sends. */
export const MESSAGE_TYPE = "Message";

export type SeverityLevel = "debug" | "info" | "warning" | "error" | "fatal";

const SEVERITY: Record<SeverityLevel, [SeverityNumber, string]> = {
  debug: [SeverityNumber.DEBUG, "DEBUG"],
  info: [SeverityNumber.INFO, "INFO"],
  warning: [SeverityNumber.WARN, "WARN"],
  error: [SeverityNumber.ERROR, "ERROR"],
  fatal: [SeverityNumber.FATAL, "FATAL"],
};

function logAttributesOf(event: CapturedEvent): LogAttributes {
  const attributes: LogAttributes = {
    ...event.attributes,
    "exception.type": event.type,
    "exception.message": event.message,
  };
  if (event.stacktrace !== undefined) attributes["exception.stacktrace"] = event.stacktrace;
  return attributes;
}

function bodyOf(event: CapturedEvent): string {
  if (event.kind === "message") return event.message;
  return event.message ? `${event.type}: ${event.message}` : event.type;
}

/**
 * Records an exception, from any thrown value, in two places:
 * - on the active span (`recordException` + status ERROR), or, without one, on a short span named
 *   "exception" that is ended immediately;
 * - as a log record with severity ERROR, `exception.type`/`exception.message`/`exception.stacktrace`
 *   and the span's context, so the exception is kept even when the trace is sampled out.
 * Both carry the same timestamp (the same nanoseconds) and span context, so a receiver can tell that they
 * describe one exception. The user and tags in scope (setUser/setTag) and `attributes` are added to the log
 * record (and to the "exception" span). `beforeSend` and the scrub rules from init() run first.
 * A no-op until an OpenTelemetry SDK is registered; never throws.
 */
export function captureException(error: unknown, attributes?: Attributes): void {
  try {
    const info = toExceptionInfo(error);
    const event = runPipeline({
      kind: "exception",
      error,
      ...info,
      attributes: { ...scopeAttributes(), ...cleanAttributes(attributes) },
    });
    if (event === null) return;
    const time = hrTime(); // one [seconds, nanos] value, passed verbatim to the span event and the log record

    let span: Span | undefined = trace.getActiveSpan();
    const ownSpan = span === undefined;
    if (span === undefined) {
      span = trace
        .getTracer(SDK_NAME, SDK_VERSION)
        .startSpan("exception", { attributes: event.attributes, startTime: time });
    }
    span.recordException({ name: event.type, message: event.message, stack: event.stacktrace }, time);
    markCaptured(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: event.message });
    if (ownSpan) span.end(time);

    logs.getLogger(SDK_NAME, SDK_VERSION).emit({
      timestamp: time,
      observedTimestamp: time,
      severityNumber: SeverityNumber.ERROR,
      severityText: "ERROR",
      body: bodyOf(event),
      attributes: logAttributesOf(event),
      context: trace.setSpan(context.active(), span),
    });
  } catch (failure) {
    debugLog(`captureException failed: ${String(failure)}`);
  }
}

/**
 * Sends `message` as a log record (severity `level`, default "info") in the active span's context, with
 * `exception.type` "Message" and `exception.message` so CodeWarden groups it into an issue like an exception.
 * No span event is recorded and the span's status is left alone. The user and tags in scope, `attributes`,
 * `beforeSend` and the scrub rules apply as for captureException. Never throws.
 */
export function captureMessage(
  message: string,
  attributes?: Attributes,
  level: SeverityLevel = "info",
): void {
  try {
    const text = typeof message === "string" ? message : toExceptionInfo(message).message;
    const event = runPipeline({
      kind: "message",
      error: message,
      type: MESSAGE_TYPE,
      message: text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…[truncated]` : text,
      attributes: { ...scopeAttributes(), ...cleanAttributes(attributes) },
    });
    if (event === null) return;
    const [severityNumber, severityText] = SEVERITY[level] ?? SEVERITY.info;
    const time = hrTime();
    logs.getLogger(SDK_NAME, SDK_VERSION).emit({
      timestamp: time,
      observedTimestamp: time,
      severityNumber,
      severityText,
      body: bodyOf(event),
      attributes: logAttributesOf(event),
      context: context.active(),
    });
  } catch (failure) {
    debugLog(`captureMessage failed: ${String(failure)}`);
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
