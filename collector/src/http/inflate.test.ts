import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { deflateRawSync, deflateSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeflateDecoder, isZlibHeader } from "./inflate";

/** Streams `chunks` through a DeflateDecoder and collects what comes out. */
async function inflate(chunks: Uint8Array[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c))),
    new DeflateDecoder(),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

/** Splits `bytes` into pieces of the given sizes (cycled), so headers can straddle chunks. */
function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0, i = 0; pos < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc.string({ maxLength: 2000 }).map((s) => new Uint8Array(Buffer.from(s.repeat(5)))),
);
const level = fc.integer({ min: 0, max: 9 });
const sizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 });

describe("Content-Encoding: deflate", () => {
  it("inflates zlib-wrapped bodies (RFC 1950), however they are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(payload, level, sizes, async (data, lvl, cut) => {
        const body = deflateSync(data, { level: lvl });
        expect((await inflate(split(body, cut))).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("inflates raw deflate bodies (RFC 1951), however they are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(payload, level, sizes, async (data, lvl, cut) => {
        const body = deflateRawSync(data, { level: lvl });
        // A stored block whose length byte happens to form a zlib header is ambiguous by nature.
        fc.pre(!isZlibHeader(body[0]!, body[1] ?? 0));
        expect((await inflate(split(body, cut))).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("recognises every zlib header zlib writes, and not the usual raw block starts", () => {
    for (let lvl = 0; lvl <= 9; lvl++) {
      for (const windowBits of [8, 9, 12, 15]) {
        const z = deflateSync("x", { level: lvl, windowBits });
        expect(isZlibHeader(z[0]!, z[1]!)).toBe(true);
      }
      const raw = deflateRawSync(Buffer.from("hello hello hello"), { level: lvl });
      expect(isZlibHeader(raw[0]!, raw[1]!)).toBe(false);
    }
  });

  it("fails with a zlib error on bodies that are neither form, and on empty bodies", async () => {
    await expect(inflate([Buffer.from("definitely not deflate")])).rejects.toMatchObject({
      code: expect.stringMatching(/^Z_/),
    });
    await expect(inflate([])).rejects.toMatchObject({ code: expect.stringMatching(/^Z_/) });
    await expect(inflate([Buffer.from([0x78])])).rejects.toMatchObject({
      code: expect.stringMatching(/^Z_/),
    });
  });
});
