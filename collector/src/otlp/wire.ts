import protobuf from "protobufjs/minimal";

/** A protobuf wire-format reader (protobufjs). */
export type Reader = protobuf.Reader;

/** The request body could not be decoded as the OTLP message it claims to be. Maps to 400. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export function createReader(bytes: Uint8Array): Reader {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return protobuf.Reader.create(buf);
}

/**
 * Runs a wire-format walk and turns every failure of the reader (truncation, bad varints,
 * bad wire types, too deep) into a DecodeError, so callers see one controlled error type.
 */
export function guardDecode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asDecodeError(what, err);
  }
}

/** What guardDecode throws for `err`: a DecodeError for a reader failure, else `err` itself (a bug). */
export function asDecodeError(what: string, err: unknown): unknown {
  if (!isReaderError(err)) return err;
  return new DecodeError(`invalid ${what}: ${err.message.slice(0, 200)}`);
}

/**
 * Errors that mean "the bytes are bad": ours, protobufjs's (truncation is a RangeError, bad
 * varints/tags/wire types are Errors with these messages) and a stack overflow. Anything else
 * is a bug and must surface as one.
 */
export function isReaderError(err: unknown): err is Error {
  if (err instanceof DecodeError || err instanceof RangeError) return true;
  return (
    err instanceof Error &&
    err.constructor === Error &&
    /^(invalid (varint|tag|length) encoding|invalid wire type|illegal tag|max depth exceeded|invalid end group)/.test(
      err.message,
    )
  );
}

/**
 * Reads a tag (field number `tag >>> 3`, wire type `tag & 7`; a number, not a pair, so the hot
 * loops allocate nothing); field number 0 is illegal.
 */
export function readTag(r: Reader): number {
  let tag = r.pos < r.len ? (r.buf[r.pos] as number) : 0x80;
  if (tag < 0x80) r.pos++;
  else tag = r.uint32();
  if (tag >>> 3 === 0) throw new DecodeError(`illegal field number 0 at offset ${r.pos}`);
  return tag;
}

/** Fails unless the field has the wire type its schema says. */
export function expectWire(field: number, wire: number, expected: number): void {
  if (wire !== expected) throw new DecodeError(`field ${field}: wire type ${wire}, expected ${expected}`);
}

/** Reads the length prefix of an embedded message and returns the offset where it ends. */
export function messageEnd(r: Reader): number {
  const len = readLength(r);
  const end = r.pos + len;
  if (end > r.len) throw new DecodeError(`embedded message of ${len} bytes overruns its parent`);
  return end;
}

/**
 * Reads a length prefix (a varint uint32). One- and two-byte varints (lengths below 16 KiB:
 * nearly every attribute, event and span) are read inline; longer ones through the Reader.
 */
export function readLength(r: Reader): number {
  const buf = r.buf;
  const pos = r.pos;
  if (pos + 1 < r.len) {
    const b0 = buf[pos] as number;
    if (b0 < 0x80) {
      r.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1] as number;
    if (b1 < 0x80) {
      r.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  return r.uint32();
}

/** Checks that a walk ended exactly at the end of its message (no field overran it). */
export function expectEnd(r: Reader, end: number): void {
  if (r.pos !== end) throw new DecodeError(`field overruns its message (at ${r.pos}, end ${end})`);
}

/** Skips a field; groups (wire types 3/4) are not used by OTLP and are rejected. */
export function skipField(r: Reader, wire: number): void {
  switch (wire) {
    case WIRE_LEN: {
      // The common case (attributes, names, ids), inline: a length and a jump.
      const len = readLength(r);
      const end = r.pos + len;
      if (end > r.len) throw new RangeError(`index out of range: ${r.pos} + ${len} > ${r.len}`);
      r.pos = end;
      return;
    }
    case WIRE_VARINT:
      r.skip();
      return;
    case WIRE_FIXED64:
      r.skip(8);
      return;
    case WIRE_FIXED32:
      r.skip(4);
      return;
    default:
      throw new DecodeError(`unsupported wire type ${wire}`);
  }
}

/** Skips a length-delimited field's contents and returns [start, end) of its payload. */
export function readRange(r: Reader): [number, number] {
  const end = messageEnd(r);
  const start = r.pos;
  r.pos = end;
  return [start, end];
}

/** Unsigned fixed64 (e.g. time_unix_nano) as a bigint. */
export function readFixed64(r: Reader): bigint {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A varint int64: a number when it is a safe integer, otherwise its decimal string. */
export function readInt64(r: Reader): number | string {
  const v = r.int64() as unknown as number | { toString(): string; toNumber(): number };
  if (typeof v === "number") return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** A varint enum/int32 that must fit in a JS number. */
export function readInt32(r: Reader): number {
  return r.int32();
}

/** Lower-case hex of an id; null when absent, of the wrong length or all zero. */
export function idToHex(bytes: Uint8Array | undefined, expectedLength: number): string | null {
  if (!bytes || bytes.length !== expectedLength) return null;
  let zero = true;
  for (const b of bytes) {
    if (b !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** True when buf[start, end) holds exactly the bytes of `expected`. */
export function bytesEqual(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}
