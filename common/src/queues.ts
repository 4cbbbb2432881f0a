/** BullMQ queue and job names shared by producers (collector) and consumers (worker). */
export const QUEUE_ERRORS = "codewarden-errors";
export const JOB_ERROR_BATCH = "error-batch";

/** Default BullMQ key prefix; tests use their own so they never collide. */
export const DEFAULT_QUEUE_PREFIX = "cw";

/**
 * LLM summaries of new and regressed issues: their own queue, so the model's rate limit,
 * retries and latency never hold up error batches.
 */
export const QUEUE_SUMMARIES = "codewarden-summaries";
export const JOB_ISSUE_SUMMARY = "issue-summary";

/**
 * Backoff of error-batch jobs: exponential from the job's `delay`, capped at
 * ERROR_JOB_MAX_BACKOFF_MS, with ±20% jitter so that jobs failed together (a database outage)
 * do not come back together. BullMQ's own `exponential` has no cap, so a long outage would
 * need either few attempts (jobs failed for good after seconds) or hours between retries.
 */
export const ERROR_JOB_BACKOFF = "cw-capped-exponential";
export const ERROR_JOB_MAX_BACKOFF_MS = 60_000;

/** Delay before retry number `attemptsMade` (1 = the first retry) of a job with backoff `baseMs`. */
export function cappedBackoffMs(
  attemptsMade: number,
  baseMs: number,
  capMs: number = ERROR_JOB_MAX_BACKOFF_MS,
  random: () => number = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attemptsMade - 1)));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/**
 * Alert notifications: delivery of one message to one channel (retried with backoff, then
 * recorded as dead), and the delayed digest of a rule's digest window.
 */
export const QUEUE_ALERTS = "codewarden-alerts";
export const JOB_ALERT_DELIVERY = "alert-delivery";
export const JOB_ALERT_DIGEST = "alert-digest";
