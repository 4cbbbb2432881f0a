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

/** The headers of an empty OTLP response, per format, as a flat list (the usual success: built once). */
const EMPTY_RESPONSE_HEADERS: Record<OtlpFormat, string[]> = {
  protobuf: ["content-type", CONTENT_TYPES.protobuf, "content-length", "0"],
  json: ["content-type", CONTENT_TYPES.json, "content-length", "0"],
};

/** Writes an OTLP response in the given format, gzipped when large and the client accepts gzip. */
export function sendOtlp(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  format: OtlpFormat,
  body: Buffer,
  headers?: Record<string, string>,
): void {
  if (body.length === 0 && headers === undefined && req.headers.origin === undefined) {
    // The usual success: an empty body, with the headers in one write (not a writev).
    res.writeHead(status, EMPTY_RESPONSE_HEADERS[format]);
    res.end();
    return;
  }
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
  if (payload.length === 0) res.end();
  else res.end(payload);
}
