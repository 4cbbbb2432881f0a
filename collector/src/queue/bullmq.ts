import { createHash } from "node:crypto";
import {
  ERROR_JOB_BACKOFF,
  type ErrorBatchJob,
  type ErrorQueue,
  JOB_ERROR_BATCH,
  QUEUE_ERRORS,
  QueueUnavailableError,
} from "@codewarden/common";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type pino from "pino";

export interface BullmqErrorQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix (CODEWARDEN_QUEUE_PREFIX); tests use their own. */
  prefix: string;
  logger: pino.Logger;
  /** An enqueue that takes longer fails with QueueUnavailableError (default 2000 ms). */
  enqueueTimeoutMs?: number;
  /** Waiting jobs beyond which the queue counts as saturated (default 100 000; checked at most once a second). */
  maxBacklog?: number;
}

export interface BullmqErrorQueue extends ErrorQueue {
  /** Whether Redis answers now (for readiness). */
  isReady(): Promise<boolean>;
  /** The BullMQ queue (for tests and tooling). */
  readonly queue: Queue;
}

/**
 * Retries and retention of error-batch jobs. A job that fails because Postgres is unreachable
 * is retried with backoff growing from 1 s to 1 min (the worker's ERROR_JOB_BACKOFF strategy):
 * 240 attempts ride out a database outage of about four hours before a job fails for good.
 */
export const ERROR_JOB_OPTIONS = {
  attempts: 240,
  backoff: { type: ERROR_JOB_BACKOFF, delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
} as const;

/**
 * Producer of error-batch jobs on BullMQ. The connection has no offline queue, so while Redis
 * is down an enqueue fails fast (or after `enqueueTimeoutMs`) with QueueUnavailableError and
 * the collector answers 503; ioredis keeps reconnecting and the queue recovers by itself.
 * Job ids derive from the events' keys, so an exporter's retry of a request that did reach
 * Redis does not add a second job while the first is retained.
 */
export function createBullmqErrorQueue(opts: BullmqErrorQueueOptions): BullmqErrorQueue {
  const log = opts.logger;
  const timeoutMs = opts.enqueueTimeoutMs ?? 2000;
  const maxBacklog = opts.maxBacklog ?? 100_000;
  const redis = new Redis(opts.redisUrl, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: false,
    // A command cut off by a disconnect fails instead of being replayed after the reconnect:
    // the collector has already answered 503 for it, and the exporter retries the request.
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(1000, timeoutMs),
    retryStrategy: (times) => Math.min(200 * times, 2000),
    connectionName: "codewarden-collector",
  });
  let lastErrorLog = 0;
  let down = false;
  redis.on("error", (err) => {
    const now = Date.now();
    if (now - lastErrorLog > 30_000) {
      lastErrorLog = now;
      log.warn(
        { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } },
        "redis connection error",
      );
    }
    down = true;
  });
  redis.on("ready", () => {
    if (down) log.info("redis connection restored");
    down = false;
  });

  const queue = new Queue(QUEUE_ERRORS, {
    connection: redis,
    prefix: opts.prefix,
    defaultJobOptions: ERROR_JOB_OPTIONS,
  });
  queue.on("error", (err) => log.debug({ err: { message: err.message } }, "bullmq queue error"));

  let closed = false;
  let backlog = { checkedAt: 0, waiting: 0 };

  async function checkBacklog(): Promise<void> {
    const now = Date.now();
    if (now - backlog.checkedAt >= 1000) {
      backlog = { checkedAt: now, waiting: await queue.getWaitingCount() };
    }
    if (backlog.waiting >= maxBacklog) {
      throw new QueueUnavailableError(`error queue saturated (${backlog.waiting} jobs waiting)`, 30);
    }
  }

  return {
    queue,
    async enqueue(job: ErrorBatchJob) {
      if (closed) throw new QueueUnavailableError("error queue is closed");
      if (redis.status !== "ready") throw new QueueUnavailableError(`redis is ${redis.status}`, 5);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          (async () => {
            await checkBacklog();
            await queue.add(JOB_ERROR_BATCH, job, { jobId: jobIdOf(job) });
          })(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`enqueue timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw err;
        throw new QueueUnavailableError(`cannot enqueue: ${(err as Error).message}`, 5);
      } finally {
        clearTimeout(timer);
      }
    },
    async isReady() {
      if (closed || redis.status !== "ready") return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const pong = await Promise.race([
          redis.ping(),
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve("timeout"), 1000);
          }),
        ]);
        return pong === "PONG";
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await queue.close();
      } catch (err) {
        log.debug({ err }, "closing bullmq queue");
      }
      if (redis.status === "ready") {
        await redis.quit().catch(() => redis.disconnect());
      } else {
        redis.disconnect();
      }
    },
  };
}

/** A job id that is the same for the same project and events (a retried request). */
export function jobIdOf(job: ErrorBatchJob): string {
  const h = createHash("sha256").update(job.projectId);
  for (const e of job.errors) h.update("|").update(e.eventKey);
  return `eb-${h.digest("hex").slice(0, 40)}`;
}
