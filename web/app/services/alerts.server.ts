import { testAlertMessage } from "@codewarden/common";
import {
  ALERT_DELIVERY_STATUSES,
  type AlertChannelRow,
  type AlertDeliveryStatus,
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
  retryAlertDelivery,
  setAlertRuleEnabled,
  updateAlertChannel,
  updateAlertRule,
} from "@codewarden/drizzle";
import { type AppLoadContext, data } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import { type ChannelInput, parseChannel, parseRule } from "./alert-forms.server";
import type { SessionUser } from "./auth.server";
import { type ActionData, actorOf, badRequest, field, iso, notFound, refused, reply } from "./forms.server";
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

/** `?status=` of the deliveries list: one status, or "" / absent for all of them. */
function deliveryStatusOf(url: URL): AlertDeliveryStatus | null {
  const raw = url.searchParams.get("status") ?? "";
  if (raw === "") return null;
  if (!(ALERT_DELIVERY_STATUSES as readonly string[]).includes(raw)) throw badRequest();
  return raw as AlertDeliveryStatus;
}

export async function loadProjectAlerts(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
  url: URL,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  const status = deliveryStatusOf(url);
  const [channels, rules, deliveries] = await Promise.all([
    listAlertChannels(context.db, { projectId: project.id }),
    listAlertRules(context.db, { projectId: project.id }),
    // The last 50 of all; more of one status (e.g. every dead delivery of the last weeks).
    listAlertDeliveries(context.db, {
      projectId: project.id,
      status: status ?? undefined,
      limit: status ? 200 : 50,
    }),
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
      // Shown on the page already (the destination); never a URL or a secret.
      addresses: "addresses" in c.config ? c.config.addresses : [],
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
      channelIds: r.channelIds,
      channels: r.channelIds.map((id) => channelName.get(id) ?? "(deleted)"),
    })),
    deliveryStatus: status,
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

/** What the Alerts page's actions answer: a notice or error, and a generated webhook secret once. */
export interface AlertsActionData extends ActionData {
  webhookSecret?: { name: string; value: string };
}

const answer = (body: AlertsActionData, status = 200) =>
  data(body, { status, headers: { "Cache-Control": "no-store" } });

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
      const parsed = parseChannel(form);
      if ("error" in parsed) return refused(parsed.error, 400);
      await createAlertChannel(context.db, {
        ...base,
        name: parsed.name,
        kind: parsed.kind,
        config: parsed.config,
      });
      return answer(withSecret({ notice: `Channel ${parsed.name} added.` }, parsed));
    }
    case "update-channel": {
      const channelId = field(form, "channelId");
      if (!isUuid(channelId)) throw notFound();
      const channel = await getAlertChannel(context.db, { projectId: project.id, channelId });
      if (!channel) throw notFound();
      const parsed = parseChannel(form, channel.config);
      if ("error" in parsed) return refused(parsed.error, 400);
      const changed = { name: parsed.name, kind: parsed.kind, config: parsed.config };
      if (!(await updateAlertChannel(context.db, { ...base, channelId, ...changed }))) throw notFound();
      return answer(withSecret({ notice: `Channel ${parsed.name} updated.` }, parsed));
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
      const rule = parseRule(form);
      if ("error" in rule) return refused(rule.error, 400);
      await createAlertRule(context.db, { ...base, rule });
      return reply({ notice: `Rule ${rule.name} added.` });
    }
    case "update-rule": {
      const ruleId = field(form, "ruleId");
      if (!isUuid(ruleId)) throw notFound();
      const rule = parseRule(form);
      if ("error" in rule) return refused(rule.error, 400);
      if (!(await updateAlertRule(context.db, { ...base, ruleId, rule }))) throw notFound();
      return reply({ notice: `Rule ${rule.name} updated.` });
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
    case "retry-delivery": {
      const deliveryId = field(form, "deliveryId");
      if (!isUuid(deliveryId)) throw notFound();
      const retried = await retryAlertDelivery(context.db, { ...base, deliveryId });
      if (!retried) return refused("Only a dead delivery to an existing channel can be retried.", 409);
      return reply(await requeue(context, retried));
    }
    default:
      return refused("Unknown action.", 400);
  }
}

/** The answer, with the signing secret generated for a webhook channel (shown this once). */
function withSecret(body: AlertsActionData, channel: ChannelInput): AlertsActionData {
  if (channel.generatedSecret) body.webhookSecret = { name: channel.name, value: channel.generatedSecret };
  return body;
}

/**
 * Hands a retried delivery to the alerts queue. Without a queue in this process (the standalone
 * web service), or when enqueueing fails, it stays pending until a worker's sweep sends it.
 */
async function requeue(
  context: AppLoadContext,
  delivery: { id: string; attempts: number },
): Promise<ActionData> {
  if (!context.alerts) return { notice: "Delivery queued again; a worker sends it shortly." };
  try {
    await context.alerts.enqueue([
      { v: 1, kind: "delivery", deliveryId: delivery.id, retry: delivery.attempts },
    ]);
  } catch (err) {
    context.logger.error({ err, deliveryId: delivery.id }, "enqueueing a retried alert failed");
    return { error: "The alerts queue is unavailable; the delivery stays pending until a worker sends it." };
  }
  return { notice: "Delivery queued again." };
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
