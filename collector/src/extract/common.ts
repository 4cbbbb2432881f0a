import { hash } from "node:crypto";
import { ATTR, type ErrorEvent, LIMITS, type ResourceInfo } from "@codewarden/common";
import type { AnyValue, Attributes } from "../otlp/model";
import { capString, scalarString } from "./strings";

/** The resource attributes CodeWarden keeps, capped. */
export function resourceInfo(attrs: Attributes): ResourceInfo {
  const get = (key: string): string | null => {
    const s = scalarString(attrs.get(key));
    return s === null || s === "" ? null : capString(s, LIMITS.shortString);
  };
  return {
    serviceName: get(ATTR.serviceName),
    serviceNamespace: get(ATTR.serviceNamespace),
    serviceVersion: get(ATTR.serviceVersion),
    serviceInstanceId: get(ATTR.serviceInstanceId),
    environment: get(ATTR.deploymentEnvironmentName) ?? get(ATTR.deploymentEnvironment),
    sdkLanguage: get(ATTR.sdkLanguage),
    hostName: get(ATTR.hostName),
  };
}

/** Memoises resourceInfo per decoded resource (all items of one ResourceSpans/ResourceLogs share it). */
export function resourceInfoCache(): (attrs: Attributes) => ResourceInfo {
  const cache = new WeakMap<Attributes, ResourceInfo>();
  return (attrs) => {
    let info = cache.get(attrs);
    if (!info) {
      info = resourceInfo(attrs);
      cache.set(attrs, info);
    }
    return info;
  };
}

/** First string value of `key` among the maps, in order; null when none has it. */
export function firstString(key: string, ...maps: Attributes[]): string | null {
  for (const m of maps) {
    const s = scalarString(m.get(key));
    if (s !== null) return s;
  }
  return null;
}

/** Keys already carried by dedicated ErrorEvent fields. */
const OWN_FIELDS = new Set<string>([
  ATTR.exceptionType,
  ATTR.exceptionMessage,
  ATTR.exceptionStacktrace,
  ATTR.fingerprint,
]);

/**
 * Scalar attributes of the given maps (earlier maps win), capped in count, key and value size.
 * Arrays, maps and bytes are left out. `__proto__` is dropped so the object is safe to spread.
 */
export function collectAttributes(...maps: Attributes[]): ErrorEvent["attributes"] {
  const out: ErrorEvent["attributes"] = {};
  let count = 0;
  for (const m of maps) {
    for (const [rawKey, value] of m) {
      if (count >= LIMITS.attributesPerEvent) return out;
      if (OWN_FIELDS.has(rawKey) || rawKey === "") continue;
      const key = capString(rawKey, LIMITS.attributeKey);
      if (key === "__proto__" || Object.hasOwn(out, key)) continue;
      const v = scalarValue(value);
      if (v === undefined) continue;
      out[key] = v;
      count++;
    }
  }
  return out;
}

function scalarValue(v: AnyValue): string | number | boolean | undefined {
  if (typeof v === "string") return capString(v, LIMITS.attributeValue);
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  return undefined;
}

/** Last millisecond of year 9999: later times have no plain ISO-8601 form. */
const MAX_ISO_MS = 253_402_300_799_999n;

/** ISO-8601 of a Unix time in nanoseconds; null when unset (0) or beyond year 9999. */
export function nanosToIso(nanos: bigint): string | null {
  const ms = nanos / 1_000_000n;
  if (nanos <= 0n || ms > MAX_ISO_MS) return null;
  return new Date(Number(ms)).toISOString();
}

export interface EventKeyParts {
  source: ErrorEvent["source"];
  traceId: string | null;
  spanId: string | null;
  timeUnixNano: bigint;
  index: number;
  exceptionType: string;
  /** The item's own `exception.message` ("" when it has none; never the log body). */
  message: string;
}

/**
 * Natural keys of the events of one request: the same OTLP item always gets the same key,
 * so a retried request is counted once (first 32 hex chars of a sha256).
 *
 * An exception with trace context is keyed by (trace id, span id, type, digest of the message,
 * the second of its time, n-th such exception from its signal in this request), without its
 * signal: an SDK that emits one exception both as a span event and as a log record (ours;
 * OpenTelemetry's `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=logs/dup`) produces one event, although
 * the log record's time is not exactly the span event's — Python takes a second clock reading,
 * Java's SDK leaves the log's timestamp unset (observed time only), both within milliseconds.
 * Two identical exceptions recorded on one span stay two (0th and 1st) and pair with their log
 * twins in order; the same exception logged again on a long-lived span in a later second (a
 * retry loop, a consumer) is a new event. The cost: twins on both sides of a second boundary
 * count twice, and identical exceptions of one span in one second sent in two requests count once.
 * Anything else is keyed by (source, trace id, span id, time, position in its parent, type).
 */
export function createEventKeyer(): (parts: EventKeyParts) => string {
  const seen = new Map<string, number>();
  return (parts) => {
    let material: string;
    if (parts.source !== "span_status" && parts.traceId && parts.spanId) {
      const digest = hash("sha256", parts.message).slice(0, 16);
      const second = parts.timeUnixNano > 0n ? (parts.timeUnixNano / 1_000_000_000n).toString() : "";
      const base = ["exception", parts.traceId, parts.spanId, parts.exceptionType, digest, second].join("|");
      const n = seen.get(`${parts.source}|${base}`) ?? 0;
      seen.set(`${parts.source}|${base}`, n + 1);
      material = `${base}|${n}`;
    } else {
      material = [
        parts.source,
        parts.traceId ?? "",
        parts.spanId ?? "",
        parts.timeUnixNano.toString(),
        String(parts.index),
        parts.exceptionType,
      ].join("|");
    }
    return hash("sha256", material).slice(0, 32);
  };
}

/** Span kind and status code clamped to the ranges of the schema (unknown → 0). */
export function spanKind(kind: number): number {
  return Number.isInteger(kind) && kind >= 0 && kind <= 5 ? kind : 0;
}
export function statusCode(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 2 ? code : 0;
}

/** Exception type used when an item carries a message but no type. */
export const DEFAULT_EXCEPTION_TYPE = "Error";
