import { z } from "zod";

/**
 * The channel-neutral content of one alert notification, stored with its delivery and rendered
 * per channel (Slack, JSON webhook, email) by the worker. Titles, summaries, environments and
 * services come from telemetry: every string here is untrusted and escaped on render.
 */
export const ALERT_MESSAGE_LIMITS = {
  title: 300,
  summary: 2000,
  tag: 256,
  tags: 10,
  issues: 50,
} as const;

export const alertMessageIssueSchema = z.object({
  id: z.string().uuid(),
  title: z.string().max(ALERT_MESSAGE_LIMITS.title),
  /** Link to the issue page. */
  url: z.string().url(),
  eventCount: z.number().int().min(0),
  culprit: z.string().max(ALERT_MESSAGE_LIMITS.title).nullable(),
  environments: z.array(z.string().max(ALERT_MESSAGE_LIMITS.tag)).max(ALERT_MESSAGE_LIMITS.tags),
  services: z.array(z.string().max(ALERT_MESSAGE_LIMITS.tag)).max(ALERT_MESSAGE_LIMITS.tags),
  /** The issue's summary text when it has one. */
  summary: z.string().max(ALERT_MESSAGE_LIMITS.summary).nullable(),
  /** Events in the spike window (spike alerts only). */
  windowCount: z.number().int().min(0).nullable(),
});
export type AlertMessageIssue = z.infer<typeof alertMessageIssueSchema>;

export const alertMessageSchema = z.object({
  v: z.literal(1),
  kind: z.enum(["alert", "digest", "test"]),
  /** Why: a new issue, a regression, a spike, a digest of several, or a test. */
  reason: z.enum(["new", "regressed", "spike", "digest", "test"]),
  /** One line, e.g. "New issue: TypeError: x is undefined". */
  title: z.string().max(ALERT_MESSAGE_LIMITS.title + 100),
  projectName: z.string().max(ALERT_MESSAGE_LIMITS.tag),
  ruleName: z.string().max(ALERT_MESSAGE_LIMITS.tag).nullable(),
  issues: z.array(alertMessageIssueSchema).max(ALERT_MESSAGE_LIMITS.issues),
  /** Issues that fired beyond those listed (digests are capped). */
  moreIssues: z.number().int().min(0),
  createdAt: z.string().datetime({ offset: true }),
});
export type AlertMessage = z.infer<typeof alertMessageSchema>;

/** The message a channel's "Send test" button delivers. */
export function testAlertMessage(projectName: string, now = new Date()): AlertMessage {
  return {
    v: 1,
    kind: "test",
    reason: "test",
    title: "Test notification from CodeWarden",
    projectName: projectName.slice(0, ALERT_MESSAGE_LIMITS.tag),
    ruleName: null,
    issues: [],
    moreIssues: 0,
    createdAt: now.toISOString(),
  };
}

/** Whether a user-configured outbound URL may be used: absolute http(s) with a host, no credentials. */
export function isAlertUrl(value: string): boolean {
  if (value.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.hostname !== "" &&
    !url.username &&
    !url.password
  );
}
