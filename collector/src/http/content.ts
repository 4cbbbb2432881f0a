import type { IncomingHttpHeaders } from "node:http";
import type { OtlpFormat } from "../otlp/responses";

/** The OTLP format of a Content-Type (parameters such as charset allowed); null when unsupported. */
export function formatOf(contentType: string | undefined): OtlpFormat | null {
  if (!contentType) return null;
  const mime = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (mime === "application/x-protobuf") return "protobuf";
  if (mime === "application/json") return "json";
  return null;
}

export type BodyEncoding = "identity" | "gzip" | "deflate";

/** The Content-Encoding of a request; null when unsupported (or when several are stacked). */
export function encodingOf(headers: IncomingHttpHeaders): BodyEncoding | null {
  const raw = headers["content-encoding"];
  if (raw === undefined) return "identity";
  const v = raw.trim().toLowerCase();
  if (v === "" || v === "identity") return "identity";
  if (v === "gzip" || v === "x-gzip") return "gzip";
  if (v === "deflate") return "deflate";
  return null;
}

/** Whether the client accepts a gzip response. */
export function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const v = headers["accept-encoding"];
  return typeof v === "string" && /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+)?\s*(,|$)/i.test(v);
}
