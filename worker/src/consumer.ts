import {
  cappedBackoffMs,
  ERROR_JOB_BACKOFF,
  type ErrorBatchJob,
  JOB_ERROR_BATCH,
  LIMITS,
  QUEUE_ERRORS,
} from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type pino from "pino";
import type { AlertDeps } from "./alerts/evaluate";
import { quietRedis, runWhenReady } from "./bullmq";
import type { WorkerConfig } from "./config";
import { InvalidJobError, type ProcessBatchResult, processBatch } from "./process-batch";
import type { Scrubber } from "./scrub";
import type { Summariser } from "./summarise/llm";

export interface WorkerDeps {
  db: Db;
  logger: pino.Logger;
  /** LLM summariser for new and regressed issues (optional). */
  summariser?: Summariser | null;
  /** Full event bodies kept per issue and hour (bounded storage). */
  eventsPerIssueHour?: number;
  /** PII scrubbing rules (default: every built-in rule). */
  scrubber?: Scrubber;
  /** Alert evaluation (the alerts queue and the dashboard's URL); optional. */
  alerts?: AlertDeps | null;
}

export interface RunningWorker {
  /** Stops taking jobs, waits for the active ones, then closes the Redis connection. */
  close(): Promise<void>;
}

/** Defaults of WORKER_LOCK_DURATION_MS, WORKER_STALLED_INTERVAL_MS and WORKER_MAX_STALLED_COUNT. */
const DEFAULT_LOCK_DURATION_MS = 30_000;
const DEFAULT_STALLED_INTERVAL_MS = 30_000;
const DEFAULT_MAX_STALLED_COUNT = 5;

/**
 * Jobs a worker holds at once per unit of WORKER_CONCURRENCY (batches stored at once). Holding
 * more jobs than it stores at once is what lets group commit merge them.
 */
const JOBS_HELD_PER_BATCH_SLOT = 8;

/** What a job's processor returns (BullMQ keeps it as the job's return value). */
export type JobResult = ProcessBatchResult & {
  /** Jobs stored in the same transaction as this one (1: on its own). */
  jobsInBatch: number;
};

/**
 * Consumes error batches from BullMQ (`QUEUE_ERRORS` under the configured prefix) with
 * `processBatch`. Jobs that can never succeed fail with UnrecoverableError (no retries);
 * database and other transient errors are thrown as-is so BullMQ retries them.
 *
 * Group commit: the worker holds up to 8 × WORKER_CONCURRENCY jobs and stores a project's held
 * jobs together, in one `processBatch` (one transaction, up to LIMITS.errorsPerJob errors), at
 * most one batch per project and WORKER_CONCURRENCY batches at a time. One job per OTLP request
 * makes jobs small (often a few errors), and a transaction per job spends most of its time on
 * per-transaction work (issue upserts and locks, counters, round trips) while concurrent jobs of
 * one project queue on the same issue rows. Under low load a job is stored at once, alone; under
 * load, the jobs that arrive while a batch is being stored form the next one.
 */
