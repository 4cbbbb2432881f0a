import {
  type IssueSummaryJob,
  issueSummaryJobId,
  JOB_ISSUE_SUMMARY,
  QUEUE_SUMMARIES,
  type SummaryQueue,
} from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type pino from "pino";
import { closeWorkerWithin, quietRedis, runWhenReady, withinMs } from "../bullmq";
import { createLlmClient, type LlmClient, type LlmConfig } from "./llm";
import { DEFAULT_SUMMARY_BACKOFF_MS, isRetryable, retryDelayMs } from "./retry-policy";
import { runSummaryJob, type SummaryJobOutcome } from "./summary-job";

/** The backoff type of summary jobs: the worker's strategy (exponential, at least Retry-After). */
const BACKOFF_TYPE = "llm";

/** Retries and retention of summary jobs. Retained ids make duplicate enqueues collapse. */
export function summaryJobOptions(attempts: number, backoffMs = DEFAULT_SUMMARY_BACKOFF_MS) {
  return {
    attempts: Math.max(1, attempts),
    backoff: { type: BACKOFF_TYPE, delay: backoffMs },
    removeOnComplete: { count: 10_000, age: 7 * 24 * 3600 },
    removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
  };
}

export interface BullmqSummaryQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix (CODEWARDEN_QUEUE_PREFIX); tests use their own. */
  prefix: string;
  attempts: number;
  /** First retry delay (default 2 s). */
  backoffMs?: number;
  /** An enqueue that takes longer is abandoned (the issues keep their summary; default 5 s). */
  enqueueTimeoutMs?: number;
  logger: pino.Logger;
}

export interface BullmqSummaryQueue extends SummaryQueue {
  /** The BullMQ queue (for tests and tooling). */
  readonly queue: Queue;
}

/**
 * Producer of summary jobs on BullMQ (`QUEUE_SUMMARIES`). Job ids are
 * `summary-<issue>-new` / `summary-<issue>-regressed-<event key>`, so enqueueing the same
 * (issue, occasion) twice adds one job while the first is retained.
 */
