import { randomBytes } from "node:crypto";
import { isAlertUrl, testAlertMessage } from "@codewarden/common";
import {
  ALERT_RULE_KINDS,
  type AlertChannelConfig,
  type AlertChannelRow,
  type AlertRuleKind,
  createAlertChannel,
  createAlertDeliveries,
  createAlertRule,
  deleteAlertChannel,
  deleteAlertRule,
  getAlertChannel,
  getAlertDeliveryStatus,
  listAlertChannels,
  listAlertDeliveries,
  listAlertRules,
  setAlertRuleEnabled,
} from "@codewarden/drizzle";
import { type AppLoadContext, data } from "@remix-run/node";
import { MAX_ALERT_FILTER_LENGTH, MAX_EMAIL_RECIPIENTS } from "../utils/alerts";
import { normaliseEmail } from "../utils/email";
import { isUuid } from "../utils/ids";
import type { SessionUser } from "./auth.server";
import {
  type ActionData,
  actorOf,
  field,
  iso,
  notFound,
  parseDisplayName,
  refused,
  reply,
} from "./forms.server";
import { requireProject } from "./keys.server";
import { isOwner, ownersOnly } from "./membership.server";

/** Alert channels, rules and recent deliveries of a project; owners manage them. */

/** How long "Send test" waits for the delivery's outcome before answering "queued". */
const TEST_WAIT_MS = 8_000;