export async function startWorker(
  config: Pick<WorkerConfig, "redisUrl" | "queuePrefix" | "concurrency"> &
    Partial<Pick<WorkerConfig, "lockDurationMs" | "stalledIntervalMs" | "maxStalledCount">>,
  deps: WorkerDeps,
): Promise<RunningWorker> {
  const { db, logger, summariser } = deps;
  const connection = quietRedis(config.redisUrl, logger, "codewarden-worker");

  const store = (data: unknown, log: pino.Logger) =>
    processBatch(db, data, {
      logger: log,
      summariser,
      eventsPerIssueHour: deps.eventsPerIssueHour,
      scrubber: deps.scrubber,
      alerts: deps.alerts,
    });
  const group = createGroupCommit({
    maxInFlight: config.concurrency,
    async storeOne(job) {
      try {
        return await store(job.data, logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 }));
      } catch (err) {
        if (err instanceof InvalidJobError) throw new UnrecoverableError(err.message);
        throw err;
      }
    },
    storeMany: (jobs) => store(mergeJobs(jobs), logger.child({ jobIds: jobs.map((j) => j.id) })),
  });
  const processor = async (job: Job): Promise<JobResult> => {
    if (job.name !== JOB_ERROR_BATCH)
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    return group.add(job);
  };

  const worker = new Worker(QUEUE_ERRORS, processor, {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.concurrency * JOBS_HELD_PER_BATCH_SLOT,
    // A job whose worker died (crash, SIGKILL, lost host) keeps its lock until it expires; then
    // the stalled check of any worker puts it back in the queue. Storage is idempotent, so a
    // re-run is safe: a job fails for good only after stalling more often than maxStalledCount.
    lockDuration: config.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: config.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    maxStalledCount: config.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
    settings: {
      // Error-batch jobs back off exponentially up to a minute (see ERROR_JOB_OPTIONS).
      backoffStrategy: (attemptsMade, type, _err, job) => {
        const backoff = job?.opts.backoff;
        const base = typeof backoff === "object" && backoff.delay ? backoff.delay : 1000;
        return type === ERROR_JOB_BACKOFF ? cappedBackoffMs(attemptsMade, base) : base;
      },
    },
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
  worker.on("stalled", (jobId) =>
    logger.warn({ jobId }, "error batch stalled (its worker stopped holding it); back in the queue"),
  );
  worker.on("completed", (job, result: JobResult) =>
    logger.debug({ jobId: job.id, ...result }, "error batch processed"),
  );

  await runWhenReady(worker, connection, logger, "worker");

  return {
    async close() {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Whether job data has the shape that can be merged (full validation is processBatch's). */
function mergeable(data: unknown): data is ErrorBatchJob {
  const d = data as Partial<ErrorBatchJob> | null;
  return (
    typeof d === "object" &&
    d !== null &&
    d.v === 1 &&
    typeof d.projectId === "string" &&
    typeof d.receivedAt === "string" &&
    Array.isArray(d.errors) &&
    d.errors.length <= LIMITS.errorsPerJob
  );
}

/**
 * One job made of a project's held jobs, errors in arrival order. It takes the earliest receive
 * time of them (which only bounds how far in the future an event's own time may be).
 */
function mergeJobs(jobs: readonly Job[]): ErrorBatchJob {
  const data = jobs.map((j) => j.data as ErrorBatchJob);
  let receivedAt = data[0]!.receivedAt;
  for (const d of data) if (Date.parse(d.receivedAt) < Date.parse(receivedAt)) receivedAt = d.receivedAt;
  return { v: 1, projectId: data[0]!.projectId, receivedAt, errors: data.flatMap((d) => d.errors) };
}

interface HeldJob {
  job: Job;
  errors: number;
  resolve(result: JobResult): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions {
  /** Batches being stored at once, over all projects (one per project at most). */
  maxInFlight: number;
  /** Stores one job (validation errors become UnrecoverableError). */
  storeOne(job: Job): Promise<ProcessBatchResult>;
  /** Stores several jobs of one project in one transaction. */
  storeMany(jobs: readonly Job[]): Promise<ProcessBatchResult>;
}

/**
 * Group commit of held jobs (see startWorker). A merged batch that fails for any reason is
 * stored again job by job, so a job that cannot be stored fails alone, with its own retries.
 */
export function createGroupCommit(opts: GroupCommitOptions): { add(job: Job): Promise<JobResult> } {
  /** Held jobs not yet in a batch, per project, in arrival order (projects in turn order). */
  const waiting = new Map<string, HeldJob[]>();
  /** Projects with a batch being stored. */
  const storing = new Set<string>();
  let pumpScheduled = false;

  const one = async (h: HeldJob): Promise<void> => {
    await opts.storeOne(h.job).then((r) => h.resolve({ ...r, jobsInBatch: 1 }), h.reject);
  };
  const run = async (batch: HeldJob[]): Promise<void> => {
    if (batch.length === 1) return one(batch[0]!);
    let result: ProcessBatchResult;
    try {
      result = await opts.storeMany(batch.map((h) => h.job));
    } catch {
      for (const h of batch) await one(h);
      return;
    }
    for (const h of batch) h.resolve({ ...result, jobsInBatch: batch.length });
  };
  const pump = () => {
    pumpScheduled = false;
    for (const [projectId, held] of [...waiting]) {
      if (storing.size >= opts.maxInFlight) return;
      if (storing.has(projectId)) continue;
      const batch: HeldJob[] = [];
      let errors = 0;
      while (held.length > 0 && (batch.length === 0 || errors + held[0]!.errors <= LIMITS.errorsPerJob)) {
        const h = held.shift()!;
        batch.push(h);
        errors += h.errors;
      }
      // Re-inserted at the end: projects take turns.
      waiting.delete(projectId);
      if (held.length > 0) waiting.set(projectId, held);
      storing.add(projectId);
      void run(batch).finally(() => {
        storing.delete(projectId);
        schedulePump();
      });
    }
  };
  // After the current I/O callbacks: jobs fetched together are stored together.
  const schedulePump = () => {
    if (pumpScheduled || waiting.size === 0) return;
    pumpScheduled = true;
    setImmediate(pump);
  };

  return {
    add(job) {
      if (!mergeable(job.data)) {
        // Let processBatch say what is wrong with it, on its own.
        return opts.storeOne(job).then((r) => ({ ...r, jobsInBatch: 1 }));
      }
      const { projectId, errors } = job.data;
      return new Promise<JobResult>((resolve, reject) => {
        const held = waiting.get(projectId);
        const h: HeldJob = { job, errors: errors.length, resolve, reject };
        if (held) held.push(h);
        else waiting.set(projectId, [h]);
        schedulePump();
      });
    },
  };
}
