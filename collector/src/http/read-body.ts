import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
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

  // Gone while the key was looked up: its `close` has been, and no `data` or `end` will come.
  if (req.destroyed) throw new BodyReadError("client closed the request before its body ended");
  if (encoding === "identity") {
    const body = await new IdentityBody(req, maxBytes).read();
    return { body, raw: keepRaw ? body : null };
  }

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
  const rawChunks: Buffer[] | null = keepRaw ? [] : null;
  const first = rawLimiter(rawLimit, maxBytes, rawChunks);
  // `deflate` is zlib-wrapped (RFC 1950) per HTTP, or raw (RFC 1951) from some clients.
  const inflate = encoding === "gzip" ? zlib.createGunzip() : new DeflateDecoder();
  // The request is piped, not part of the pipeline: a failing stage must not destroy the
  // request (and with it the socket), or the 413/400 response could not be sent.
  const onClose = () => {
    if (!req.complete) first.destroy(new BodyReadError("client closed the request before its body ended"));
  };
  const onError = () => first.destroy(new BodyReadError("cannot read the body"));
  req.once("close", onClose);
  req.once("error", onError);
  req.pipe(first);
  try {
    await pipeline(first, inflate, sink);
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

/**
 * An uncompressed body (the usual case), read with plain listeners rather than a stream
 * pipeline: same limits and errors as the pipeline, a fraction of the per-request work
 * (no Writable, no pipe, no end-of-stream bookkeeping, no closures to create).
 */
class IdentityBody {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private resolve: (body: Buffer) => void = noop;
  private reject: (err: Error) => void = noop;
  private readonly onData = this.data.bind(this);
  private readonly onEnd = this.end.bind(this);
  private readonly onClose = this.close.bind(this);
  private readonly onError = this.error.bind(this);

  constructor(
    private readonly req: IncomingMessage,
    private readonly maxBytes: number,
  ) {}

  read(): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const { req } = this;
      req.on("data", this.onData);
      req.once("end", this.onEnd);
      req.once("close", this.onClose);
      req.once("error", this.onError);
    });
  }

  private data(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.req.pause(); // read no more; the 413 goes out with `connection: close`
      this.fail(new BodyTooLargeError(this.maxBytes));
      return;
    }
    this.chunks.push(chunk);
  }

  private end(): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    const { chunks } = this;
    this.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size));
  }

  private close(): void {
    if (!this.req.complete) this.fail(new BodyReadError("client closed the request before its body ended"));
  }

  private error(): void {
    this.fail(new BodyReadError("cannot read the body"));
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.chunks.length = 0;
    this.reject(err);
  }

  private detach(): void {
    const { req } = this;
    req.off("data", this.onData);
    req.off("end", this.onEnd);
    req.off("close", this.onClose);
    req.off("error", this.onError);
  }
}

function noop(): void {}

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
