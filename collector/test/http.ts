/** Small HTTP helpers for the collector's integration tests. */
import { request } from "node:http";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends one request with node:http (full control over headers and body) and collects the response. */
export function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: Uint8Array | string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? "POST", headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error("request timed out")));
    // The server may answer (413) and close before the whole body is written: a write error
    // then races the response, so give the response a moment before failing.
    req.on("error", (err) => setTimeout(() => reject(err), 500));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A gzip stream of `size` zero bytes, built chunk by chunk so the test never holds `size` bytes. */
export async function gzipBomb(size: number): Promise<Buffer> {
  const { createGzip } = await import("node:zlib");
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on("data", (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on("end", resolve);
    gzip.on("error", reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < size; written += chunk.length) {
    if (!gzip.write(chunk)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}
