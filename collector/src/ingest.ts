import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ErrorQueue, QueueUnavailableError } from "@codewarden/common";
import type pino from "pino";
import { toErrorBatchJobs } from "./extract/batch";
import type { Fanout } from "./fanout/forwarder";
import { type BodyEncoding, encodingOf, formatOf } from "./http/content";
import { BodyReadError, BodyTooLargeError, readBodyAndRaw } from "./http/read-body";
import { CORS_HEADERS, sendOtlp } from "./http/respond";
import { ingestKeyFromHeaders, type KeyResolver } from "./keys";
import type { CollectorMetrics, RejectReason } from "./metrics";
import { encodeExportResponse, encodeStatus, type OtlpFormat, RPC_CODE, type Signal } from "./otlp/responses";
import { DecodeError } from "./otlp/wire";
import { processExport } from "./process-export";
import type { RateLimiter } from "./rate-limit";

export interface IngestContext {
  keys: KeyResolver;
  queue: ErrorQueue;
  metrics: CollectorMetrics;
  logger: pino.Logger;
  maxBodyBytes: number;
  /** Export requests handled at once at most; beyond, 503 + Retry-After (bounds memory: each holds a body). */
  maxConcurrent: number;
  /** Export requests being handled now (shared by all routes of one collector). */
  inflight: { count: number };
  /** Per-ingest-key token bucket over items; null when rate limiting is disabled. */
  rateLimiter: RateLimiter | null;
  /** Raw telemetry fan-out (OpenObserve); null when not configured. */
  fanout: Fanout | null;
}

/**
 * Handles a request to /v1/{traces,logs,metrics} per the OTLP/HTTP specification.
 *
 * This runs for every export request, so it defines no closures (the replies are methods of
 * one Exchange object): the all-in-one mode runs through tsx, whose transform names every
 * function expression it creates, a measurable cost per request.
 */
export async function handleExport(
  signal: Signal,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: IngestContext,
): Promise<void> {
  const x = new Exchange(signal, req, res, ctx);
  if (req.method === "OPTIONS" && req.headers.origin) {
    res.writeHead(204, CORS_HEADERS);
    res.end();
    return;
  }
  if (req.method !== "POST") {
    return x.fail(
      405,
      "method_not_allowed",
      "json",
      RPC_CODE.UNIMPLEMENTED,
      `${req.method} not allowed; use POST`,
      { allow: "POST" },
    );
  }
  const format = formatOf(req.headers["content-type"]);
  if (!format) {
    return x.fail(
      415,
      "unsupported_media_type",
      "json",
      RPC_CODE.INVALID_ARGUMENT,
      "content type must be application/x-protobuf or application/json",
    );
  }
  const encoding = encodingOf(req.headers);
  if (!encoding) {
    return x.fail(
      415,
      "unsupported_media_type",
      format,
      RPC_CODE.INVALID_ARGUMENT,
      "content encoding must be gzip, deflate or identity",
    );
  }
  if (ctx.inflight.count >= ctx.maxConcurrent) {
    return x.fail(503, "busy", format, RPC_CODE.UNAVAILABLE, "collector busy, retry later", {
      "retry-after": "1",
      connection: "close",
    });
  }

  ctx.inflight.count++;
  try {
    await authenticatedExport(x, format, encoding);
  } finally {
    ctx.inflight.count--;
  }
}

/** One export request and its response: the replies and the request's logger. */
class Exchange {
  constructor(
    readonly signal: Signal,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly ctx: IngestContext,
  ) {}

  reply(status: number, format: OtlpFormat, body: Buffer, headers?: Record<string, string>): void {
    this.ctx.metrics.requests.inc({ signal: this.signal, status: String(status) });
    sendOtlp(this.req, this.res, status, format, body, headers);
  }

  fail(
    status: number,
    reason: RejectReason,
    format: OtlpFormat,
    code: number,
    message: string,
    headers?: Record<string, string>,
  ): void {
    this.ctx.metrics.rejects.inc({ reason });
    this.reply(status, format, encodeStatus(format, code, message), headers);
  }

  /** A logger for this request (only built when something is logged). */
  log(): pino.Logger {
    return this.ctx.logger.child({ reqId: requestId(this.req), signal: this.signal });
  }
}

