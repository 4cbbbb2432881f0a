import {
  type AnyValue,
  type Attributes,
  KvList,
  MAX_ANY_VALUE_DEPTH,
  MAX_COLLECTION_ITEMS,
  MAX_DECODED_ATTRIBUTES,
} from "./model";
import { DecodeError } from "./wire";

/**
 * Helpers for the OTLP/JSON mapping: lowerCamelCase field names (the proto names are accepted
 * too), hex trace/span ids in any case (base64 accepted too), int64 as string or number, enums
 * as ints or names, unknown fields ignored, null as absent. A field of the wrong type (a number
 * for a string, a malformed id or time, an object for an array) is a DecodeError: the envelope
 * helpers let it fail the request, item decoders let it reject only their item.
 */
export type JsonObject = Record<string, unknown>;

/** Parses a JSON request body into its top-level object. */
export function parseJsonBody(bytes: Uint8Array): JsonObject {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (!isObject(parsed)) throw new DecodeError("JSON top level is not an object");
  return parsed;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A field by its lowerCamelCase JSON name or, failing that, its proto (snake_case) name. */
export function field(o: JsonObject, camel: string, snake?: string): unknown {
  const v = Object.hasOwn(o, camel) ? o[camel] : undefined;
  if (v !== undefined || snake === undefined) return v;
  return Object.hasOwn(o, snake) ? o[snake] : undefined;
}

/** An embedded message: absent/null → undefined; anything but an object → DecodeError. */
export function obj(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new DecodeError(`${path}: expected an object`);
  return v;
}

/** A repeated field: absent/null → []; anything but an array → DecodeError. */
export function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${path}: expected an array`);
  return v;
}

/** A string field: absent/null → ""; anything but a string → DecodeError. */
export function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new DecodeError(`${path}: expected a string`);
  return v;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** An int32/enum: absent/null → 0; an integer, a numeric string, or an enum name from `names`. */
export function int(v: unknown, path: string, names?: Readonly<Record<string, number>>): number {
  if (v === undefined || v === null) return 0;
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") {
    if (/^-?\d{1,10}$/.test(v)) n = Number(v);
    else if (names && Object.hasOwn(names, v)) n = names[v];
  }
  if (n === undefined || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
    throw new DecodeError(`${path}: expected an integer${names ? " or an enum name" : ""}`);
  }
  return n;
}

const MAX_U64 = (1n << 64n) - 1n;

/** A fixed64 nanosecond time: absent/null → 0; a decimal string or a non-negative number up to 2^64-1. */
export function nanos(v: unknown, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  let n: bigint | null = null;
  if (typeof v === "string" && /^\d{1,20}$/.test(v)) n = BigInt(v);
  else if (typeof v === "number" && Number.isFinite(v) && v >= 0) n = BigInt(Math.trunc(v));
  if (n === null || n > MAX_U64) throw new DecodeError(`${path}: expected a time in Unix nanoseconds`);
  return n;
}

/** An int64: a number when safe, else its decimal string. */
function int64(v: unknown, path: string): number | string {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v.replace(/^(-?)0+(?=\d)/, "$1");
  }
  throw new DecodeError(`${path}: intValue must be an integer`);
}

function double(v: unknown, path: string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new DecodeError(`${path}: doubleValue must be a number`);
}

/**
 * A trace (16 bytes) or span (8 bytes) id: hex in any case (base64 accepted too); absent,
 * empty or all-zero → null (no context); anything else → DecodeError.
 */
export function jsonId(v: unknown, byteLength: number, path: string): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") throw new DecodeError(`${path}: expected a hex id`);
  let hex: string | null = null;
  if (v.length === byteLength * 2 && /^[0-9a-fA-F]+$/.test(v)) hex = v.toLowerCase();
  else if (/^[A-Za-z0-9+/_-]+=*$/.test(v)) {
    const bytes = Buffer.from(v, "base64");
    if (bytes.length === byteLength) hex = bytes.toString("hex");
  }
  if (hex === null) throw new DecodeError(`${path}: expected ${byteLength * 2} hex digits`);
  return /^0+$/.test(hex) ? null : hex;
}

/** Decodes a JSON AnyValue, bounded in depth and in collection size. */
export function jsonAnyValue(v: unknown, path: string, depth = 0): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH)
    throw new DecodeError(`${path}: AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  const o = obj(v, path);
  if (!o) return null;
  const s = field(o, "stringValue", "string_value");
  if (s !== undefined && s !== null) return str(s, `${path}.stringValue`);
  const b = field(o, "boolValue", "bool_value");
  if (b !== undefined && b !== null) {
    if (typeof b !== "boolean") throw new DecodeError(`${path}: boolValue must be a boolean`);
    return b;
  }
  const i = field(o, "intValue", "int_value");
  if (i !== undefined && i !== null) return int64(i, path);
  const d = field(o, "doubleValue", "double_value");
  if (d !== undefined && d !== null) return double(d, path);
  const a = obj(field(o, "arrayValue", "array_value"), `${path}.arrayValue`);
  if (a) {
    const values = arr(field(a, "values"), `${path}.arrayValue.values`);
    const out: AnyValue[] = [];
    for (let k = 0; k < values.length && k < MAX_COLLECTION_ITEMS; k++) {
      out.push(jsonAnyValue(values[k], path, depth + 1));
    }
    return out;
  }
  const kv = obj(field(o, "kvlistValue", "kvlist_value"), `${path}.kvlistValue`);
  if (kv) {
    const values = arr(field(kv, "values"), `${path}.kvlistValue.values`);
    const entries: Array<[string, AnyValue]> = [];
    for (let k = 0; k < values.length && k < MAX_COLLECTION_ITEMS; k++) {
      entries.push(jsonKeyValue(values[k], path, depth + 1));
    }
    return new KvList(entries);
  }
  const bytes = field(o, "bytesValue", "bytes_value");
  if (bytes !== undefined && bytes !== null) {
    if (typeof bytes !== "string" || !/^[A-Za-z0-9+/_-]*=*$/.test(bytes)) {
      throw new DecodeError(`${path}: bytesValue must be base64`);
    }
    return new Uint8Array(Buffer.from(bytes, "base64"));
  }
  return null;
}

function jsonKeyValue(v: unknown, path: string, depth: number): [string, AnyValue] {
  const o = obj(v, path);
  if (!o) return ["", null];
  return [str(field(o, "key"), `${path}.key`), jsonAnyValue(field(o, "value"), path, depth)];
}

/** Decodes a JSON `attributes` array; the first of duplicate keys wins. */
export function jsonAttributes(v: unknown, path: string): Attributes {
  const attrs: Attributes = new Map();
  const list = arr(v, path);
  for (const item of list) {
    if (attrs.size >= MAX_DECODED_ATTRIBUTES) break;
    const [key, value] = jsonKeyValue(item, path, 0);
    if (!attrs.has(key)) attrs.set(key, value);
  }
  return attrs;
}

/** Whether a JSON `attributes` array has an entry with one of `keys`, without decoding values. */
export function jsonAttributesHaveKey(v: unknown, path: string, keys: readonly string[]): boolean {
  for (const item of arr(v, path)) {
    const o = obj(item, path);
    if (o && keys.includes(str(field(o, "key"), `${path}.key`))) return true;
  }
  return false;
}

/** Decodes a JSON Resource's attributes. */
export function jsonResource(v: unknown, path: string): Attributes {
  const o = obj(v, path);
  return o ? jsonAttributes(field(o, "attributes"), `${path}.attributes`) : new Map();
}
