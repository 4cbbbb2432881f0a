import { ATTR, type ErrorEvent, LIMITS, type ResourceInfo } from "@codewarden/common";
import type { DecodedSpan, DecodedTraces } from "../otlp/model";
import { STATUS_CODE_ERROR } from "../otlp/model";
import {
  collectAttributes,
  createEventKeyer,
  DEFAULT_EXCEPTION_TYPE,
  type EventKeyParts,
  firstString,
  nanosToIso,
  resourceInfoCache,
  spanKind,
  statusCode,
} from "./common";
import { capString } from "./strings";

/** OTLP span kind SERVER. */
const SPAN_KIND_SERVER = 2;

/**
 * Errors carried by spans: one per span event named `exception`, and one per ERROR span
 * that has `error.type` but no exception event (source `span_status`) — except a SERVER span
 * whose trace, from the same resource in this request, already carries an exception: that request
 * answered 5xx because of the exception (a framework records it on its handler's span, under the
 * server span), and one failure is one error, not an exception plus a "500". A CLIENT span's
 * status (a failed downstream call) is always its own error.
 */
export function extractSpanErrors(decoded: DecodedTraces, receivedAt: string): ErrorEvent[] {
  const errors: ErrorEvent[] = [];
  const infoOf = resourceInfoCache();
  const eventKey = createEventKeyer();
  const tracesWithExceptions = new Map<unknown, Set<string>>();
  for (const { resource, span } of decoded.candidates) {
    if (span.exceptionEvents.length === 0 || !span.traceId) continue;
    const traces = tracesWithExceptions.get(resource) ?? new Set<string>();
    traces.add(span.traceId);
    tracesWithExceptions.set(resource, traces);
  }
  for (const { resource, span } of decoded.candidates) {
    const info = infoOf(resource);
    if (span.exceptionEvents.length > 0) {
      for (const event of span.exceptionEvents)
        errors.push(fromExceptionEvent(span, event, info, receivedAt, eventKey));
    } else if (span.statusCode === STATUS_CODE_ERROR) {
      if (
        span.kind === SPAN_KIND_SERVER &&
        span.traceId &&
        tracesWithExceptions.get(resource)?.has(span.traceId)
      )
        continue;
      const error = fromErrorStatus(span, info, receivedAt, eventKey);
      if (error) errors.push(error);
    }
  }
  return errors;
}

function spanInfo(span: DecodedSpan): ErrorEvent["span"] {
  return {
    name: capString(span.name, LIMITS.shortString),
    kind: spanKind(span.kind),
    statusCode: statusCode(span.statusCode),
  };
}

function fromExceptionEvent(
  span: DecodedSpan,
  event: DecodedSpan["exceptionEvents"][number],
  resource: ResourceInfo,
  receivedAt: string,
  eventKey: (parts: EventKeyParts) => string,
): ErrorEvent {
  const a = event.attributes;
  const rawType = firstString(ATTR.exceptionType, a);
  const exceptionType = capString(rawType || DEFAULT_EXCEPTION_TYPE, LIMITS.exceptionType);
  const stack = firstString(ATTR.exceptionStacktrace, a);
  const fingerprint = firstString(ATTR.fingerprint, a, span.attributes);
  const rawMessage = firstString(ATTR.exceptionMessage, a) ?? "";
  const time = event.timeUnixNano > 0n ? event.timeUnixNano : span.endTimeUnixNano || span.startTimeUnixNano;
  return {
    source: "span_event",
    eventKey: eventKey({
      source: "span_event",
      traceId: span.traceId,
      spanId: span.spanId,
      timeUnixNano: time,
      index: event.index,
      exceptionType,
      message: rawMessage,
    }),
    timestamp: nanosToIso(time) ?? receivedAt,
    traceId: span.traceId,
    spanId: span.spanId,
    exceptionType,
    message: capString(rawMessage, LIMITS.message),
    stacktrace: stack === null || stack === "" ? null : capString(stack, LIMITS.stacktrace),
    fingerprint: fingerprint ? capString(fingerprint, LIMITS.shortString) : null,
    resource,
    span: spanInfo(span),
    attributes: collectAttributes(a, span.attributes),
  };
}

function fromErrorStatus(
  span: DecodedSpan,
  resource: ResourceInfo,
  receivedAt: string,
  eventKey: (parts: EventKeyParts) => string,
): ErrorEvent | null {
  const errorType = firstString(ATTR.errorType, span.attributes);
  if (!errorType) return null;
  const exceptionType = capString(errorType, LIMITS.exceptionType);
  const fingerprint = firstString(ATTR.fingerprint, span.attributes);
  const time = span.endTimeUnixNano || span.startTimeUnixNano;
  return {
    source: "span_status",
    eventKey: eventKey({
      source: "span_status",
      traceId: span.traceId,
      spanId: span.spanId,
      timeUnixNano: time,
      index: span.index,
      exceptionType,
      message: span.statusMessage,
    }),
    timestamp: nanosToIso(time) ?? receivedAt,
    traceId: span.traceId,
    spanId: span.spanId,
    exceptionType,
    message: capString(span.statusMessage, LIMITS.message),
    stacktrace: null,
    fingerprint: fingerprint ? capString(fingerprint, LIMITS.shortString) : null,
    resource,
    span: spanInfo(span),
    attributes: collectAttributes(span.attributes),
  };
}
