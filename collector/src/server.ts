import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorQueue } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import type pino from "pino";
import { type CollectorConfig, DEFAULT_INGEST_RATE_LIMIT } from "./config";
import type { Fanout } from "./fanout/forwarder";
import { createOpenObserveFanout, type FanoutTuning } from "./fanout/openobserve";
import { handleExport, type IngestContext } from "./ingest";
import { createKeyResolver, type KeyResolver } from "./keys";
import { CollectorMetrics } from "./metrics";
import type { Signal } from "./otlp/responses";
import { createRateLimiter } from "./rate-limit";

export interface CollectorDeps {
  db: Db;
  /** BullMQ or in-process; an `isReady()` method, when present, is consulted by /readyz. */
  queue: ErrorQueue & { isReady?(): Promise<boolean> };
  logger: pino.Logger;
}

export interface RunningCollector {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting connections and waits (up to a deadline) for requests in flight. Does not close deps. */
  close(): Promise<void>;
}

export interface CollectorOptions {
  /** Injected key resolver (tests); otherwise one over deps.db with the default cache. */
  keys?: KeyResolver;
  /** How long close() waits for requests in flight before cutting connections (default 10 s). */
  closeTimeoutMs?: number;
  /** Export requests handled at once at most, beyond which 503 + Retry-After (default 128). */
  maxConcurrentExports?: number;
  /** Buffer, concurrency and timeout of the OpenObserve fan-out (when config.openobserve is set). */
  fanout?: FanoutTuning;
}

const ROUTES: Record<string, Signal> = {
  "/v1/traces": "traces",
  "/v1/logs": "logs",
  "/v1/metrics": "metrics",
};

/** Starts the OTLP/HTTP receiver. */
export async function startCollector(
  config: CollectorConfig,
  deps: CollectorDeps,
  options: CollectorOptions = {},
): Promise<RunningCollector> {
  const log = deps.logger;
  const metrics = new CollectorMetrics();
  const rateLimit = config.ingestRateLimit === undefined ? DEFAULT_INGEST_RATE_LIMIT : config.ingestRateLimit;
  const fanout: Fanout | null = config.openobserve
    ? createOpenObserveFanout(
        config.openobserve,
        { logger: log, onResult: (result, signal) => metrics.fanout.inc({ result, signal }) },
        options.fanout,
      )
    : null;
  if (fanout) metrics.fanoutQueueBytes = () => fanout.queuedBytes;
  const ctx: IngestContext = {
    keys: options.keys ?? createKeyResolver({ db: deps.db, logger: log }),
    queue: deps.queue,
    metrics,
    logger: log,
    maxBodyBytes: config.maxBodyBytes,
    maxConcurrent: options.maxConcurrentExports ?? 128,
    inflight: { count: 0 },
    rateLimiter: rateLimit
      ? createRateLimiter({ ratePerSecond: rateLimit.itemsPerSecond, burst: rateLimit.burst })
      : null,
    fanout,
  };

  const server = createServer(
    {
      // Slow clients cannot hold a connection open forever.
      headersTimeout: 15_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 65_000,
    },
    (req, res) => {
      route(req, res).catch((err: unknown) => {
        log.error({ err, method: req.method, url: req.url }, "collector request failed");
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json", connection: "close" });
          res.end(JSON.stringify({ code: 13, message: "internal error" }));
        } else res.destroy();
      });
    },
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const signal = ROUTES[path];
    if (signal) return handleExport(signal, req, res, ctx);
    if (path === "/healthz") return text(res, 200, "ok\n");
    if (path === "/readyz") {
      const ready = await readiness();
      return text(res, ready.ok ? 200 : 503, `${ready.detail}\n`);
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(metrics.render());
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: 5, message: "not found" }));
  }

  async function readiness(): Promise<{ ok: boolean; detail: string }> {
    const [dbOk, queueOk] = await Promise.all([
      withDeadline(
        deps.db.execute("select 1").then(() => true),
        2000,
      ).catch((err: unknown) => {
        log.warn({ err }, "readiness: database check failed");
        return false;
      }),
      deps.queue.isReady
        ? withDeadline(deps.queue.isReady(), 2000).catch(() => false)
        : Promise.resolve(true),
    ]);
    return { ok: dbOk && queueOk, detail: `db ${dbOk ? "ok" : "down"}, queue ${queueOk ? "ok" : "down"}` };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info(
    { host: config.host, port, fanout: config.openobserve ? new URL(config.openobserve.url).origin : null },
    "collector listening",
  );

  let closing: Promise<void> | null = null;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), options.closeTimeoutMs ?? 10_000);
        server.close(() => {
          clearTimeout(deadline);
          // Requests acknowledged before the close still get their chance to be forwarded.
          void (fanout?.close() ?? Promise.resolve()).then(() => resolve());
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
