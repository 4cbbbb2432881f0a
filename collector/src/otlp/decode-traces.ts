import { EXCEPTION_EVENT_NAME } from "@codewarden/common";
import { decodeAttributeInto, utf8 } from "./decode-common";
import { type WalkCallbacks, walkExportRequest } from "./decode-envelope";
import {
  type Attributes,
  type DecodedSpan,
  type DecodedSpanEvent,
  type DecodedTraces,
  STATUS_CODE_ERROR,
} from "./model";
import {
  asDecodeError,
  bytesEqual,
  createReader,
  DecodeError,
  expectEnd,
  expectWire,
  idToHex,
  messageEnd,
  type Reader,
  readFixed64,
  readLength,
  readTag,
  skipField,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "./wire";

// Field numbers from opentelemetry-proto collector/trace/v1/trace_service.proto and trace/v1/trace.proto.
const SPAN_TRACE_ID = 1;
const SPAN_SPAN_ID = 2;
const SPAN_NAME = 5;
const SPAN_KIND = 6;
const SPAN_START = 7;
const SPAN_END = 8;
const SPAN_ATTRIBUTES = 9;
const SPAN_EVENTS = 11;
const SPAN_STATUS = 15;
const EVENT_TIME = 1;
const EVENT_NAME = 2;
const EVENT_ATTRIBUTES = 3;
const STATUS_MESSAGE = 2;
const STATUS_CODE = 3;

const EXCEPTION_BYTES = utf8(EXCEPTION_EVENT_NAME);

/**
 * Decodes an ExportTraceServiceRequest. Spans are first scanned without allocation; only
 * those with an `exception` event or status ERROR are decoded fully. Throws DecodeError.
 */
export function decodeTracesProto(bytes: Uint8Array): DecodedTraces {
  const walk = new TracesWalk();
  try {
    walkExportRequest(createReader(bytes), walk);
  } catch (err) {
    throw asDecodeError("ExportTraceServiceRequest", err);
  }
  return walk.out;
}

/** The walk's callbacks as methods, not per-request closures (this runs for every request). */
class TracesWalk implements WalkCallbacks<DecodedSpan> {
  readonly out: DecodedTraces = { spanCount: 0, malformed: 0, candidates: [] };
  decodeItem(r: Reader, index: number): DecodedSpan | null {
    this.out.spanCount++;
    return decodeSpanIfCandidate(r, index);
  }
  onItem(resource: Attributes, span: DecodedSpan): void {
    this.out.candidates.push({ resource, span });
  }
  onMalformed(): void {
    this.out.malformed++;
  }
}

/**
 * Scans a span; when it may carry an error, rewinds and decodes it fully. This is the hot path
 * (every span of every request goes through it, and almost none is a candidate), so it walks the
 * buffer with a local offset and reads one-byte tags and lengths, fixed64 timestamps and varints
 * inline, without Reader calls; only multi-byte tags and lengths go through the Reader, and only
 * the `events` and `status` fields are looked into.
 */
function decodeSpanIfCandidate(r: Reader, index: number): DecodedSpan | null {
  const end = messageEnd(r);
  const start = r.pos;
  const buf = r.buf;
  let pos = start;
  let candidate = false;
  while (pos < end) {
    let tag = buf[pos] as number; // pos < end <= buf.length
    if (tag < 0x80) pos++;
    else {
      r.pos = pos;
      tag = r.uint32();
      pos = r.pos;
    }
    if (tag < 8) throw new DecodeError(`illegal field number 0 at offset ${pos}`);
    const wire = tag & 7;
    if (wire === WIRE_LEN) {
      let len = pos < end ? (buf[pos] as number) : 0x80;
      if (len < 0x80) pos++;
      else {
        r.pos = pos;
        len = readLength(r); // past the end or truncated: the Reader throws
        pos = r.pos;
      }
      const fieldEnd = pos + len;
      if (fieldEnd > end) throw new DecodeError(`field overruns its span (at ${pos}, end ${end})`);
      if (!candidate) {
        const field = tag >>> 3;
        if (field === SPAN_EVENTS) {
          r.pos = pos;
          candidate = hasExceptionName(r, fieldEnd);
        } else if (field === SPAN_STATUS) {
          r.pos = pos;
          candidate = statusIsError(r, fieldEnd);
        }
      }
      pos = fieldEnd;
    } else if (wire === WIRE_FIXED64) pos += 8;
    else if (wire === WIRE_VARINT) pos = skipVarint(buf, pos, end);
    else if (wire === WIRE_FIXED32) pos += 4;
    else throw new DecodeError(`unsupported wire type ${wire}`);
  }
  r.pos = pos;
  expectEnd(r, end);
  if (!candidate) return null;
  r.pos = start;
  return decodeSpan(r, end, index);
}

/** The offset after the varint at `pos` (at most 10 bytes; one that runs past `end` fails the caller's end check). */
function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  const limit = pos + 10;
  while (pos < end && (buf[pos] as number) >= 0x80)
    if (++pos >= limit) throw new DecodeError("invalid varint encoding");
  return pos + 1;
}

