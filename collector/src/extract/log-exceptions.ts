import { ATTR, type ErrorEvent, LIMITS } from "@codewarden/common";
import type { DecodedLogRecord, DecodedLogs } from "../otlp/model";
import {
  collectAttributes,
  createEventKeyer,
  DEFAULT_EXCEPTION_TYPE,
  firstString,
  nanosToIso,
  resourceInfoCache,
} from "./common";
import { capString, renderAnyValue } from "./strings";

/** Errors carried by log records with `exception.type` or `exception.message` (any severity). */
export function extractLogErrors(decoded: DecodedLogs, receivedAt: string): ErrorEvent[] {
  const errors: ErrorEvent[] = [];
  const infoOf = resourceInfoCache();
  const eventKey = createEventKeyer();
  for (const { resource, record } of decoded.candidates) {
    const a = record.attributes;
    const rawType = firstString(ATTR.exceptionType, a);
    const rawMessage = firstString(ATTR.exceptionMessage, a);
    if (rawType === null && rawMessage === null) continue;
    const exceptionType = capString(rawType || DEFAULT_EXCEPTION_TYPE, LIMITS.exceptionType);
    const stack = firstString(ATTR.exceptionStacktrace, a);
    const fingerprint = firstString(ATTR.fingerprint, a);
    const time = record.timeUnixNano || record.observedTimeUnixNano;
    errors.push({
      source: "log",
      eventKey: eventKey({
        source: "log",
        traceId: record.traceId,
        spanId: record.spanId,
        timeUnixNano: time,
        index: record.index,
        exceptionType,
        message: rawMessage ?? "",
      }),
      timestamp: nanosToIso(time) ?? receivedAt,
      traceId: record.traceId,
      spanId: record.spanId,
      exceptionType,
      message: rawMessage !== null ? capString(rawMessage, LIMITS.message) : bodyText(record),
      stacktrace: stack === null || stack === "" ? null : capString(stack, LIMITS.stacktrace),
      fingerprint: fingerprint ? capString(fingerprint, LIMITS.shortString) : null,
      resource: infoOf(resource),
      span: null,
      attributes: collectAttributes(a),
    });
  }
  return errors;
}

/** The log body as the message when the record has no `exception.message`. */
function bodyText(record: DecodedLogRecord): string {
  const body = record.body;
  if (body === null) return "";
  if (typeof body === "string") return capString(body, LIMITS.message);
  return renderAnyValue(body, LIMITS.message);
}
