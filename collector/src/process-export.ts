import { type ErrorEvent, LIMITS } from "@codewarden/common";
import { extractLogErrors } from "./extract/log-exceptions";
import { extractSpanErrors } from "./extract/span-exceptions";
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from "./otlp/decode-json";
import { decodeLogsProto } from "./otlp/decode-logs";
import { decodeMetricsProto } from "./otlp/decode-metrics";
import { decodeTracesProto } from "./otlp/decode-traces";
import type { OtlpFormat, Signal } from "./otlp/responses";

/** Errors kept from one request; beyond this they are reported as rejected (partial success). */
export const MAX_ERRORS_PER_REQUEST = 10 * LIMITS.errorsPerJob;

export interface ExportResult {
  /** Spans, log records or metric data points received (malformed spans and records included). */
  items: number;
  errors: ErrorEvent[];
  /** Items skipped because they were malformed (spans, log records; for metrics, whole metrics). */
  malformed: number;
  /** Errors dropped because the request carried more than MAX_ERRORS_PER_REQUEST. */
  overflow: number;
  /** malformed + overflow: the partial_success rejected count (0: full success). */
  rejected: number;
  /** The partial_success error_message when rejected > 0. */
  message: string;
}

const NOUNS: Record<Signal, [string, string]> = {
  traces: ["span", "spans"],
  logs: ["log record", "log records"],
  metrics: ["metric", "metrics"],
};

/**
 * Decodes one OTLP export request body and extracts its errors. Throws DecodeError when the
 * envelope is undecodable; malformed items inside it are skipped and reported as rejected.
 */
export function processExport(
  signal: Signal,
  format: OtlpFormat,
  body: Uint8Array,
  receivedAt: string,
): ExportResult {
  let items: number;
  let malformed: number;
  let errors: ErrorEvent[] = [];
  if (signal === "traces") {
    const decoded = format === "json" ? decodeTracesJson(body) : decodeTracesProto(body);
    items = decoded.spanCount;
    malformed = decoded.malformed;
    errors = extractSpanErrors(decoded, receivedAt);
  } else if (signal === "logs") {
    const decoded = format === "json" ? decodeLogsJson(body) : decodeLogsProto(body);
    items = decoded.logRecordCount;
    malformed = decoded.malformed;
    errors = extractLogErrors(decoded, receivedAt);
  } else {
    const decoded = format === "json" ? decodeMetricsJson(body) : decodeMetricsProto(body);
    items = decoded.dataPointCount;
    malformed = decoded.malformed;
  }
  const overflow = Math.max(0, errors.length - MAX_ERRORS_PER_REQUEST);
  if (overflow > 0) errors = errors.slice(0, MAX_ERRORS_PER_REQUEST);
  const reasons: string[] = [];
  if (malformed > 0) {
    const [one, many] = NOUNS[signal];
    reasons.push(`${malformed} malformed ${malformed === 1 ? one : many} skipped`);
  }
  if (overflow > 0) reasons.push(`only the first ${MAX_ERRORS_PER_REQUEST} errors of a request are kept`);
  return { items, errors, malformed, overflow, rejected: malformed + overflow, message: reasons.join("; ") };
}
