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
import { DecodeError, guardDecode } from "./wire";

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
/** SeverityNumber enum names (logs.proto), accepted where a client writes enums by name. */
const SEVERITY_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
    .flatMap((level, i) =>
      [1, 2, 3, 4].map((n) => [`SEVERITY_NUMBER_${level}${n === 1 ? "" : n}`, i * 4 + n]),
    )
    .concat([["SEVERITY_NUMBER_UNSPECIFIED", 0]]),
);

/**
 * Walks the resource → scope → item arrays of an OTLP/JSON export request. The envelope must
 * be well formed (DecodeError otherwise); an item that is not an object, or whose fields have
 * the wrong types, is counted as malformed and skipped. `inspect` returns the decoded item
 * when it is a candidate, else null. A resource whose attributes are malformed rejects its
 * candidates, which cannot be attributed to a service.
 */
function walkJson<T>(
  root: JsonObject,
  names: { resources: [string, string]; scopes: [string, string]; items: [string, string] },
  inspect: (item: JsonObject, index: number) => T | null,
  out: { count: number; malformed: number; onItem: (resource: Attributes, item: T) => void },
): void {
  const [rCamel, rSnake] = names.resources;
  const [sCamel, sSnake] = names.scopes;
  const [iCamel, iSnake] = names.items;
  for (const rv of arr(field(root, rCamel, rSnake), rCamel)) {
    const res = obj(rv, `${rCamel}[]`);
    if (!res) continue;
    const found: T[] = [];
    for (const sv of arr(field(res, sCamel, sSnake), sCamel)) {
      const scope = obj(sv, `${sCamel}[]`);
      if (!scope) continue;
      const items = arr(field(scope, iCamel, iSnake), iCamel);
      out.count += items.length;
      items.forEach((iv, index) => {
        try {
          const item = obj(iv, `${iCamel}[]`);
          const decoded = item ? inspect(item, index) : null;
          if (decoded !== null) found.push(decoded);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          out.malformed++;
        }
      });
    }
    if (found.length === 0) continue;
    let resource: Attributes;
    try {
      resource = jsonResource(field(res, "resource"), "resource");
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      out.malformed += found.length;
      continue;
    }
    for (const item of found) out.onItem(resource, item);
  }
}

/** Decodes an ExportTraceServiceRequest in the OTLP/JSON mapping. Throws DecodeError. */
export function decodeTracesJson(bytes: Uint8Array): DecodedTraces {
  return guardDecode("ExportTraceServiceRequest", () => {
    const root = parseJsonBody(bytes);
    const out: DecodedTraces = { spanCount: 0, malformed: 0, candidates: [] };
    const acc = {
      count: 0,
      malformed: 0,
      onItem: (resource: Attributes, span: DecodedSpan) => out.candidates.push({ resource, span }),
    };
    walkJson(
      root,
      {
        resources: ["resourceSpans", "resource_spans"],
        scopes: ["scopeSpans", "scope_spans"],
        items: ["spans", "spans"],
      },
      (s, index) => (isSpanCandidate(s) ? decodeSpan(s, index) : null),
      acc,
    );
    out.spanCount = acc.count;
    out.malformed = acc.malformed;
    return out;
  });
}

function isExceptionEvent(ev: unknown): boolean {
  const o = obj(ev, "events[]");
  return o !== undefined && str(field(o, "name"), "events[].name") === EXCEPTION_EVENT_NAME;
}

