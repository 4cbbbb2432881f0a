import type { AlertMessage, AlertMessageIssue } from "@codewarden/common";

/**
 * Rendering of an alert message per channel. Every telemetry string (titles, summaries,
 * environments, services) is untrusted: escaped for Slack mrkdwn, sent as JSON strings to
 * webhooks, and as plain text (never HTML) in email.
 */

/** Slack's mrkdwn escaping: `&`, `<` and `>` are the only control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One line, no control characters (email subjects, log lines). */
export function oneLine(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const s = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const REASON_LABEL: Record<AlertMessage["reason"], string> = {
  new: "New issue",
  regressed: "Regression",
  spike: "Spike",
  digest: "Digest",
  test: "Test",
};

function tagLine(i: AlertMessageIssue): string {
  const parts = [`${i.eventCount} event${i.eventCount === 1 ? "" : "s"}`];
  if (i.windowCount !== null) parts.push(`${i.windowCount} in the spike window`);
  if (i.environments.length > 0) parts.push(`environment: ${i.environments.join(", ")}`);
  if (i.services.length > 0) parts.push(`service: ${i.services.join(", ")}`);
  return parts.join(" · ");
}

/** Plain-text body (email, Slack fallback text). */
export function renderText(m: AlertMessage): string {
  const lines = [`[${m.projectName}] ${m.title}`];
  if (m.ruleName) lines.push(`Rule: ${m.ruleName}`);
  if (m.kind === "test") lines.push("", "This channel is set up correctly.");
  for (const i of m.issues) {
    lines.push("", i.title, tagLine(i));
    if (i.culprit) lines.push(`in ${i.culprit}`);
    if (i.summary) lines.push(`Summary: ${i.summary}`);
    lines.push(i.url);
  }
  if (m.moreIssues > 0) lines.push("", `…and ${m.moreIssues} more issue${m.moreIssues === 1 ? "" : "s"}.`);
  return lines.join("\n");
}

/** Slack-compatible incoming-webhook payload: fallback `text` plus Block Kit sections. */
export function renderSlack(m: AlertMessage): { text: string; blocks: unknown[] } {
  const head = `*${escapeSlack(`${REASON_LABEL[m.reason]} · ${m.projectName}`)}*${m.ruleName ? ` (rule ${escapeSlack(m.ruleName)})` : ""}`;
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: head } }];
  if (m.kind === "test") {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: "Test notification from CodeWarden: this channel is set up correctly." },
    });
  }
  for (const i of m.issues.slice(0, 20)) {
    const lines = [`*<${i.url}|${escapeSlack(oneLine(i.title, 150))}>*`, escapeSlack(tagLine(i))];
    if (i.culprit) lines.push(`in \`${escapeSlack(oneLine(i.culprit, 150)).replace(/`/g, "'")}\``);
    if (i.summary) lines.push(`>${escapeSlack(oneLine(i.summary, 500))}`);
    blocks.push({ type: "section", text: { type: "mrkdwn", text: lines.join("\n").slice(0, 2900) } });
  }
  const more = m.moreIssues + Math.max(0, m.issues.length - 20);
  if (more > 0) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `…and ${more} more` }] });
  }
  return { text: escapeSlack(oneLine(`[${m.projectName}] ${m.title}`, 300)), blocks };
}

/** Body of a generic JSON webhook. */
export function renderWebhook(m: AlertMessage, deliveryId: string): string {
  return JSON.stringify({
    type: `codewarden.${m.kind}`,
    id: deliveryId,
    reason: m.reason,
    title: m.title,
    project: m.projectName,
    rule: m.ruleName,
    issues: m.issues,
    moreIssues: m.moreIssues,
    createdAt: m.createdAt,
  });
}

/** Email subject and plain-text body. */
export function renderEmail(m: AlertMessage): { subject: string; text: string } {
  return { subject: oneLine(`[CodeWarden] [${m.projectName}] ${m.title}`, 200), text: renderText(m) };
}
