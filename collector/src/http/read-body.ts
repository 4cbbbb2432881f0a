import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import type { BodyEncoding } from "./content";
import { DeflateDecoder } from "./inflate";

/** The body (after decompression) exceeds the limit. Maps to 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes after decompression`);
    this.name = "BodyTooLargeError";
  }
}

/** The body could not be read or decompressed. Maps to 400. */
export class BodyReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BodyReadError";
  }
}

/** Compressed input may exceed the decompressed limit by this much (incompressible data grows a little). */
const RAW_SLACK = 64 * 1024;

/**
 * Reads a request body, decompressing gzip/deflate as a stream and counting the bytes that
 * come out: as soon as they pass `maxBytes` it stops and throws BodyTooLargeError, so a
 * compression bomb never inflates in memory (zlib emits 16 KiB chunks under backpressure).
 * Raw (compressed) bytes are bounded too, and a declared Content-Length over the limit fails
 * before reading anything.
 */
export async function readBody(
  req: IncomingMessage,
  encoding: BodyEncoding,
  maxBytes: number,
): Promise<Buffer> {
  return (await readBodyAndRaw(req, encoding, maxBytes, false)).body;
}

/** readBody that also returns the bytes as received (still compressed) when `keepRaw` is set. */
export async function readBodyAndRaw(
  req: IncomingMessage,
  encoding: BodyEncoding,
  maxBytes: number,
  keepRaw: boolean,
): Promise<{ body: Buffer; raw: Buffer | null }> {
  const rawLimit = encoding === "identity" ? maxBytes : maxBytes + RAW_SLACK;
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > rawLimit) throw new BodyTooLargeError(maxBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BodyTooLargeError(maxBytes));
      chunks.push(chunk);
      done();
    },
  });
  const stages: Array<NodeJS.ReadWriteStream & Writable> = [];
  const rawChunks: Buffer[] | null = keepRaw && encoding !== "identity" ? [] : null;
  if (encoding !== "identity") {
    stages.push(rawLimiter(rawLimit, maxBytes, rawChunks));
    // `deflate` is zlib-wrapped (RFC 1950) per HTTP, or raw (RFC 1951) from some clients.
    stages.push(encoding === "gzip" ? zlib.createGunzip() : new DeflateDecoder());
  }
  // The request is piped, not part of the pipeline: a failing stage must not destroy the
  // request (and with it the socket), or the 413/400 response could not be sent.
  const first: Writable = stages[0] ?? sink;
  const onClose = () => {
    if (!req.complete) first.destroy(new BodyReadError("client closed the request before its body ended"));
  };
  const onError = () => first.destroy(new BodyReadError("cannot read the body"));
  req.once("close", onClose);
  req.once("error", onError);
  req.pipe(first);
  try {
    if (stages.length > 0) await pipeline([...stages, sink]);
    else await finished(sink);
  } catch (err) {
    if (err instanceof BodyTooLargeError || err instanceof BodyReadError) throw err;
    const code = String((err as NodeJS.ErrnoException).code ?? "");
    throw new BodyReadError(
      code.startsWith("Z_") ? `cannot decompress the body (${encoding})` : "cannot read the body",
    );
  } finally {
    req.unpipe(first);
    req.off("close", onClose);
    req.off("error", onError);
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  if (!keepRaw) return { body, raw: null };
  return { body, raw: rawChunks ? Buffer.concat(rawChunks) : body };
}

function rawLimiter(rawLimit: number, maxBytes: number, keep: Buffer[] | null): Transform {
  let raw = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      raw += chunk.length;
      if (raw > rawLimit) return done(new BodyTooLargeError(maxBytes));
      keep?.push(chunk);
      done(null, chunk);
    },
  });
}
