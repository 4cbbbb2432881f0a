import { LlmCallError } from "./llm";

/** A summary job that can never succeed (bad shape): not retried. */
export class InvalidSummaryJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSummaryJobError";
  }
}

/** First retry delay of a summary job; doubled for each further attempt. */
export const DEFAULT_SUMMARY_BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * Whether a failed summary job is worth another attempt: 429, 5xx, timeouts and network errors
 * (and database errors) are; other 4xx, malformed replies and invalid jobs are not.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof LlmCallError) return err.retryable;
  return !(err instanceof InvalidSummaryJobError);
}

/**
 * Delay before the next attempt after `attemptsMade` failed ones: exponential from `baseMs`,
 * but never sooner than the endpoint's Retry-After.
 */
export function retryDelayMs(attemptsMade: number, baseMs: number, err: unknown): number {
  const exponential = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  const asked = err instanceof LlmCallError ? (err.retryAfterMs ?? 0) : 0;
  return Math.min(MAX_BACKOFF_MS, Math.max(exponential, asked));
}
