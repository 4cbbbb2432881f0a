import { type AlertJob, type AlertQueue, alertJobId } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import type pino from "pino";
import {
  alertRetryDelayMs,
  DEFAULT_ALERT_ATTEMPTS,
  DEFAULT_ALERT_BACKOFF_MS,
  isRetryableAlertError,
  runAlertJob,
} from "./jobs";
import type { AlertSender } from "./send";

export interface InProcessAlertQueue extends AlertQueue {
  /** Resolves when no job is waiting, delayed or running. */
  drain(): Promise<void>;
  /** Jobs waiting, delayed or running. */
  readonly pending: number;
}

interface Entry {
  id: string;
  job: AlertJob;
  attemptsMade: number;
  notBefore: number;
}

export interface InProcessAlertsOptions {
  db: Db;
  logger: pino.Logger;
  sender: AlertSender;
  publicUrl: string;
  attempts?: number;
  backoffMs?: number;
  /** Jobs run at once (default 4). */
  concurrency?: number;
  /** Jobs waiting at most (default 10 000); beyond, new ones are dropped (and logged). */
  maxPending?: number;
  /** How long close() lets jobs that are due run (default 5 s). */
  closeTimeoutMs?: number;
}

/**
 * The all-in-one alerts queue: the BullMQ alerts queue's behaviour without Redis — retries with
 * backoff (the last failure records the delivery dead), digests delayed to their window's end,
 * duplicate ids collapsed. Nothing survives a restart: a lost delivery stays `pending` in the
 * deliveries table (visible on the Alerts page).
 */
export function createInProcessAlerts(opts: InProcessAlertsOptions): InProcessAlertQueue {
  const logger = opts.logger.child({ component: "alerts" });
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_ALERT_ATTEMPTS);
  const backoffMs = opts.backoffMs ?? DEFAULT_ALERT_BACKOFF_MS;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const maxPending = opts.maxPending ?? 10_000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;

  const waiting: Entry[] = [];
  const known = new Set<string>();
  const finished = new Set<string>();
  let running = 0;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let idleWaiters: Array<() => void> = [];

  const idle = () => running === 0 && waiting.length === 0;
  const settleIdle = () => {
    if (!idle()) return;
    const w = idleWaiters;
    idleWaiters = [];
    for (const f of w) f();
  };

  function remember(id: string) {
    known.delete(id);
    finished.add(id);
    if (finished.size > 10_000) {
      const oldest = finished.values().next().value;
      if (oldest !== undefined) finished.delete(oldest);
    }
  }

  async function attempt(entry: Entry): Promise<void> {
    const log = logger.child({ jobId: entry.id, attempt: entry.attemptsMade + 1 });
    try {
      await runAlertJob(
        opts.db,
        entry.job,
        { attempt: entry.attemptsMade + 1, maxAttempts: attempts },
        { sender: opts.sender, queue: api, publicUrl: opts.publicUrl, logger: log },
      );
      remember(entry.id);
    } catch (err) {
      entry.attemptsMade++;
      if (isRetryableAlertError(err) && entry.attemptsMade < attempts && !closed) {
        entry.notBefore = Date.now() + alertRetryDelayMs(entry.attemptsMade, backoffMs);
        waiting.push(entry);
      } else {
        remember(entry.id);
        log.error({ err: (err as Error).message }, "alert job failed for good");
      }
    }
  }

  function pump(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const now = Date.now();
    while (running < concurrency) {
      const index = waiting.findIndex((e) => e.notBefore <= now);
      if (index < 0) break;
      const [entry] = waiting.splice(index, 1);
      running++;
      void attempt(entry!).finally(() => {
        running--;
        pump();
        settleIdle();
      });
    }
    if (waiting.length > 0 && running < concurrency) {
      let next = Number.POSITIVE_INFINITY;
      for (const e of waiting) next = Math.min(next, e.notBefore);
      timer = setTimeout(pump, Math.max(0, next - now));
      timer.unref?.();
    }
    settleIdle();
  }

  const api: InProcessAlertQueue = {
    get pending() {
      return waiting.length + running;
    },
    async enqueue(jobs) {
      let dropped = 0;
      for (const job of jobs) {
        const id = alertJobId(job);
        if (known.has(id) || finished.has(id)) continue;
        if (closed || waiting.length >= maxPending) {
          dropped++;
          continue;
        }
        known.add(id);
        const notBefore = job.kind === "digest" ? Date.parse(job.runAt) : 0;
        waiting.push({ id, job, attemptsMade: 0, notBefore });
      }
      if (dropped > 0) logger.warn({ dropped, closed }, "alerts queue cannot take more jobs; dropped");
      pump();
    },
    drain() {
      if (idle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      // Jobs due now (and their retries) get the deadline; delayed digests and backoffs do not.
      let t: NodeJS.Timeout | undefined;
      const waitDue = new Promise<void>((resolve) => {
        const check = () => {
          if (running === 0 && !waiting.some((e) => e.notBefore <= Date.now())) return resolve();
          t = setTimeout(check, 20);
        };
        check();
      });
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([waitDue, new Promise<void>((r) => (deadline = setTimeout(r, closeTimeoutMs)))]);
      clearTimeout(t);
      clearTimeout(deadline);
      if (timer) clearTimeout(timer);
      if (waiting.length > 0)
        logger.warn({ dropped: waiting.length }, "alerts queue closed with jobs waiting");
      waiting.length = 0;
      settleIdle();
      opts.sender.close();
    },
  };
  return api;
}
