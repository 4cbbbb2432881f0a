import {
  type AnyValue,
  type Attributes,
  KvList,
  MAX_ANY_VALUE_DEPTH,
  MAX_COLLECTION_ITEMS,
  MAX_DECODED_ATTRIBUTES,
} from "./model";
import {
  bytesEqual,
  DecodeError,
  expectEnd,
  expectWire,
  messageEnd,
  type Reader,
  readInt64,
  readTag,
  skipField,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from "./wire";

// Field numbers from opentelemetry-proto common/v1/common.proto.
const ANY_STRING = 1;
const ANY_BOOL = 2;
const ANY_INT = 3;
const ANY_DOUBLE = 4;
const ANY_ARRAY = 5;
const ANY_KVLIST = 6;
const ANY_BYTES = 7;
const KV_KEY = 1;
const KV_VALUE = 2;
const LIST_VALUES = 1; // ArrayValue.values and KeyValueList.values
const RESOURCE_ATTRIBUTES = 1;

/** Decodes an embedded AnyValue whose length prefix is next in the reader. */
export function decodeAnyValue(r: Reader, depth: number): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH)
    throw new DecodeError(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const end = messageEnd(r);
  let value: AnyValue = null;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case ANY_STRING:
        expectWire(field, wire, WIRE_LEN);
        value = r.string();
        break;
      case ANY_BOOL:
        expectWire(field, wire, WIRE_VARINT);
        value = r.bool();
        break;
      case ANY_INT:
        expectWire(field, wire, WIRE_VARINT);
        value = readInt64(r);
        break;
      case ANY_DOUBLE:
        expectWire(field, wire, WIRE_FIXED64);
        value = r.double();
        break;
      case ANY_ARRAY:
        expectWire(field, wire, WIRE_LEN);
        value = decodeArrayValue(r, depth + 1);
        break;
      case ANY_KVLIST:
        expectWire(field, wire, WIRE_LEN);
        value = decodeKvList(r, depth + 1);
        break;
      case ANY_BYTES:
        expectWire(field, wire, WIRE_LEN);
        value = r.bytes();
        break;
      default:
        skipField(r, wire);
    }
  }
  expectEnd(r, end);
  return value;
}

function decodeArrayValue(r: Reader, depth: number): AnyValue[] {
  const end = messageEnd(r);
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === LIST_VALUES) {
      expectWire(field, wire, WIRE_LEN);
      const v = decodeAnyValue(r, depth);
      if (values.length < MAX_COLLECTION_ITEMS) values.push(v);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return values;
}

function decodeKvList(r: Reader, depth: number): KvList {
  const end = messageEnd(r);
  const entries: Array<[string, AnyValue]> = [];
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === LIST_VALUES) {
      expectWire(field, wire, WIRE_LEN);
      const kv = decodeKeyValue(r, depth);
      if (entries.length < MAX_COLLECTION_ITEMS) entries.push(kv);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return new KvList(entries);
}

/** Decodes an embedded KeyValue whose length prefix is next in the reader. */
export function decodeKeyValue(r: Reader, depth: number): [string, AnyValue] {
  const end = messageEnd(r);
  let key = "";
  let value: AnyValue = null;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === KV_KEY) {
      expectWire(field, wire, WIRE_LEN);
      key = r.string();
    } else if (field === KV_VALUE) {
      expectWire(field, wire, WIRE_LEN);
      value = decodeAnyValue(r, depth);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return [key, value];
}

/** Decodes one `attributes` entry (an embedded KeyValue) into `attrs`; the first of duplicate keys wins. */
export function decodeAttributeInto(r: Reader, attrs: Attributes): void {
  const [key, value] = decodeKeyValue(r, 0);
  if (attrs.size < MAX_DECODED_ATTRIBUTES && !attrs.has(key)) attrs.set(key, value);
}

/** Decodes a Resource message lying at buf[start, end) of the reader's buffer. */
export function decodeResourceAt(r: Reader, start: number, end: number): Attributes {
  const attrs: Attributes = new Map();
  const saved = r.pos;
  r.pos = start;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === RESOURCE_ATTRIBUTES) {
      expectWire(field, wire, WIRE_LEN);
      decodeAttributeInto(r, attrs);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  r.pos = saved;
  return attrs;
}

/**
 * Checks, without decoding values, whether an embedded KeyValue (length prefix next in the
 * reader) has one of the given keys. Leaves the reader after the KeyValue.
 */
export function keyValueHasKey(r: Reader, keys: readonly Uint8Array[]): boolean {
  const end = messageEnd(r);
  let found = false;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === KV_KEY && wire === WIRE_LEN) {
      const len = r.uint32();
      const start = r.pos;
      if (start + len > end) throw new DecodeError("KeyValue key overruns its message");
      r.pos = start + len;
      for (const k of keys) if (bytesEqual(r.buf, start, start + len, k)) found = true;
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return found;
}

export const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8");
