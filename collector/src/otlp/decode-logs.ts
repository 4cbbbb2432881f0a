import { ATTR } from "@codewarden/common";
import { decodeAnyValue, decodeAttributeInto, keyValueHasKey, utf8 } from "./decode-common";
import { type WalkCallbacks, walkExportRequest } from "./decode-envelope";
import type { Attributes, DecodedLogRecord, DecodedLogs } from "./model";
import {
  asDecodeError,
  createReader,
  expectEnd,
  expectWire,
  idToHex,
  messageEnd,
  type Reader,
  readFixed64,
  readTag,
  skipField,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "./wire";

// Field numbers from opentelemetry-proto collector/logs/v1/logs_service.proto and logs/v1/logs.proto.
const LOG_TIME = 1;
const LOG_SEVERITY_NUMBER = 2;
const LOG_SEVERITY_TEXT = 3;
const LOG_BODY = 5;
const LOG_ATTRIBUTES = 6;
const LOG_TRACE_ID = 9;
const LOG_SPAN_ID = 10;
const LOG_OBSERVED_TIME = 11;
const LOG_EVENT_NAME = 12;

const EXCEPTION_KEYS = [utf8(ATTR.exceptionType), utf8(ATTR.exceptionMessage)];

/**
 * Decodes an ExportLogsServiceRequest. Records are scanned by attribute key first; only
 * those carrying `exception.type` or `exception.message` are decoded fully. Throws DecodeError.
 */
export function decodeLogsProto(bytes: Uint8Array): DecodedLogs {
  const walk = new LogsWalk();
  try {
    walkExportRequest(createReader(bytes), walk);
  } catch (err) {
    throw asDecodeError("ExportLogsServiceRequest", err);
  }
  return walk.out;
}

/** The walk's callbacks as methods, not per-request closures (this runs for every request). */
class LogsWalk implements WalkCallbacks<DecodedLogRecord> {
  readonly out: DecodedLogs = { logRecordCount: 0, malformed: 0, candidates: [] };
  decodeItem(r: Reader, index: number): DecodedLogRecord | null {
    this.out.logRecordCount++;
    return decodeRecordIfCandidate(r, index);
  }
  onItem(resource: Attributes, record: DecodedLogRecord): void {
    this.out.candidates.push({ resource, record });
  }
  onMalformed(): void {
    this.out.malformed++;
  }
}

function decodeRecordIfCandidate(r: Reader, index: number): DecodedLogRecord | null {
  const end = messageEnd(r);
  const start = r.pos;
  let candidate = false;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === LOG_ATTRIBUTES && wire === WIRE_LEN && !candidate) {
      if (keyValueHasKey(r, EXCEPTION_KEYS)) candidate = true;
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  if (!candidate) return null;
  r.pos = start;
  return decodeRecord(r, end, index);
}

function decodeRecord(r: Reader, end: number, index: number): DecodedLogRecord {
  const rec: DecodedLogRecord = {
    index,
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: "",
    body: null,
    attributes: new Map(),
    traceId: null,
    spanId: null,
    eventName: "",
  };
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case LOG_TIME:
        expectWire(field, wire, WIRE_FIXED64);
        rec.timeUnixNano = readFixed64(r);
        break;
      case LOG_OBSERVED_TIME:
        expectWire(field, wire, WIRE_FIXED64);
        rec.observedTimeUnixNano = readFixed64(r);
        break;
      case LOG_SEVERITY_NUMBER:
        expectWire(field, wire, WIRE_VARINT);
        rec.severityNumber = r.int32();
        break;
      case LOG_SEVERITY_TEXT:
        expectWire(field, wire, WIRE_LEN);
        rec.severityText = r.string();
        break;
      case LOG_BODY:
        expectWire(field, wire, WIRE_LEN);
        rec.body = decodeAnyValue(r, 0);
        break;
      case LOG_ATTRIBUTES:
        expectWire(field, wire, WIRE_LEN);
        decodeAttributeInto(r, rec.attributes);
        break;
      case LOG_TRACE_ID:
        expectWire(field, wire, WIRE_LEN);
        rec.traceId = idToHex(r.bytes(), 16);
        break;
      case LOG_SPAN_ID:
        expectWire(field, wire, WIRE_LEN);
        rec.spanId = idToHex(r.bytes(), 8);
        break;
      case LOG_EVENT_NAME:
        expectWire(field, wire, WIRE_LEN);
        rec.eventName = r.string();
        break;
      default:
        skipField(r, wire);
    }
  }
  expectEnd(r, end);
  return rec;
}