/** Whether an Event (fields up to `end`) is named `exception`; the last `name` on the wire wins. */
function hasExceptionName(r: Reader, end: number): boolean {
  let isException = false;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === EVENT_NAME && wire === WIRE_LEN) {
      const len = r.uint32();
      const s = r.pos;
      r.pos = s + len;
      if (r.pos > end) return false;
      isException = bytesEqual(r.buf, s, s + len, EXCEPTION_BYTES);
    } else skipField(r, wire);
  }
  return isException;
}

function statusIsError(r: Reader, end: number): boolean {
  let code = 0;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === STATUS_CODE && wire === WIRE_VARINT) code = r.int32();
    else skipField(r, wire);
  }
  return code === STATUS_CODE_ERROR;
}

function decodeSpan(r: Reader, end: number, index: number): DecodedSpan {
  const span: DecodedSpan = {
    index,
    traceId: null,
    spanId: null,
    name: "",
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    statusCode: 0,
    statusMessage: "",
    attributes: new Map(),
    exceptionEvents: [],
  };
  let eventIndex = 0;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case SPAN_TRACE_ID:
        expectWire(field, wire, WIRE_LEN);
        span.traceId = idToHex(r.bytes(), 16);
        break;
      case SPAN_SPAN_ID:
        expectWire(field, wire, WIRE_LEN);
        span.spanId = idToHex(r.bytes(), 8);
        break;
      case SPAN_NAME:
        expectWire(field, wire, WIRE_LEN);
        span.name = r.string();
        break;
      case SPAN_KIND:
        expectWire(field, wire, WIRE_VARINT);
        span.kind = r.int32();
        break;
      case SPAN_START:
        expectWire(field, wire, WIRE_FIXED64);
        span.startTimeUnixNano = readFixed64(r);
        break;
      case SPAN_END:
        expectWire(field, wire, WIRE_FIXED64);
        span.endTimeUnixNano = readFixed64(r);
        break;
      case SPAN_ATTRIBUTES:
        expectWire(field, wire, WIRE_LEN);
        decodeAttributeInto(r, span.attributes);
        break;
      case SPAN_EVENTS: {
        expectWire(field, wire, WIRE_LEN);
        const event = decodeEventIfException(r, eventIndex++);
        if (event) span.exceptionEvents.push(event);
        break;
      }
      case SPAN_STATUS:
        expectWire(field, wire, WIRE_LEN);
        decodeStatus(r, span);
        break;
      default:
        skipField(r, wire);
    }
  }
  expectEnd(r, end);
  return span;
}

function decodeEventIfException(r: Reader, index: number): DecodedSpanEvent | null {
  const end = messageEnd(r);
  const start = r.pos;
  if (!hasExceptionName(r, end)) {
    r.pos = end;
    return null;
  }
  r.pos = start;
  const event: DecodedSpanEvent = { index, timeUnixNano: 0n, name: "", attributes: new Map() };
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === EVENT_TIME) {
      expectWire(field, wire, WIRE_FIXED64);
      event.timeUnixNano = readFixed64(r);
    } else if (field === EVENT_NAME) {
      expectWire(field, wire, WIRE_LEN);
      event.name = r.string();
    } else if (field === EVENT_ATTRIBUTES) {
      expectWire(field, wire, WIRE_LEN);
      decodeAttributeInto(r, event.attributes);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return event;
}

function decodeStatus(r: Reader, span: DecodedSpan): void {
  const end = messageEnd(r);
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === STATUS_MESSAGE) {
      expectWire(field, wire, WIRE_LEN);
      span.statusMessage = r.string();
    } else if (field === STATUS_CODE) {
      expectWire(field, wire, WIRE_VARINT);
      span.statusCode = r.int32();
    } else skipField(r, wire);
  }
  expectEnd(r, end);
}
