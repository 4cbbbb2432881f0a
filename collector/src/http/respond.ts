import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { CONTENT_TYPES, type OtlpFormat } from "../otlp/responses";
import { acceptsGzip } from "./content";

/** Responses at least this large are gzipped for clients that accept it. */
const GZIP_MIN_BYTES = 1024;

/**
 * CORS for OTLP routes: browser SDKs (telemetry.sdk.language = webjs) export from the page's
 * origin. Ingest keys are write-only and meant to be shipped to clients, so any origin may post.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type, content-encoding, authorization, x-codewarden-key",
  "access-control-expose-headers": "retry-after",
  "access-control-max-age": "86400",
};

/** Writes an OTLP response in the given format, gzipped when large and the client accepts gzip. */
export function sendOtlp(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  format: OtlpFormat,
  body: Buffer,
  headers: Record<string, string>,
): void {
  let payload = body;
  const out: Record<string, string | number> = { "content-type": CONTENT_TYPES[format], ...headers };
  if (req.headers.origin) Object.assign(out, CORS_HEADERS);
  if (body.length >= GZIP_MIN_BYTES && acceptsGzip(req.headers)) {
    payload = gzipSync(body);
    out["content-encoding"] = "gzip";
    out.vary = "accept-encoding";
  }
  out["content-length"] = payload.length;
  res.writeHead(status, out);
  // An empty body (the usual success) goes out with the headers in one write, not a writev.
  if (payload.length === 0) res.end();
  else res.end(payload);
}
