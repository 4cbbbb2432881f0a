import { type ErrorBatchJob, type ErrorQueue, LIMITS, QueueUnavailableError } from "@codewarden/common";
import type pino from "pino";

export interface InProcessQueueOptions {
  /** Jobs buffered at most (default 1000); beyond that enqueue throws QueueUnavailableError. */
  maxPending?: number;
  /** Attempts per job (default 4) before it is logged and dropped. */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one (default 200 ms). */
  backoffMs?: number;
  /**
   * How long the runner lets jobs gather before it takes a batch (default 200 ms). Storing costs
   * mostly per transaction, so under load this turns many one-error jobs into one batch.
   */
  lingerMs?: number;
  /** How long close() waits for the buffer to drain (default 10 s). */
  closeTimeoutMs?: number;
  logger: pino.Logger;
}

export interface InProcessErrorQueue extends ErrorQueue {
  /** Resolves when every buffered job has been handled (or dropped). */
  drain(): Promise<void>;
  /** Whether the queue can take work now (for readiness). */
  isReady(): Promise<boolean>;
  /** Jobs buffered, including the one being handled. */
  readonly pending: number;
}

/**
 * The all-in-one queue: a bounded in-memory buffer whose jobs are handed to `handler` one
 * batch at a time, asynchronously (consecutive jobs of one project are merged). A failing handler is retried with exponential backoff, then the job
 * is logged and dropped. Nothing survives a restart (that is what the BullMQ queue is for).
 */
/** One job holding the errors of several jobs of one project (received at the latest of their times). */
function merge(jobs: ErrorBatchJob[]): ErrorBatchJob {
  if (jobs.length === 1) return jobs[0]!;
  return {
    v: 1,
    projectId: jobs[0]!.projectId,
    receivedAt: new Date(Math.max(...jobs.map((j) => Date.parse(j.receivedAt)))).toISOString(),
    errors: jobs.flatMap((j) => j.errors),
  };
}

export function createInProcessErrorQueue(
  handler: (job: ErrorBatchJob) => Promise<void>,
  opts: InProcessQueueOptions,
): InProcessErrorQueue {
  const maxPending = opts.maxPending ?? 1000;
  const attempts = Math.max(1, opts.attempts ?? 4);
  const backoffMs = opts.backoffMs ?? 200;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const lingerMs = opts.lingerMs ?? 200;
  const log = opts.logger;
  const buffer: ErrorBatchJob[] = [];
  let running = false;
  let closed = false;
  let idleWaiters: Array<() => void> = [];
  let wakeSleeper: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wakeSleeper = null;
        resolve();
      }
      wakeSleeper = done;
    });

  async function handle(job: ErrorBatchJob): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await handler(job);
        return;
      } catch (err) {
        if (attempt === attempts || closed) {
          log.error(
            { err, attempt, projectId: job.projectId, errors: job.errors.length },
            "in-process queue: job failed, dropped",
          );
          return;
        }
        log.warn({ err, attempt }, "in-process queue: job failed, retrying");
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  async function run(): Promise<void> {
    running = true;
    try {
      while (buffer.length > 0) {
        if (lingerMs > 0 && !closed && bufferedErrors() < LIMITS.errorsPerJob) await sleep(lingerMs);
        const taken = takeBatch();
        await handle(merge(taken));
        buffer.splice(0, taken.length);
      }
    } finally {
      running = false;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * The jobs at the head of the buffer that form one batch: consecutive jobs of one project,
   * up to LIMITS.errorsPerJob errors. Under load, requests buffered while the previous batch
   * was being stored go to the database in one transaction instead of one each.
   */
  function takeBatch(): ErrorBatchJob[] {
    const first = buffer[0]!;
    let errors = first.errors.length;
    let n = 1;
    while (n < buffer.length) {
      const next = buffer[n]!;
      if (next.projectId !== first.projectId || errors + next.errors.length > LIMITS.errorsPerJob) break;
      errors += next.errors.length;
      n++;
    }
    return buffer.slice(0, n);
  }

  function bufferedErrors(): number {
    let n = 0;
    for (const job of buffer) n += job.errors.length;
    return n;
  }

  function drain(): Promise<void> {
    if (!running && buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    get pending() {
      return buffer.length;
    },
    async enqueue(job) {
      if (closed) throw new QueueUnavailableError("in-process queue is closed", 5);
      if (buffer.length >= maxPending) throw new QueueUnavailableError("in-process queue is full", 2);
      buffer.push(job);
      if (!running) setImmediate(() => void (running || buffer.length === 0 ? undefined : run()));
    },
    drain,
    async isReady() {
      return !closed && buffer.length < maxPending;
    },
    async close() {
      if (closed) return drain();
      closed = true;
      wakeSleeper?.();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        drain().then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn(
          { dropped: buffer.length },
          "in-process queue: close deadline passed, dropping buffered jobs",
        );
        buffer.length = 0;
      }
    },
  };
}
