import { type IssueSummaryJob, issueSummaryJobId, type SummaryQueue } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import type pino from "pino";
import { createLlmClient, type LlmClient, type LlmConfig } from "./llm";
import { DEFAULT_SUMMARY_BACKOFF_MS, isRetryable, retryDelayMs } from "./retry-policy";
import { runSummaryJob } from "./summary-job";

export interface InProcessSummaryQueueOptions {
  /** Jobs started per `durationMs` at most (the LLM rate limit). */
  rateLimit: { max: number; durationMs: number };
  /** Attempts per job; retryable failures (429, 5xx, network) are retried with backoff. */
  attempts: number;
  /** Delay before the first retry, doubled for each further one, never below Retry-After (default 2 s). */
  backoffMs?: number;
  /** Jobs waiting at most (default 10 000); beyond, new jobs are dropped and issues keep their summary. */
  maxPending?: number;
  /** Job ids remembered after they finished, so duplicates collapse (default 10 000). */
  rememberFinished?: number;
  /** How long close() lets waiting jobs run before dropping them (default 5 s). */
  closeTimeoutMs?: number;
  logger: pino.Logger;
}

export interface InProcessSummaryQueue extends SummaryQueue {
  /** Resolves when no job is waiting, delayed or running. */
  drain(): Promise<void>;
  /** Jobs waiting, delayed or running. */
  readonly pending: number;
}

interface Entry {
  id: string;
  job: IssueSummaryJob;
  attemptsMade: number;
  notBefore: number;
}

/**
 * The all-in-one summaries queue: the BullMQ summaries queue's behaviour without Redis. Jobs run
 * one at a time, at most `rateLimit.max` started per `rateLimit.durationMs`; retryable failures
 * are retried after an exponential backoff (at least the endpoint's Retry-After) while other
 * jobs go ahead; other failures are logged and dropped. A job id seen recently is not added
 * again. Nothing survives a restart: an issue whose job was lost keeps its heuristic summary.
 */
export function createInProcessSummaryQueue(
  handler: (job: IssueSummaryJob) => Promise<unknown>,
  opts: InProcessSummaryQueueOptions,
): InProcessSummaryQueue {
  const { max, durationMs } = opts.rateLimit;
  const attempts = Math.max(1, opts.attempts);
  const backoffMs = opts.backoffMs ?? DEFAULT_SUMMARY_BACKOFF_MS;
  const maxPending = opts.maxPending ?? 10_000;
  const rememberFinished = opts.rememberFinished ?? 10_000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
  const log = opts.logger;

  const waiting: Entry[] = [];
  const queuedIds = new Set<string>();
  const finished = new Set<string>();
  const starts: number[] = [];
  let inFlight: Entry | null = null;
  let running = false;
  let closed = false;
  let aborted = false;
  let idleWaiters: Array<() => void> = [];
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        if (wake === done) wake = null;
        resolve();
      }
      wake = done;
    });

  function finish(entry: Entry): void {
    queuedIds.delete(entry.id);
    finished.add(entry.id);
    if (finished.size > rememberFinished) {
      const oldest = finished.values().next().value;
      if (oldest !== undefined) finished.delete(oldest);
    }
  }

  async function attempt(entry: Entry): Promise<void> {
    const jobLog = log.child({ jobId: entry.id, attempt: entry.attemptsMade + 1 });
    try {
      await handler(entry.job);
      finish(entry);
    } catch (err) {
      entry.attemptsMade++;
      const retry = isRetryable(err) && entry.attemptsMade < attempts && !closed;
      if (retry) {
        const delay = retryDelayMs(entry.attemptsMade, backoffMs, err);
        entry.notBefore = Date.now() + delay;
        waiting.push(entry);
        jobLog.warn({ err: (err as Error).message, retryInMs: delay }, "summary job failed; retrying");
      } else {
        finish(entry);
        jobLog[isRetryable(err) ? "error" : "warn"](
          { err: (err as Error).message, attemptsMade: entry.attemptsMade },
          "summary job failed; the issue keeps its current summary",
        );
      }
    }
  }

  async function run(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0 && !aborted) {
        const now = Date.now();
        while (starts.length > 0 && starts[0]! <= now - durationMs) starts.shift();
        if (starts.length >= max) {
          await sleep(starts[0]! + durationMs - now);
          continue;
        }
        const index = waiting.findIndex((e) => e.notBefore <= now);
        if (index < 0) {
          let next = Number.POSITIVE_INFINITY;
          for (const e of waiting) next = Math.min(next, e.notBefore);
          await sleep(next - now);
          continue;
        }
        const [entry] = waiting.splice(index, 1);
        starts.push(now);
        inFlight = entry!;
        await attempt(entry!);
        inFlight = null;
      }
    } finally {
      running = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function drain(): Promise<void> {
    if (!running && waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    get pending() {
      return waiting.length + (inFlight ? 1 : 0);
    },
    async enqueue(jobs) {
      let dropped = 0;
      for (const job of jobs) {
        const id = issueSummaryJobId(job);
        if (queuedIds.has(id) || finished.has(id)) continue;
        if (closed || waiting.length >= maxPending) {
          dropped++;
          continue;
        }
        queuedIds.add(id);
        waiting.push({ id, job, attemptsMade: 0, notBefore: 0 });
      }
      if (dropped > 0) {
        log.warn(
          { dropped, closed },
          "summaries queue cannot take more jobs; those issues keep their summary",
        );
      }
      if (running) wake?.();
      else if (waiting.length > 0) void run();
    },
    drain,
    async close() {
      if (closed) return drain();
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        drain().then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        aborted = true;
        log.warn(
          { dropped: waiting.length, inFlight: inFlight !== null },
          "summaries queue: close deadline passed, dropping waiting jobs",
        );
        waiting.length = 0;
        wake?.();
      }
    },
  };
}

/**
 * All-in-one summaries: the in-process queue running `runSummaryJob` against the configured
 * endpoint, with the same rate limit, retries, budget and cache as the BullMQ worker.
 */
export function createInProcessSummaries(
  llm: LlmConfig,
  deps: {
    db: Db;
    logger: pino.Logger;
    client?: LlmClient;
    /** First retry delay (default 2 s). */
    backoffMs?: number;
    /** Overrides `llm.ratePerMinute` per minute (tests use short windows). */
    rateLimit?: { max: number; durationMs: number };
    now?: () => Date;
  },
): InProcessSummaryQueue {
  const logger = deps.logger.child({ component: "summaries" });
  const client = deps.client ?? createLlmClient(llm);
  return createInProcessSummaryQueue(
    (job) =>
      runSummaryJob(deps.db, job, {
        llm: client,
        dailyBudgetPerProject: llm.dailyBudgetPerProject,
        logger,
        now: deps.now,
      }),
    {
      rateLimit: deps.rateLimit ?? { max: llm.ratePerMinute, durationMs: 60_000 },
      attempts: llm.attempts,
      backoffMs: deps.backoffMs,
      logger,
    },
  );
}