/** What the page shows of a channel: where it goes, never a webhook secret or a Slack URL's token. */
function channelTarget(c: AlertChannelRow): string {
  const config = c.config;
  if ("addresses" in config) return config.addresses.join(", ");
  try {
    const url = new URL(config.url);
    // Webhook paths often carry the token (Slack, Discord): only the origin is shown.
    return `${url.origin}${url.pathname.length > 1 || url.search ? "/…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

export async function loadProjectAlerts(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  const [channels, rules, deliveries] = await Promise.all([
    listAlertChannels(context.db, { projectId: project.id }),
    listAlertRules(context.db, { projectId: project.id }),
    listAlertDeliveries(context.db, { projectId: project.id, limit: 50 }),
  ]);
  const channelName = new Map(channels.map((c) => [c.id, c.name]));
  return {
    org: { name: m.name, slug: m.slug },
    project: { name: project.name, slug: project.slug },
    canManage: isOwner(m),
    channels: channels.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      target: channelTarget(c),
      signed: "secret" in c.config,
      createdAt: c.createdAt.toISOString(),
    })),
    rules: rules.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      windowMinutes: r.windowMinutes,
      spikeCount: r.spikeCount,
      spikeFactor: r.spikeFactor,
      environment: r.environment,
      service: r.service,
      digest: r.digest,
      enabled: r.enabled,
      channels: r.channelIds.map((id) => channelName.get(id) ?? "(deleted)"),
    })),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      kind: d.kind,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      channel: d.channelName,
      rule: d.ruleName,
      issueId: d.issueId,
      title: d.title,
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
      sentAt: iso(d.sentAt),
    })),
    now: new Date().toISOString(),
  };
}

/** A one-line optional filter value ("" = any). */
function optionalTag(raw: string): string | null | { error: string } {
  const v = raw.trim();
  if (v === "") return null;
  if (v.length > MAX_ALERT_FILTER_LENGTH || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(v))
    return { error: "Filters are one line of at most 256 characters." };
  return v;
}

function optionalNumber(raw: string, min: number, max: number, integer: boolean): number | null | undefined {
  const v = raw.trim();
  if (v === "") return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return undefined;
  return n;
}

type ChannelInput =
  | { kind: "slack"; config: AlertChannelConfig }
  | { kind: "webhook"; config: AlertChannelConfig; generatedSecret: string | null }
  | { kind: "email"; config: AlertChannelConfig };

function parseChannel(form: FormData): ChannelInput | { error: string } {
  const kind = field(form, "kind");
  if (kind === "slack" || kind === "webhook") {
    const url = field(form, "url").trim();
    if (!isAlertUrl(url))
      return { error: "Enter the webhook's http:// or https:// URL (without credentials)." };
    if (kind === "slack") return { kind, config: { url } };
    let secret = field(form, "secret").trim();
    let generatedSecret: string | null = null;
    if (secret === "") {
      secret = `whsec_${randomBytes(24).toString("base64url")}`;
      generatedSecret = secret;
    } else if (secret.length < 16 || secret.length > 200 || /\s/.test(secret)) {
      return {
        error: "A signing secret is 16 to 200 characters without spaces (or leave it empty to get one).",
      };
    }
    return { kind, config: { url, secret }, generatedSecret };
  }
  if (kind === "email") {
    const parts = field(form, "addresses")
      .split(/[\s,;]+/)
      .filter((p) => p !== "");
    if (parts.length === 0) return { error: "Enter at least one email address." };
    if (parts.length > MAX_EMAIL_RECIPIENTS) return { error: `At most ${MAX_EMAIL_RECIPIENTS} addresses.` };
    const addresses: string[] = [];
    for (const p of parts) {
      const a = normaliseEmail(p);
      if (!a) return { error: "One of the addresses is not an email address." };
      if (!addresses.includes(a)) addresses.push(a);
    }
    return { kind, config: { addresses } };
  }
  return { error: "Choose the channel type." };
}

/** What the Alerts page's actions answer: a notice or error, and a generated webhook secret once. */
export interface AlertsActionData extends ActionData {
  webhookSecret?: { name: string; value: string };
}

const answer = (body: AlertsActionData, status = 200) =>
  data(body, { status, headers: { "Cache-Control": "no-store" } });

const isRuleKind = (v: string): v is AlertRuleKind => (ALERT_RULE_KINDS as readonly string[]).includes(v);

export async function projectAlertsAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
  form: FormData,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  if (!isOwner(m)) return ownersOnly("change alerts");
  const actor = actorOf(context, user);
  const base = { orgId: m.orgId, projectId: project.id, actor };
  switch (field(form, "intent")) {
    case "create-channel": {
      const name = parseDisplayName(field(form, "name"), "channel");
      if ("error" in name) return refused(name.error, 400);
      const parsed = parseChannel(form);
      if ("error" in parsed) return refused(parsed.error, 400);
      await createAlertChannel(context.db, {
        ...base,
        name: name.name,
        kind: parsed.kind,
        config: parsed.config,
      });
      const body: AlertsActionData = { notice: `Channel ${name.name} added.` };
      if (parsed.kind === "webhook" && parsed.generatedSecret)
        body.webhookSecret = { name: name.name, value: parsed.generatedSecret };
      return answer(body);
    }
    case "delete-channel": {
      const channelId = field(form, "channelId");
      if (!isUuid(channelId)) throw notFound();
      if (!(await deleteAlertChannel(context.db, { ...base, channelId }))) throw notFound();
      return reply({ notice: "Channel deleted. Rules no longer notify it." });
    }
    case "test-channel": {
      const channelId = field(form, "channelId");
      if (!isUuid(channelId)) throw notFound();
      const channel = await getAlertChannel(context.db, { projectId: project.id, channelId });
      if (!channel) throw notFound();
      return reply(await sendTest(context, project, channel));
    }
    case "create-rule": {
      const name = parseDisplayName(field(form, "name"), "rule");
      if ("error" in name) return refused(name.error, 400);
      const kind = field(form, "kind");
      if (!isRuleKind(kind)) return refused("Choose what the rule alerts on.", 400);
      const windowMinutes = optionalNumber(field(form, "windowMinutes"), 5, 1440, true);
      if (windowMinutes === undefined) return refused("The window is 5 to 1440 minutes.", 400);
      const spikeCount = optionalNumber(field(form, "spikeCount"), 1, 10_000_000, true);
      const spikeFactor = optionalNumber(field(form, "spikeFactor"), 1, 10_000, false);
      if (spikeCount === undefined || spikeFactor === undefined)
        return refused("A spike needs a whole number of events (≥ 1) and/or a factor (≥ 1).", 400);
      if (kind === "spike" && spikeCount === null && spikeFactor === null)
        return refused("A spike rule needs a number of events, a factor over the usual rate, or both.", 400);
      const environment = optionalTag(field(form, "environment"));
      const service = optionalTag(field(form, "service"));
      if (environment && typeof environment === "object") return refused(environment.error, 400);
      if (service && typeof service === "object") return refused(service.error, 400);
      const channelIds = form.getAll("channelIds").filter((v): v is string => typeof v === "string");
      if (channelIds.length === 0 || !channelIds.every(isUuid))
        return refused("Choose at least one channel for the rule.", 400);
      await createAlertRule(context.db, {
        ...base,
        rule: {
          name: name.name,
          kind,
          windowMinutes: windowMinutes ?? 60,
          spikeCount: kind === "spike" ? spikeCount : null,
          spikeFactor: kind === "spike" ? spikeFactor : null,
          environment,
          service,
          digest: field(form, "digest") === "on",
          channelIds,
        },
      });
      return reply({ notice: `Rule ${name.name} added.` });
    }
    case "toggle-rule": {
      const ruleId = field(form, "ruleId");
      if (!isUuid(ruleId)) throw notFound();
      const enabled = field(form, "enabled") === "true";
      if (!(await setAlertRuleEnabled(context.db, { ...base, ruleId, enabled }))) throw notFound();
      return reply({ notice: enabled ? "Rule turned on." : "Rule turned off." });
    }
    case "delete-rule": {
      const ruleId = field(form, "ruleId");
      if (!isUuid(ruleId)) throw notFound();
      if (!(await deleteAlertRule(context.db, { ...base, ruleId }))) throw notFound();
      return reply({ notice: "Rule deleted." });
    }
    default:
      return refused("Unknown action.", 400);
  }
}

/**
 * Records a test delivery and hands it to the alerts queue; waits a few seconds for its outcome
 * so the page can say whether it arrived. Without a queue in this process (the standalone web
 * service), the delivery stays pending until a worker's sweep sends it.
 */
async function sendTest(
  context: AppLoadContext,
  project: { id: string; name: string },
  channel: AlertChannelRow,
): Promise<ActionData> {
  const [deliveryId] = await createAlertDeliveries(context.db, [
    {
      projectId: project.id,
      channelId: channel.id,
      ruleId: null,
      issueId: null,
      kind: "test",
      payload: testAlertMessage(project.name),
    },
  ]);
  if (!deliveryId) throw new Error("sendTest: insert returned no row");
  if (!context.alerts) return { notice: `Test for ${channel.name} queued; a worker sends it shortly.` };
  try {
    await context.alerts.enqueue([{ v: 1, kind: "delivery", deliveryId }]);
  } catch (err) {
    context.logger.error({ err, deliveryId }, "enqueueing a test alert failed");
    return { error: "The alerts queue is unavailable; the test stays pending." };
  }
  const deadline = Date.now() + TEST_WAIT_MS;
  for (;;) {
    const d = await getAlertDeliveryStatus(context.db, { projectId: project.id, deliveryId });
    if (d?.status === "sent") return { notice: `Test sent to ${channel.name}.` };
    if (d && (d.status === "failed" || d.status === "dead"))
      return { error: `Test to ${channel.name} failed: ${d.lastError ?? "unknown error"}.` };
    if (Date.now() > deadline) return { notice: `Test for ${channel.name} queued; see Recent deliveries.` };
    await new Promise((r) => setTimeout(r, 150));
  }
}