async function authenticatedExport(x: Exchange, fmt: OtlpFormat, encoding: BodyEncoding): Promise<void> {
  const { signal, req, ctx } = x;
  const { metrics } = ctx;
  const key = ingestKeyFromHeaders(req.headers);
  if (!key) return x.fail(401, "unauthorized", fmt, RPC_CODE.UNAUTHENTICATED, "missing ingest key");
  let grant = ctx.keys.cached(key);
  if (grant === undefined) {
    try {
      grant = await ctx.keys.resolve(key);
    } catch (err) {
      x.log().error({ err }, "ingest key lookup failed");
      return x.fail(503, "auth_unavailable", fmt, RPC_CODE.UNAVAILABLE, "cannot verify the ingest key now", {
        "retry-after": "5",
      });
    }
  }
  if (!grant) {
    return x.fail(401, "unauthorized", fmt, RPC_CODE.UNAUTHENTICATED, "unknown or revoked ingest key");
  }
  // Checked before the body is read, so a flood costs no decoding.
  const wait = ctx.rateLimiter?.check(grant.keyId) ?? 0;
  if (wait > 0) {
    return x.fail(
      429,
      "rate_limited",
      fmt,
      RPC_CODE.RESOURCE_EXHAUSTED,
      `ingest key over its rate limit, retry after ${wait} s`,
      { "retry-after": String(wait) },
    );
  }

  let body: Buffer;
  let raw: Buffer | null;
  try {
    ({ body, raw } = await readBodyAndRaw(req, encoding, ctx.maxBodyBytes, ctx.fanout !== null));
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      return x.fail(413, "too_large", fmt, RPC_CODE.INVALID_ARGUMENT, err.message, {
        connection: "close",
      });
    }
    if (err instanceof BodyReadError) {
      return x.fail(400, "decode_error", fmt, RPC_CODE.INVALID_ARGUMENT, err.message, {
        connection: "close",
      });
    }
    throw err;
  }

  const receivedAt = new Date().toISOString();
  let result: ReturnType<typeof processExport>;
  try {
    result = processExport(signal, fmt, body, receivedAt);
  } catch (err) {
    if (err instanceof DecodeError) {
      x.log().debug({ err: err.message, projectId: grant.projectId }, "undecodable export request");
      return x.fail(400, "decode_error", fmt, RPC_CODE.INVALID_ARGUMENT, err.message);
    }
    throw err;
  }
  ctx.rateLimiter?.charge(grant.keyId, result.items);

  if (result.errors.length > 0) {
    const started = performance.now();
    try {
      for (const job of toErrorBatchJobs(grant.projectId, receivedAt, result.errors))
        await ctx.queue.enqueue(job);
    } catch (err) {
      if (err instanceof QueueUnavailableError) {
        x.log().warn({ err: err.message, projectId: grant.projectId }, "error queue unavailable");
        return x.fail(
          503,
          "queue_unavailable",
          fmt,
          RPC_CODE.UNAVAILABLE,
          "error queue unavailable, retry later",
          { "retry-after": String(err.retryAfterSeconds) },
        );
      }
      throw err;
    } finally {
      metrics.enqueueSeconds.observe((performance.now() - started) / 1000);
    }
    for (const e of result.errors) metrics.errorsExtracted.inc({ source: e.source });
  }

  if (signal === "traces") metrics.spans.inc({}, result.items);
  else if (signal === "logs") metrics.logRecords.inc({}, result.items);
  else metrics.dataPoints.inc({}, result.items);

  if (ctx.fanout && raw) {
    const contentEncoding = req.headers["content-encoding"]?.trim();
    ctx.fanout.forward({
      signal,
      body: raw,
      contentType: req.headers["content-type"]!,
      contentEncoding: encoding === "identity" ? undefined : contentEncoding,
    });
  }

  if (result.rejected > 0) {
    if (result.malformed > 0) metrics.rejects.inc({ reason: "malformed_item" }, result.malformed);
    if (result.overflow > 0) metrics.rejects.inc({ reason: "too_many_errors" }, result.overflow);
    x.log().info(
      { projectId: grant.projectId, malformed: result.malformed, overflow: result.overflow },
      "partial success",
    );
    const partial = { rejected: result.rejected, message: result.message };
    return x.reply(200, fmt, encodeExportResponse(fmt, signal, partial));
  }
  x.reply(200, fmt, encodeExportResponse(fmt, signal));
}

/** The caller's X-Request-Id when it looks sane, else a fresh one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
}
