import { ATTR, EXCEPTION_EVENT_NAME } from "@codewarden/common";
import {
  arr,
  field,
  int,
  type JsonObject,
  jsonAnyValue,
  jsonAttributes,
  jsonAttributesHaveKey,
  jsonId,
  jsonResource,
  nanos,
  obj,
  parseJsonBody,
  str,
} from "./json-common";
import {
  type Attributes,
  type DecodedLogRecord,
  type DecodedLogs,
  type DecodedMetrics,
  type DecodedSpan,
  type DecodedSpanEvent,
  type DecodedTraces,
  STATUS_CODE_ERROR,
} from "./model";
import { guardDecode } from "./wire";

const SPAN_KIND_NAMES = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
} as const;
const STATUS_CODE_NAMES = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } as const;
const EXCEPTION_KEYS = [ATTR.exceptionType, ATTR.exceptionMessage];

/** Decodes an ExportTraceServiceRequest in the OTLP/JSON mapping. Throws DecodeError. */
export function decodeTracesJson(bytes: Uint8Array): DecodedTraces {
  return guardDecode("ExportTraceServiceRequest", () => {
    const root = parseJsonBody(bytes);
    const out: DecodedTraces = { spanCount: 0, candidates: [] };
    for (const rsv of arr(field(root, "resourceSpans", "resource_spans"), "resourceSpans")) {
      const rs = obj(rsv, "resourceSpans[]");
      if (!rs) continue;
      let resource: Attributes | null = null;
      for (const ssv of arr(field(rs, "scopeSpans", "scope_spans"), "scopeSpans")) {
        const ss = obj(ssv, "scopeSpans[]");
        if (!ss) continue;
        const spans = arr(field(ss, "spans"), "spans");
        out.spanCount += spans.length;
        spans.forEach((sv, index) => {
          const s = obj(sv, "spans[]");
          if (!s || !isSpanCandidate(s)) return;
          resource ??= jsonResource(field(rs, "resource"), "resource");
          out.candidates.push({ resource, span: decodeSpan(s, index) });
        });
      }
    }
    return out;
  });
}

function isExceptionEvent(ev: unknown): boolean {
  const o = obj(ev, "events[]");
  return o !== undefined && str(field(o, "name")) === EXCEPTION_EVENT_NAME;
}

function isSpanCandidate(s: JsonObject): boolean {
  const status = obj(field(s, "status"), "status");
  if (status && int(field(status, "code"), STATUS_CODE_NAMES) === STATUS_CODE_ERROR) return true;
  return arr(field(s, "events"), "events").some(isExceptionEvent);
}

function decodeSpan(s: JsonObject, index: number): DecodedSpan {
  const status = obj(field(s, "status"), "status");
  const exceptionEvents: DecodedSpanEvent[] = [];
  arr(field(s, "events"), "events").forEach((ev, i) => {
    if (!isExceptionEvent(ev)) return;
    const e = ev as JsonObject;
    exceptionEvents.push({
      index: i,
      timeUnixNano: nanos(field(e, "timeUnixNano", "time_unix_nano")),
      name: EXCEPTION_EVENT_NAME,
      attributes: jsonAttributes(field(e, "attributes"), "events[].attributes"),
    });
  });
  return {
    index,
    traceId: jsonId(field(s, "traceId", "trace_id"), 16),
    spanId: jsonId(field(s, "spanId", "span_id"), 8),
    name: str(field(s, "name")),
    kind: int(field(s, "kind"), SPAN_KIND_NAMES),
    startTimeUnixNano: nanos(field(s, "startTimeUnixNano", "start_time_unix_nano")),
    endTimeUnixNano: nanos(field(s, "endTimeUnixNano", "end_time_unix_nano")),
    statusCode: status ? int(field(status, "code"), STATUS_CODE_NAMES) : 0,
    statusMessage: status ? str(field(status, "message")) : "",
    attributes: jsonAttributes(field(s, "attributes"), "spans[].attributes"),
    exceptionEvents,
  };
}

/** Decodes an ExportLogsServiceRequest in the OTLP/JSON mapping. Throws DecodeError. */
export function decodeLogsJson(bytes: Uint8Array): DecodedLogs {
  return guardDecode("ExportLogsServiceRequest", () => {
    const root = parseJsonBody(bytes);
    const out: DecodedLogs = { logRecordCount: 0, candidates: [] };
    for (const rlv of arr(field(root, "resourceLogs", "resource_logs"), "resourceLogs")) {
      const rl = obj(rlv, "resourceLogs[]");
      if (!rl) continue;
      let resource: Attributes | null = null;
      for (const slv of arr(field(rl, "scopeLogs", "scope_logs"), "scopeLogs")) {
        const sl = obj(slv, "scopeLogs[]");
        if (!sl) continue;
        const records = arr(field(sl, "logRecords", "log_records"), "logRecords");
        out.logRecordCount += records.length;
        records.forEach((lv, index) => {
          const l = obj(lv, "logRecords[]");
          if (!l || !jsonAttributesHaveKey(field(l, "attributes"), "logRecords[].attributes", EXCEPTION_KEYS))
            return;
          resource ??= jsonResource(field(rl, "resource"), "resource");
          out.candidates.push({ resource, record: decodeRecord(l, index) });
        });
      }
    }
    return out;
  });
}

function decodeRecord(l: JsonObject, index: number): DecodedLogRecord {
  return {
    index,
    timeUnixNano: nanos(field(l, "timeUnixNano", "time_unix_nano")),
    observedTimeUnixNano: nanos(field(l, "observedTimeUnixNano", "observed_time_unix_nano")),
    severityNumber: int(field(l, "severityNumber", "severity_number")),
    severityText: str(field(l, "severityText", "severity_text")),
    body: jsonAnyValue(field(l, "body"), "logRecords[].body"),
    attributes: jsonAttributes(field(l, "attributes"), "logRecords[].attributes"),
    traceId: jsonId(field(l, "traceId", "trace_id"), 16),
    spanId: jsonId(field(l, "spanId", "span_id"), 8),
    eventName: str(field(l, "eventName", "event_name")),
  };
}

const METRIC_DATA_FIELDS: ReadonlyArray<[string, string]> = [
  ["gauge", "gauge"],
  ["sum", "sum"],
  ["histogram", "histogram"],
  ["exponentialHistogram", "exponential_histogram"],
  ["summary", "summary"],
];

/** Walks an ExportMetricsServiceRequest (OTLP/JSON) far enough to count its data points. */
export function decodeMetricsJson(bytes: Uint8Array): DecodedMetrics {
  return guardDecode("ExportMetricsServiceRequest", () => {
    const root = parseJsonBody(bytes);
    let dataPointCount = 0;
    for (const rmv of arr(field(root, "resourceMetrics", "resource_metrics"), "resourceMetrics")) {
      const rm = obj(rmv, "resourceMetrics[]");
      if (!rm) continue;
      for (const smv of arr(field(rm, "scopeMetrics", "scope_metrics"), "scopeMetrics")) {
        const sm = obj(smv, "scopeMetrics[]");
        if (!sm) continue;
        for (const mv of arr(field(sm, "metrics"), "metrics")) {
          const m = obj(mv, "metrics[]");
          if (!m) continue;
          for (const [camel, snake] of METRIC_DATA_FIELDS) {
            const data = obj(field(m, camel, snake), camel);
            if (data) dataPointCount += arr(field(data, "dataPoints", "data_points"), "dataPoints").length;
          }
        }
      }
    }
    return { dataPointCount };
  });
}
