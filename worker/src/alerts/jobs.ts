import {
  ALERT_MESSAGE_LIMITS,
  type AlertDigestJob,
  type AlertJob,
  type AlertMessage,
  type AlertQueue,
  alertJobSchema,
  alertMessageSchema,
} from "@codewarden/common";
import {
  claimAlertDigest,
  createAlertDeliveries,
  type Db,
  getAlertRule,
  getDeliveryToSend,
  getProjectName,
  listDigestIssues,
  recordDeliveryAttempt,
} from "@codewarden/drizzle";
import type pino from "pino";
import { messageIssue } from "./evaluate";
import { AlertDeliveryError, type AlertSender } from "./send";

/** An alert job that can never succeed (bad shape): not retried. */
export class InvalidAlertJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidAlertJobError";
  }
}

/** Whether a failed alert job is worth another attempt. */
export function isRetryableAlertError(err: unknown): boolean {
  if (err instanceof AlertDeliveryError) return err.retryable;
  return !(err instanceof InvalidAlertJobError);
}

/** First retry delay of a delivery; doubled per further attempt, capped at 10 minutes. */
export const DEFAULT_ALERT_BACKOFF_MS = 5_000;
export const DEFAULT_ALERT_ATTEMPTS = 5;

export function alertRetryDelayMs(attemptsMade: number, baseMs: number): number {
  return Math.min(10 * 60_000, baseMs * 2 ** Math.max(0, attemptsMade - 1));
}

export interface AlertJobDeps {
  sender: AlertSender;
  /** Where a digest's deliveries go. */
  queue: AlertQueue;
  publicUrl: string;
  logger: pino.Logger;
}

export type AlertJobOutcome =
  | "sent"
  | "skipped"
  | "dead"
  | { digest: "sent"; issues: number; deliveries: number }
  | { digest: "skipped"; why: string };

/**
 * Runs one alert job. `attempt` is this attempt's number (1-based) of `maxAttempts`: a delivery
 * whose last attempt fails, or that fails in a way retrying cannot fix, is recorded `dead` (the
 * dead-letter record the Alerts page shows); an earlier failure is recorded `failed` and thrown
 * for the queue to retry.
 */
export async function runAlertJob(
  db: Db,
  data: unknown,
  attempt: { attempt: number; maxAttempts: number },
  deps: AlertJobDeps,
): Promise<AlertJobOutcome> {
  const parsed = alertJobSchema.safeParse(data);
  if (!parsed.success) throw new InvalidAlertJobError("invalid alert job");
  const job: AlertJob = parsed.data;
  if (job.kind === "digest") return runDigest(db, job, deps);

  const d = await getDeliveryToSend(db, job.deliveryId);
  if (!d || d.status === "sent" || d.status === "dead") return "skipped";
  if (!d.channel) {
    await recordDeliveryAttempt(db, { deliveryId: d.id, status: "dead", error: "channel deleted" });
    return "dead";
  }
  const message = alertMessageSchema.safeParse(d.payload);
  if (!message.success) {
    await recordDeliveryAttempt(db, { deliveryId: d.id, status: "dead", error: "invalid message payload" });
    return "dead";
  }
  try {
    await deps.sender.send(d.channel, message.data, d.id);
  } catch (err) {
    const retryable = isRetryableAlertError(err);
    const final = !retryable || attempt.attempt >= attempt.maxAttempts;
    const error = err instanceof Error ? err.message : String(err);
    await recordDeliveryAttempt(db, { deliveryId: d.id, status: final ? "dead" : "failed", error });
    deps.logger[final ? "warn" : "info"](
      { deliveryId: d.id, channel: d.channel.kind, attempt: attempt.attempt, err: error },
      final ? "alert delivery dead" : "alert delivery failed; retrying",
    );
    if (final) return "dead";
    throw err;
  }
  await recordDeliveryAttempt(db, { deliveryId: d.id, status: "sent" });
  deps.logger.debug({ deliveryId: d.id, channel: d.channel.kind }, "alert delivered");
  return "sent";
}

/**
 * A rule's digest for one digest window: the issues left to it (too many fired at once), or
 * every issue that fired when the rule asks for digests. One per rule and window (ledger row).
 */
async function runDigest(db: Db, job: AlertDigestJob, deps: AlertJobDeps): Promise<AlertJobOutcome> {
  const rule = await getAlertRule(db, { projectId: job.projectId, ruleId: job.ruleId });
  if (!rule?.enabled || rule.channelIds.length === 0) return { digest: "skipped", why: "rule gone or off" };
  const from = new Date(job.windowStart);
  const to = new Date(from.getTime() + job.windowMs);
  const limit = ALERT_MESSAGE_LIMITS.issues;
  const issues = await listDigestIssues(db, {
    ruleId: rule.id,
    from,
    to,
    onlyLeftToDigest: !rule.digest,
    limit: 10_000,
  });
  if (issues.length === 0) return { digest: "skipped", why: "nothing fired" };
  const projectName = (await getProjectName(db, job.projectId)) ?? "project";
  const n = issues.length;
  const message: AlertMessage = {
    v: 1,
    kind: "digest",
    reason: "digest",
    title: `${n} issue${n === 1 ? "" : "s"} fired for rule ${rule.name.slice(0, 200)}`,
    projectName: projectName.slice(0, ALERT_MESSAGE_LIMITS.tag),
    ruleName: rule.name.slice(0, ALERT_MESSAGE_LIMITS.tag),
    issues: issues.slice(0, limit).map((f) => messageIssue(deps.publicUrl, f, undefined)),
    moreIssues: Math.max(0, n - limit),
    createdAt: new Date().toISOString(),
  };
  const deliveryIds = await db.transaction(async (tx) => {
    if (!(await claimAlertDigest(tx, { ruleId: rule.id, windowStart: from }))) return null;
    return createAlertDeliveries(
      tx,
      rule.channelIds.map((channelId) => ({
        projectId: job.projectId,
        channelId,
        ruleId: rule.id,
        issueId: null,
        kind: "digest" as const,
        payload: message,
      })),
    );
  });
  if (!deliveryIds) return { digest: "skipped", why: "already sent" };
  await deps.queue.enqueue(deliveryIds.map((deliveryId) => ({ v: 1, kind: "delivery", deliveryId })));
  return { digest: "sent", issues: n, deliveries: deliveryIds.length };
}
