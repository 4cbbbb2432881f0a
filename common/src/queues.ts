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
