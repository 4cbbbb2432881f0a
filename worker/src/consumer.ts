import { JOB_ERROR_BATCH, QUEUE_ERRORS } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type pino from "pino";
import type { WorkerConfig } from "./config";
import { InvalidJobError, type ProcessBatchResult, processBatch } from "./process-batch";
import type { Summariser } from "./summarise/llm";

export interface WorkerDeps {
  db: Db;
  logger: pino.Logger;
  /** LLM summariser for new and regressed issues (optional). */
  summariser?: Summariser | null;
}

export interface RunningWorker {
  /** Stops taking jobs, waits for the active ones, then closes the Redis connection. */
  close(): Promise<void>;
}

/** How long start-up waits for Redis before failing. */
const READY_TIMEOUT_MS = 30_000;

/**
 * Consumes error batches from BullMQ (`QUEUE_ERRORS` under the configured prefix) with
 * `processBatch`. Jobs that can never succeed fail with UnrecoverableError (no retries);
 * database and other transient errors are thrown as-is so BullMQ retries them.
 */
export async function startWorker(
  config: Pick<WorkerConfig, "redisUrl" | "queuePrefix" | "concurrency">,
  deps: WorkerDeps,
): Promise<RunningWorker> {
  const { db, logger, summariser } = deps;
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  let lastRedisError = 0;
  connection.on("error", (err) => {
    // ioredis reports every reconnect attempt while Redis is down: log at most every 30 s.
    if (Date.now() - lastRedisError < 30_000) return;
    lastRedisError = Date.now();
    logger.warn(
      { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } },
      "redis connection error",
    );
  });

  const processor = async (job: Job): Promise<ProcessBatchResult> => {
    const jobLogger = logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    if (job.name !== JOB_ERROR_BATCH)
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    try {
      return await processBatch(db, job.data, { logger: jobLogger, summariser });
    } catch (err) {
      if (err instanceof InvalidJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };

  const worker = new Worker(QUEUE_ERRORS, processor, {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    autorun: false,
  });
  worker.on("error", (err) => logger.error({ err }, "worker error"));
  worker.on("failed", (job, err) => {
    const unrecoverable = err instanceof UnrecoverableError || err.name === "UnrecoverableError";
    logger[unrecoverable ? "warn" : "error"](
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message, unrecoverable },
      unrecoverable ? "error batch rejected" : "error batch failed",
    );
  });
  worker.on("completed", (job, result: ProcessBatchResult) =>
    logger.debug({ jobId: job.id, ...result }, "error batch processed"),
  );

  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`worker: Redis not ready after ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    await worker.close(true).catch(() => {});
    connection.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  void worker.run().catch((err) => logger.error({ err }, "worker stopped with an error"));

  return {
    async close() {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
