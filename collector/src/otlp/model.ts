/**
 * What the decoders hand to extraction: only the spans and log records that may carry an
 * error (candidates), plus counts of everything received. Protobuf and JSON decode to this.
 */

/** A decoded OTLP AnyValue. int64 values beyond 2^53 are kept as decimal strings. */
export type AnyValue = string | number | boolean | null | Uint8Array | AnyValue[] | KvList;

/** An AnyValue `kvlist_value`; entries keep wire order (duplicates allowed, as on the wire). */
export class KvList {
  constructor(readonly entries: Array<[string, AnyValue]>) {}
}

/** Attributes by key; on duplicate keys the first one wins. */
export type Attributes = Map<string, AnyValue>;

export interface DecodedSpanEvent {
  /** Position of the event among all events of its span. */
  index: number;
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface DecodedSpan {
  /** Position of the span in its ScopeSpans. */
  index: number;
  traceId: string | null;
  spanId: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  statusCode: number;
  statusMessage: string;
  attributes: Attributes;
  /** Only the events named `exception`. */
  exceptionEvents: DecodedSpanEvent[];
}

export interface DecodedLogRecord {
  /** Position of the record in its ScopeLogs. */
  index: number;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
  traceId: string | null;
  spanId: string | null;
  eventName: string;
}

export interface DecodedTraces {
  /** Spans received, malformed ones included. */
  spanCount: number;
  /** Spans skipped because their own bytes or fields were malformed (rejected in partial_success). */
  malformed: number;
  /** Spans with an `exception` event or with status ERROR. */
  candidates: Array<{ resource: Attributes; span: DecodedSpan }>;
}

export interface DecodedLogs {
  /** Log records received, malformed ones included. */
  logRecordCount: number;
  /** Log records skipped because their own bytes or fields were malformed. */
  malformed: number;
  /** Log records whose attributes include `exception.type` or `exception.message`. */
  candidates: Array<{ resource: Attributes; record: DecodedLogRecord }>;
}

export interface DecodedMetrics {
  /** Data points of the well-formed metrics. */
  dataPointCount: number;
  /** Metrics skipped because their own bytes or fields were malformed (their data points are not counted). */
  malformed: number;
}

/** Deepest AnyValue nesting accepted (arrays/kvlists inside arrays/kvlists). */
export const MAX_ANY_VALUE_DEPTH = 32;
/** Elements kept per array/kvlist value; the rest are skipped. */
export const MAX_COLLECTION_ITEMS = 256;
/** Attributes kept per decoded item; the rest are skipped. */
export const MAX_DECODED_ATTRIBUTES = 512;

export const STATUS_CODE_ERROR = 2;
