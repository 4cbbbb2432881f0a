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
  /** Spans, log records or metric data points received. */
  items: number;
  errors: ErrorEvent[];
  /** Errors dropped because the request carried more than MAX_ERRORS_PER_REQUEST. */
  rejected: number;
}

/** Decodes one OTLP export request body and extracts its errors. Throws DecodeError. */
export function processExport(
  signal: Signal,
  format: OtlpFormat,
  body: Uint8Array,
  receivedAt: string,
): ExportResult {
  let items: number;
  let errors: ErrorEvent[];
  if (signal === "traces") {
    const decoded = format === "json" ? decodeTracesJson(body) : decodeTracesProto(body);
    items = decoded.spanCount;
    errors = extractSpanErrors(decoded, receivedAt);
  } else if (signal === "logs") {
    const decoded = format === "json" ? decodeLogsJson(body) : decodeLogsProto(body);
    items = decoded.logRecordCount;
    errors = extractLogErrors(decoded, receivedAt);
  } else {
    const decoded = format === "json" ? decodeMetricsJson(body) : decodeMetricsProto(body);
    return { items: decoded.dataPointCount, errors: [], rejected: 0 };
  }
  if (errors.length <= MAX_ERRORS_PER_REQUEST) return { items, errors, rejected: 0 };
  return {
    items,
    errors: errors.slice(0, MAX_ERRORS_PER_REQUEST),
    rejected: errors.length - MAX_ERRORS_PER_REQUEST,
  };
}