function isSpanCandidate(s: JsonObject): boolean {
  const status = obj(field(s, "status"), "status");
  if (status && int(field(status, "code"), "status.code", STATUS_CODE_NAMES) === STATUS_CODE_ERROR)
    return true;
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
      timeUnixNano: nanos(field(e, "timeUnixNano", "time_unix_nano"), "events[].timeUnixNano"),
      name: EXCEPTION_EVENT_NAME,
      attributes: jsonAttributes(field(e, "attributes"), "events[].attributes"),
    });
  });
  return {
    index,
    traceId: jsonId(field(s, "traceId", "trace_id"), 16, "spans[].traceId"),
    spanId: jsonId(field(s, "spanId", "span_id"), 8, "spans[].spanId"),
    name: str(field(s, "name"), "spans[].name"),
    kind: int(field(s, "kind"), "spans[].kind", SPAN_KIND_NAMES),
    startTimeUnixNano: nanos(
      field(s, "startTimeUnixNano", "start_time_unix_nano"),
      "spans[].startTimeUnixNano",
    ),
    endTimeUnixNano: nanos(field(s, "endTimeUnixNano", "end_time_unix_nano"), "spans[].endTimeUnixNano"),
    statusCode: status ? int(field(status, "code"), "status.code", STATUS_CODE_NAMES) : 0,
    statusMessage: status ? str(field(status, "message"), "status.message") : "",
    attributes: jsonAttributes(field(s, "attributes"), "spans[].attributes"),
    exceptionEvents,
  };
}

/** Decodes an ExportLogsServiceRequest in the OTLP/JSON mapping. Throws DecodeError. */
export function decodeLogsJson(bytes: Uint8Array): DecodedLogs {
  return guardDecode("ExportLogsServiceRequest", () => {
    const root = parseJsonBody(bytes);
    const out: DecodedLogs = { logRecordCount: 0, malformed: 0, candidates: [] };
    const acc = {
      count: 0,
      malformed: 0,
      onItem: (resource: Attributes, record: DecodedLogRecord) => out.candidates.push({ resource, record }),
    };
    walkJson(
      root,
      {
        resources: ["resourceLogs", "resource_logs"],
        scopes: ["scopeLogs", "scope_logs"],
        items: ["logRecords", "log_records"],
      },
      (l, index) =>
        jsonAttributesHaveKey(field(l, "attributes"), "logRecords[].attributes", EXCEPTION_KEYS)
          ? decodeRecord(l, index)
          : null,
      acc,
    );
    out.logRecordCount = acc.count;
    out.malformed = acc.malformed;
    return out;
  });
}

function decodeRecord(l: JsonObject, index: number): DecodedLogRecord {
  return {
    index,
    timeUnixNano: nanos(field(l, "timeUnixNano", "time_unix_nano"), "logRecords[].timeUnixNano"),
    observedTimeUnixNano: nanos(
      field(l, "observedTimeUnixNano", "observed_time_unix_nano"),
      "logRecords[].observedTimeUnixNano",
    ),
    severityNumber: int(
      field(l, "severityNumber", "severity_number"),
      "logRecords[].severityNumber",
      SEVERITY_NAMES,
    ),
    severityText: str(field(l, "severityText", "severity_text"), "logRecords[].severityText"),
    body: jsonAnyValue(field(l, "body"), "logRecords[].body"),
    attributes: jsonAttributes(field(l, "attributes"), "logRecords[].attributes"),
    traceId: jsonId(field(l, "traceId", "trace_id"), 16, "logRecords[].traceId"),
    spanId: jsonId(field(l, "spanId", "span_id"), 8, "logRecords[].spanId"),
    eventName: str(field(l, "eventName", "event_name"), "logRecords[].eventName"),
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
    const acc = { count: 0, malformed: 0, onItem: () => {} };
    walkJson(
      root,
      {
        resources: ["resourceMetrics", "resource_metrics"],
        scopes: ["scopeMetrics", "scope_metrics"],
        items: ["metrics", "metrics"],
      },
      (m) => {
        let points = 0;
        for (const [camel, snake] of METRIC_DATA_FIELDS) {
          const data = obj(field(m, camel, snake), camel);
          if (data) points += arr(field(data, "dataPoints", "data_points"), "dataPoints").length;
        }
        dataPointCount += points;
        return null;
      },
      acc,
    );
    return { dataPointCount, malformed: acc.malformed };
  });
}