export function createBullmqSummaryQueue(opts: BullmqSummaryQueueOptions): BullmqSummaryQueue {
  const connection = quietRedis(opts.redisUrl, opts.logger, "codewarden-summaries-producer");
  const timeoutMs = opts.enqueueTimeoutMs ?? 5_000;
  const queue = new Queue(QUEUE_SUMMARIES, {
    connection,
    prefix: opts.prefix,
    defaultJobOptions: summaryJobOptions(opts.attempts, opts.backoffMs),
  });
  queue.on("error", (err) => opts.logger.debug({ err: { message: err.message } }, "bullmq queue error"));
  return {
    queue,
    async enqueue(jobs: readonly IssueSummaryJob[]) {
      if (jobs.length === 0) return;
      await withinMs(
        queue.addBulk(
          jobs.map((data) => ({ name: JOB_ISSUE_SUMMARY, data, opts: { jobId: issueSummaryJobId(data) } })),
        ),
        timeoutMs,
        "enqueueing summary jobs",
      );
    },
    async close() {
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

export interface SummaryWorkerConfig {
  redisUrl: string;
  prefix: string;
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** Calls started per `durationMs` at most, across every worker of the queue (BullMQ limiter). */
  rateLimit: { max: number; durationMs: number };
  /** Answered calls per project per UTC day. */
  dailyBudgetPerProject: number;
  /**
   * How long close() waits for calls in flight (default 5 s); past it the connection is dropped
   * and BullMQ hands those jobs to another worker once their lock expires.
   */
  closeTimeoutMs?: number;
}

export interface SummaryWorkerDeps {
  db: Db;
  llm: LlmClient;
  logger: pino.Logger;
  now?: () => Date;
}

export interface RunningSummaryWorker {
  /** Stops taking jobs, waits for the active ones, then closes the Redis connection. */
  close(): Promise<void>;
}

/**
 * Consumes `QUEUE_SUMMARIES` with `runSummaryJob` under a BullMQ rate limiter. Retryable
 * failures (429, 5xx, network, database) are thrown as-is and retried with exponential backoff
 * that honours Retry-After; others (other 4xx, malformed replies, invalid jobs) fail at once
 * with UnrecoverableError. Either way the issue keeps its current (heuristic) summary.
 */
export async function startSummaryWorker(
  config: SummaryWorkerConfig,
  deps: SummaryWorkerDeps,
): Promise<RunningSummaryWorker> {
  const { logger } = deps;
  const connection = quietRedis(config.redisUrl, logger, "codewarden-summaries-worker");

  const processor = async (job: Job): Promise<SummaryJobOutcome> => {
    if (job.name !== JOB_ISSUE_SUMMARY)
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    const jobLogger = logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    try {
      return await runSummaryJob(deps.db, job.data, {
        llm: deps.llm,
        dailyBudgetPerProject: config.dailyBudgetPerProject,
        logger: jobLogger,
        now: deps.now,
      });
    } catch (err) {
      if (!isRetryable(err)) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  };

  const worker = new Worker(QUEUE_SUMMARIES, processor, {
    connection,
    prefix: config.prefix,
    concurrency: config.concurrency,
    limiter: { max: config.rateLimit.max, duration: config.rateLimit.durationMs },
    autorun: false,
    settings: {
      backoffStrategy: (attemptsMade, _type, err, job) =>
        retryDelayMs(
          attemptsMade,
          (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? DEFAULT_SUMMARY_BACKOFF_MS,
          err,
        ),
    },
  });
  worker.on("error", (err) => logger.error({ err }, "summary worker error"));
  worker.on("failed", (job, err) => {
    const unrecoverable = err instanceof UnrecoverableError || err.name === "UnrecoverableError";
    const final = unrecoverable || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
    logger[final ? "warn" : "info"](
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message, unrecoverable },
      final ? "summary job failed; the issue keeps its current summary" : "summary job failed; retrying",
    );
  });
  worker.on("completed", (job, outcome: SummaryJobOutcome) =>
    logger.debug({ jobId: job.id, outcome }, "summary job done"),
  );

  await runWhenReady(worker, connection, logger, "summary worker");

  const closeTimeoutMs = config.closeTimeoutMs ?? 5_000;
  return {
    async close() {
      await closeWorkerWithin(
        worker,
        connection,
        closeTimeoutMs,
        logger,
        "summary jobs still running at close; another worker will retry them",
      );
    },
  };
}

export interface RunningBullmqSummaries {
  /** What processBatch enqueues summary jobs on. */
  readonly queue: BullmqSummaryQueue;
  /** Closes the producer, then lets the consumer finish its active jobs. */
  close(): Promise<void>;
}

/**
 * Scale-out summaries for one Bun worker process: a producer for processBatch and a rate-limited
 * consumer calling the configured OpenAI-compatible endpoint.
 */
export async function startBullmqSummaries(
  llm: LlmConfig,
  queueConfig: {
    redisUrl: string;
    prefix: string;
    /** First retry delay (default 2 s). */
    backoffMs?: number;
    /** Overrides `llm.ratePerMinute` per minute (tests use short windows). */
    rateLimit?: { max: number; durationMs: number };
    /** How long close() waits for calls in flight (default 5 s). */
    closeTimeoutMs?: number;
  },
  deps: { db: Db; logger: pino.Logger; client?: LlmClient },
): Promise<RunningBullmqSummaries> {
  const logger = deps.logger.child({ component: "summaries" });
  const queue = createBullmqSummaryQueue({
    redisUrl: queueConfig.redisUrl,
    prefix: queueConfig.prefix,
    attempts: llm.attempts,
    backoffMs: queueConfig.backoffMs,
    logger,
  });
  let worker: RunningSummaryWorker;
  try {
    worker = await startSummaryWorker(
      {
        redisUrl: queueConfig.redisUrl,
        prefix: queueConfig.prefix,
        concurrency: llm.concurrency,
        rateLimit: queueConfig.rateLimit ?? { max: llm.ratePerMinute, durationMs: 60_000 },
        dailyBudgetPerProject: llm.dailyBudgetPerProject,
        closeTimeoutMs: queueConfig.closeTimeoutMs,
      },
      { db: deps.db, llm: deps.client ?? createLlmClient(llm), logger },
    );
  } catch (err) {
    await queue.close().catch(() => {});
    throw err;
  }
  return {
    queue,
    async close() {
      await queue.close();
      await worker.close();
    },
  };
}
