import {
  type AlertJob,
  type AlertQueue,
  alertJobId,
  JOB_ALERT_DELIVERY,
  JOB_ALERT_DIGEST,
  QUEUE_ALERTS,
} from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type pino from "pino";
import { closeWorkerWithin, quietRedis, runWhenReady, withinMs } from "../bullmq";
import {
  type AlertJobOutcome,
  alertRetryDelayMs,
  DEFAULT_ALERT_ATTEMPTS,
  DEFAULT_ALERT_BACKOFF_MS,
  isRetryableAlertError,
  runAlertJob,
} from "./jobs";
import type { AlertSender } from "./send";

const BACKOFF_TYPE = "alert";

/** Retries and retention of alert jobs. Retained ids make duplicate enqueues collapse. */
export function alertJobOptions(attempts: number, backoffMs: number) {
  return {
    attempts: Math.max(1, attempts),
    backoff: { type: BACKOFF_TYPE, delay: backoffMs },
    removeOnComplete: { count: 10_000, age: 7 * 24 * 3600 },
    removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
  };
}

const jobName = (job: AlertJob) => (job.kind === "delivery" ? JOB_ALERT_DELIVERY : JOB_ALERT_DIGEST);

export interface BullmqAlertsConfig {
  redisUrl: string;
  prefix: string;
  /** Attempts per delivery (default 5); the last failure records the delivery as dead. */
  attempts?: number;
  /** First retry delay (default 5 s), doubled per attempt. */
  backoffMs?: number;
  /** Deliveries in flight per worker (default 8). */
  concurrency?: number;
  /** How long close() waits for deliveries in flight (default 5 s). */
  closeTimeoutMs?: number;
  /** An enqueue that takes longer is abandoned (default 5 s). */
  enqueueTimeoutMs?: number;
}

export type BullmqAlertQueue = AlertQueue & { readonly bullmq: Queue };

export interface RunningBullmqAlerts {
  /** What processBatch (and the web's test button) enqueue alert jobs on. */
  readonly queue: BullmqAlertQueue;
  close(): Promise<void>;
}

/**
 * Producer of alert jobs on BullMQ (`QUEUE_ALERTS`): a delivery job per delivery row, digests
 * delayed to their `runAt`. Job ids make duplicate enqueues collapse.
 */
export function createBullmqAlertQueue(
  config: Pick<BullmqAlertsConfig, "redisUrl" | "prefix" | "attempts" | "backoffMs" | "enqueueTimeoutMs">,
  logger: pino.Logger,
): BullmqAlertQueue {
  const attempts = config.attempts ?? DEFAULT_ALERT_ATTEMPTS;
  const backoffMs = config.backoffMs ?? DEFAULT_ALERT_BACKOFF_MS;
  const enqueueTimeoutMs = config.enqueueTimeoutMs ?? 5_000;
  const producerConnection = quietRedis(config.redisUrl, logger, "codewarden-alerts-producer");
  const bullmq = new Queue(QUEUE_ALERTS, {
    connection: producerConnection,
    prefix: config.prefix,
    defaultJobOptions: alertJobOptions(attempts, backoffMs),
  });
  bullmq.on("error", (err) => logger.debug({ err: { message: err.message } }, "bullmq queue error"));
  return {
    bullmq,
    async enqueue(jobs) {
      if (jobs.length === 0) return;
      await withinMs(
        bullmq.addBulk(
          jobs.map((data) => ({
            name: jobName(data),
            data,
            opts: {
              jobId: alertJobId(data),
              delay: data.kind === "digest" ? Math.max(0, Date.parse(data.runAt) - Date.now()) : undefined,
            },
          })),
        ),
        enqueueTimeoutMs,
        "enqueueing alert jobs",
      );
    },
    async close() {
      await bullmq.close();
      await producerConnection.quit().catch(() => producerConnection.disconnect());
    },
  };
}

/**
 * Scale-out alerts: a producer and a consumer of `QUEUE_ALERTS`. Deliveries are retried with
 * exponential backoff; after the last attempt (or a failure retrying cannot fix) the delivery
 * row is recorded `dead`. Digest jobs are delayed to the end of their window.
 */
export async function startBullmqAlerts(
  config: BullmqAlertsConfig,
  deps: { db: Db; logger: pino.Logger; sender: AlertSender; publicUrl: string },
): Promise<RunningBullmqAlerts> {
  const logger = deps.logger.child({ component: "alerts" });
  const backoffMs = config.backoffMs ?? DEFAULT_ALERT_BACKOFF_MS;
  const queue = createBullmqAlertQueue(config, logger);

  const connection = quietRedis(config.redisUrl, logger, "codewarden-alerts-worker");
  const processor = async (job: Job): Promise<AlertJobOutcome> => {
    if (job.name !== JOB_ALERT_DELIVERY && job.name !== JOB_ALERT_DIGEST)
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    try {
      return await runAlertJob(
        deps.db,
        job.data,
        { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
        {
          sender: deps.sender,
          queue,
          publicUrl: deps.publicUrl,
          logger: logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 }),
        },
      );
    } catch (err) {
      if (!isRetryableAlertError(err)) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  };
  const worker = new Worker(QUEUE_ALERTS, processor, {
    connection,
    prefix: config.prefix,
    concurrency: config.concurrency ?? 8,
    autorun: false,
    settings: {
      backoffStrategy: (attemptsMade, _type, _err, job) =>
        alertRetryDelayMs(
          attemptsMade,
          (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? backoffMs,
        ),
    },
  });
  worker.on("error", (err) => logger.error({ err }, "alert worker error"));
  worker.on("failed", (job, err) => {
    const unrecoverable = err instanceof UnrecoverableError || err.name === "UnrecoverableError";
    logger[unrecoverable ? "warn" : "info"](
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message, unrecoverable },
      unrecoverable ? "alert job failed for good" : "alert job failed; retrying",
    );
  });
  try {
    await runWhenReady(worker, connection, logger, "alert worker");
  } catch (err) {
    await queue.close().catch(() => {});
    throw err;
  }

  const closeTimeoutMs = config.closeTimeoutMs ?? 5_000;
  return {
    queue,
    async close() {
      await queue.close();
      await closeWorkerWithin(
        worker,
        connection,
        closeTimeoutMs,
        logger,
        "alert deliveries still running at close; they are retried later",
      );
      deps.sender.close();
    },
  };
}
