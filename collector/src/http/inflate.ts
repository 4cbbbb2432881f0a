import { Duplex } from "node:stream";
import zlib from "node:zlib";

/**
 * Whether two bytes open a zlib stream (RFC 1950): compression method 8 (deflate), a window
 * of at most 32 KiB, no preset dictionary, and a header check that makes CMF·256 + FLG a
 * multiple of 31. A raw deflate stream (RFC 1951) passes this only by a 1-in-31 coincidence
 * of a stored block's length byte; what HTTP `deflate` means is the zlib form.
 */
export function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && (b1 & 0x20) === 0 && ((b0 << 8) | b1) % 31 === 0;
}

/**
 * A decompressing stream for `Content-Encoding: deflate` that accepts both the zlib-wrapped
 * form (RFC 1950, what HTTP specifies) and raw deflate (RFC 1951, what some clients send),
 * told apart by the first two bytes. Backpressure passes through both ways, so the caller's
 * byte limit still stops a compression bomb after a bounded amount of output.
 */
export class DeflateDecoder extends Duplex {
  private inner: zlib.Inflate | zlib.InflateRaw | null = null;
  private head: Buffer | null = null;

  constructor() {
    super({ readableHighWaterMark: 16 * 1024 });
  }

  private start(head: Buffer): zlib.Inflate | zlib.InflateRaw {
    const inner =
      head.length >= 2 && !isZlibHeader(head[0]!, head[1]!) ? zlib.createInflateRaw() : zlib.createInflate();
    inner.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.once("end", () => this.push(null));
    inner.once("error", (err) => this.destroy(err));
    this.inner = inner;
    return inner;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    let inner = this.inner;
    if (!inner) {
      const head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (head.length < 2) {
        this.head = head;
        done();
        return;
      }
      this.head = null;
      inner = this.start(head);
      chunk = head;
    }
    if (inner.write(chunk)) done();
    else inner.once("drain", () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    // A body of fewer than two bytes: zlib decides (and fails on what is not a stream).
    const inner = this.inner ?? this.start(this.head ?? Buffer.alloc(0));
    if (this.head) {
      inner.write(this.head);
      this.head = null;
    }
    inner.end();
    done();
  }

  override _read(): void {
    this.inner?.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}
