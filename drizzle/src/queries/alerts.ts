import { and, desc, eq, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../client";
import {
  type AlertChannelConfig,
  type AlertChannelKind,
  type AlertDeliveryStatus,
  type AlertRuleKind,
  alertChannels,
  alertDeliveries,
  alertNotifications,
  alertRuleChannels,
  alertRules,
} from "../schema/alerts";
import { issueHourlyCounts, issues, summaries } from "../schema/issues";
import { projects } from "../schema/projects";
import { recordUserAction } from "./audit";
import type { Actor } from "./orgs";

export interface AlertChannelRow {
  id: string;
  name: string;
  kind: AlertChannelKind;
  config: AlertChannelConfig;
  createdAt: Date;
}

export interface AlertRuleRow {
  id: string;
  name: string;
  kind: AlertRuleKind;
  windowMinutes: number;
  spikeCount: number | null;
  spikeFactor: number | null;
  environment: string | null;
  service: string | null;
  digest: boolean;
  enabled: boolean;
  channelIds: string[];
  createdAt: Date;
}

export type NewAlertRule = Omit<AlertRuleRow, "id" | "createdAt" | "enabled">;

/** What the audit log keeps of a channel: never a webhook secret. */
function channelAuditMetadata(projectId: string, name: string, kind: string, config: AlertChannelConfig) {
  const target = "addresses" in config ? { addresses: config.addresses } : { host: safeHost(config.url) };
  return { projectId, name, kind, ...target };
}

function safeHost(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** A project's alert channels, oldest first. */
export async function listAlertChannels(db: Db, params: { projectId: string }): Promise<AlertChannelRow[]> {
  return db
    .select({
      id: alertChannels.id,
      name: alertChannels.name,
      kind: alertChannels.kind,
      config: alertChannels.config,
      createdAt: alertChannels.createdAt,
    })
    .from(alertChannels)
    .where(eq(alertChannels.projectId, params.projectId))
    .orderBy(alertChannels.createdAt, alertChannels.id);
}

/** One channel of a project, or null. */
export async function getAlertChannel(
  db: Db,
  params: { projectId: string; channelId: string },
): Promise<AlertChannelRow | null> {
  const rows = await db
    .select({
      id: alertChannels.id,
      name: alertChannels.name,
      kind: alertChannels.kind,
      config: alertChannels.config,
      createdAt: alertChannels.createdAt,
    })
    .from(alertChannels)
    .where(and(eq(alertChannels.id, params.channelId), eq(alertChannels.projectId, params.projectId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Adds a channel; audit-logged as `alert_channel.created` (without any secret). */
export async function createAlertChannel(
  db: Db,
  params: {
    orgId: string;
    projectId: string;
    name: string;
    kind: AlertChannelKind;
    config: AlertChannelConfig;
    actor: Actor;
  },
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(alertChannels)
      .values({
        projectId: params.projectId,
        name: params.name,
        kind: params.kind,
        config: params.config,
        createdBy: params.actor.userId,
      })
      .returning({ id: alertChannels.id });
    if (!row) throw new Error("createAlertChannel: insert returned no row");
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_channel.created",
      target: { type: "alert_channel", id: row.id },
      metadata: channelAuditMetadata(params.projectId, params.name, params.kind, params.config),
    });
    return row;
  });
}

/** Deletes a project's channel (rules stop using it); false when there is none. Audit-logged. */
export async function deleteAlertChannel(
  db: Db,
  params: { orgId: string; projectId: string; channelId: string; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(alertChannels)
      .where(and(eq(alertChannels.id, params.channelId), eq(alertChannels.projectId, params.projectId)))
      .returning({ id: alertChannels.id, name: alertChannels.name, kind: alertChannels.kind });
    if (!row) return false;
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_channel.deleted",
      target: { type: "alert_channel", id: row.id },
      metadata: { projectId: params.projectId, name: row.name, kind: row.kind },
    });
    return true;
  });
}

/**
 * Changes a channel in place (its id, and so the rules using it and its deliveries, stay); false
 * when the project has no such channel. Audit-logged as `alert_channel.updated`, with what it
 * was before and whether the signing secret changed (never the secret itself).
 */
export async function updateAlertChannel(
  db: Db,
  params: {
    orgId: string;
    projectId: string;
    channelId: string;
    name: string;
    kind: AlertChannelKind;
    config: AlertChannelConfig;
    actor: Actor;
  },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const where = and(eq(alertChannels.id, params.channelId), eq(alertChannels.projectId, params.projectId));
    const [before] = await tx
      .select({ name: alertChannels.name, kind: alertChannels.kind, config: alertChannels.config })
      .from(alertChannels)
      .where(where)
      .for("update");
    if (!before) return false;
    await tx
      .update(alertChannels)
      .set({ name: params.name, kind: params.kind, config: params.config })
      .where(where);
    const secretOf = (c: AlertChannelConfig) => ("secret" in c ? c.secret : null);
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_channel.updated",
      target: { type: "alert_channel", id: params.channelId },
      metadata: {
        ...channelAuditMetadata(params.projectId, params.name, params.kind, params.config),
        secretChanged: secretOf(before.config) !== secretOf(params.config),
        previous: channelAuditMetadata(params.projectId, before.name, before.kind, before.config),
      },
    });
    return true;
  });
}

const ruleColumns = {
  id: alertRules.id,
  name: alertRules.name,
  kind: alertRules.kind,
  windowMinutes: alertRules.windowMinutes,
  spikeCount: alertRules.spikeCount,
  spikeFactor: alertRules.spikeFactor,
  environment: alertRules.environment,
  service: alertRules.service,
  digest: alertRules.digest,
  enabled: alertRules.enabled,
  createdAt: alertRules.createdAt,
  channelIds: sql<string[]>`coalesce((select array_agg(rc.channel_id::text order by rc.channel_id)
    from ${alertRuleChannels} rc where rc.rule_id = ${alertRules.id}), '{}'::text[])`,
};

/** A project's alert rules (with their channel ids), oldest first; `enabledOnly` for evaluation. */
export async function listAlertRules(
  db: Db,
  params: { projectId: string; enabledOnly?: boolean },
): Promise<AlertRuleRow[]> {
  return db
    .select(ruleColumns)
    .from(alertRules)
    .where(
      and(
        eq(alertRules.projectId, params.projectId),
        params.enabledOnly ? eq(alertRules.enabled, true) : undefined,
      ),
    )
    .orderBy(alertRules.createdAt, alertRules.id);
}

/** One rule of a project, or null. */
export async function getAlertRule(
  db: Db,
  params: { projectId: string; ruleId: string },
): Promise<AlertRuleRow | null> {
  const rows = await db
    .select(ruleColumns)
    .from(alertRules)
    .where(and(eq(alertRules.id, params.ruleId), eq(alertRules.projectId, params.projectId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Links a rule to those of `channelIds` that are the project's own channels; returns those. */
async function linkRuleChannels(
  tx: Db,
  projectId: string,
  ruleId: string,
  channelIds: readonly string[],
): Promise<string[]> {
  const wanted = [...new Set(channelIds)];
  if (wanted.length === 0) return [];
  const owned = await tx
    .select({ id: alertChannels.id })
    .from(alertChannels)
    .where(and(eq(alertChannels.projectId, projectId), inArray(alertChannels.id, wanted)));
  if (owned.length > 0)
    await tx
      .insert(alertRuleChannels)
      .values(owned.map((c) => ({ ruleId, channelId: c.id })))
      .onConflictDoNothing();
  return owned.map((c) => c.id);
}

/** A rule's own columns, as a create or an edit writes them. */
function ruleValues(rule: NewAlertRule) {
  return {
    name: rule.name,
    kind: rule.kind,
    windowMinutes: rule.windowMinutes,
    spikeCount: rule.spikeCount,
    spikeFactor: rule.spikeFactor,
    environment: rule.environment,
    service: rule.service,
    digest: rule.digest,
  };
}

/**
 * Adds a rule notifying the given channels (only the project's own channels are linked);
 * audit-logged as `alert_rule.created`.
 */
export async function createAlertRule(
  db: Db,
  params: { orgId: string; projectId: string; rule: NewAlertRule; actor: Actor },
): Promise<{ id: string }> {
  const { rule } = params;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(alertRules)
      .values({ projectId: params.projectId, ...ruleValues(rule), createdBy: params.actor.userId })
      .returning({ id: alertRules.id });
    if (!row) throw new Error("createAlertRule: insert returned no row");
    const channelIds = await linkRuleChannels(tx, params.projectId, row.id, rule.channelIds);
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_rule.created",
      target: { type: "alert_rule", id: row.id },
      metadata: { projectId: params.projectId, ...rule, channelIds },
    });
    return row;
  });
}

/**
 * Changes a rule in place: same id, so its notification ledger (and with it "one notification
 * per issue per window") and its deliveries stay. Its channels become `rule.channelIds` (the
 * project's own). False when the project has no such rule. Audit-logged as
 * `alert_rule.updated`, with what it was before.
 */
export async function updateAlertRule(
  db: Db,
  params: { orgId: string; projectId: string; ruleId: string; rule: NewAlertRule; actor: Actor },
): Promise<boolean> {
  const { rule } = params;
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select(ruleColumns)
      .from(alertRules)
      .where(and(eq(alertRules.id, params.ruleId), eq(alertRules.projectId, params.projectId)))
      .for("update");
    if (!before) return false;
    await tx.update(alertRules).set(ruleValues(rule)).where(eq(alertRules.id, before.id));
    await tx.delete(alertRuleChannels).where(eq(alertRuleChannels.ruleId, before.id));
    const channelIds = await linkRuleChannels(tx, params.projectId, before.id, rule.channelIds);
    const { id: _id, createdAt: _createdAt, enabled: _enabled, ...previous } = before;
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_rule.updated",
      target: { type: "alert_rule", id: before.id },
      metadata: { projectId: params.projectId, ...rule, channelIds, previous },
    });
    return true;
  });
}

/** Turns a rule on or off; false when the project has no such rule. Audit-logged. */
export async function setAlertRuleEnabled(
  db: Db,
  params: { orgId: string; projectId: string; ruleId: string; enabled: boolean; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(alertRules)
      .set({ enabled: params.enabled })
      .where(and(eq(alertRules.id, params.ruleId), eq(alertRules.projectId, params.projectId)))
      .returning({ id: alertRules.id, name: alertRules.name });
    if (!row) return false;
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: params.enabled ? "alert_rule.enabled" : "alert_rule.disabled",
      target: { type: "alert_rule", id: row.id },
      metadata: { projectId: params.projectId, name: row.name },
    });
    return true;
  });
}

/** Deletes a project's rule; false when there is none. Audit-logged as `alert_rule.deleted`. */
export async function deleteAlertRule(
  db: Db,
  params: { orgId: string; projectId: string; ruleId: string; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(alertRules)
      .where(and(eq(alertRules.id, params.ruleId), eq(alertRules.projectId, params.projectId)))
      .returning({ id: alertRules.id, name: alertRules.name, kind: alertRules.kind });
    if (!row) return false;
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_rule.deleted",
      target: { type: "alert_rule", id: row.id },
      metadata: { projectId: params.projectId, name: row.name, kind: row.kind },
    });
    return true;
  });
}

/** What an alert says about an issue (title, status, counts, summary text). */
export interface AlertIssueFacts {
  id: string;
  fingerprint: string;
  title: string;
  culprit: string | null;
  status: string;
  eventCount: number;
  summary: string | null;
}

/** The facts of a project's issues for alert evaluation and messages. */
export async function listAlertIssueFacts(
  db: Db,
  params: { projectId: string; issueIds: readonly string[] },
): Promise<AlertIssueFacts[]> {
  if (params.issueIds.length === 0) return [];
  return db
    .select({
      id: issues.id,
      fingerprint: issues.fingerprint,
      title: issues.title,
      culprit: issues.culprit,
      status: issues.status,
      eventCount: issues.eventCount,
      summary: summaries.text,
    })
    .from(issues)
    .leftJoin(summaries, eq(summaries.issueId, issues.id))
    .where(and(eq(issues.projectId, params.projectId), inArray(issues.id, [...params.issueIds])));
}

/** Hourly counts in the usual-rate baseline before a spike window (7 days). */
export const SPIKE_BASELINE_HOURS = 7 * 24;

/**
 * Per issue: events in the spike window (hours from `windowStart`, truncated to the hour, up to
 * now) and in the 7 days of hourly counters before it (the usual rate's baseline).
 */
export async function spikeCounts(
  db: Db,
  params: { issueIds: readonly string[]; windowStart: Date },
): Promise<Map<string, { windowCount: number; baselineCount: number }>> {
  const out = new Map<string, { windowCount: number; baselineCount: number }>();
  if (params.issueIds.length === 0) return out;
  const hourMs = 3_600_000;
  const from = new Date(Math.floor(params.windowStart.getTime() / hourMs) * hourMs);
  const baselineFrom = new Date(from.getTime() - SPIKE_BASELINE_HOURS * hourMs);
  const rows = await db
    .select({
      issueId: issueHourlyCounts.issueId,
      windowCount: sql<number>`coalesce(sum(${issueHourlyCounts.count}) filter (where ${issueHourlyCounts.hour} >= ${from.toISOString()}::timestamptz), 0)::int`,
      baselineCount: sql<number>`coalesce(sum(${issueHourlyCounts.count}) filter (where ${issueHourlyCounts.hour} < ${from.toISOString()}::timestamptz), 0)::int`,
    })
    .from(issueHourlyCounts)
    .where(
      and(
        inArray(issueHourlyCounts.issueId, [...params.issueIds]),
        gte(issueHourlyCounts.hour, baselineFrom),
      ),
    )
    .groupBy(issueHourlyCounts.issueId);
  for (const r of rows)
    out.set(r.issueId, { windowCount: Number(r.windowCount), baselineCount: Number(r.baselineCount) });
  return out;
}

export interface NotificationClaim {
  ruleId: string;
  issueId: string;
  windowStart: Date;
  reason: "new" | "regressed" | "spike";
}

export interface ClaimedNotification extends NotificationClaim {
  /** False: over the rule's individual alerts for this digest window, left to the digest. */
  individual: boolean;
}

/**
 * Claims ledger rows (rule, issue, window) with INSERT … ON CONFLICT DO NOTHING: only claims that
 * inserted a row are returned, so one notification per issue per rule per window holds across
 * concurrent workers. The rules' rows are locked while claiming, so that at most
 * `maxIndividual` claims per rule since `digestWindowStart` are `individual`; the rest are left
 * to the rule's digest.
 */
export async function claimAlertNotifications(
  db: Db,
  params: {
    claims: readonly NotificationClaim[];
    digestWindowStart: Date;
    maxIndividual: number;
    /** The claim time (the evaluating worker's clock, which digest windows are measured in). */
    at: Date;
  },
): Promise<ClaimedNotification[]> {
  if (params.claims.length === 0) return [];
  const ruleIds = [...new Set(params.claims.map((c) => c.ruleId))].sort();
  return db.transaction(async (tx) => {
    // Serialises claims per rule (only when something fires: rare next to event traffic).
    await tx
      .select({ id: alertRules.id })
      .from(alertRules)
      .where(inArray(alertRules.id, ruleIds))
      .orderBy(alertRules.id)
      .for("update");
    const counts = await tx
      .select({ ruleId: alertNotifications.ruleId, n: sql<number>`count(*)::int` })
      .from(alertNotifications)
      .where(
        and(
          inArray(alertNotifications.ruleId, ruleIds),
          eq(alertNotifications.individual, true),
          sql`${alertNotifications.issueId} is not null`,
          gte(alertNotifications.createdAt, params.digestWindowStart),
        ),
      )
      .groupBy(alertNotifications.ruleId);
    const used = new Map(counts.map((c) => [c.ruleId, Number(c.n)]));
    const claimed: ClaimedNotification[] = [];
    for (const c of params.claims) {
      const individual = (used.get(c.ruleId) ?? 0) < params.maxIndividual;
      const [row] = await tx
        .insert(alertNotifications)
        .values({
          ruleId: c.ruleId,
          issueId: c.issueId,
          windowStart: c.windowStart,
          reason: c.reason,
          individual,
          createdAt: params.at,
        })
        .onConflictDoNothing()
        .returning({ id: alertNotifications.id });
      if (!row) continue;
      if (individual) used.set(c.ruleId, (used.get(c.ruleId) ?? 0) + 1);
      claimed.push({ ...c, individual });
    }
    return claimed;
  });
}

/** Claims a rule's digest for one digest window (one digest per rule and window); false if taken. */
export async function claimAlertDigest(
  db: Db,
  params: { ruleId: string; windowStart: Date },
): Promise<boolean> {
  const rows = await db
    .insert(alertNotifications)
    .values({ ruleId: params.ruleId, issueId: null, windowStart: params.windowStart, reason: "digest" })
    .onConflictDoNothing()
    .returning({ id: alertNotifications.id });
  return rows.length > 0;
}

/** Issues a rule notified about in [from, to): all of them, or only those left to the digest. */
export async function listDigestIssues(
  db: Db,
  params: { ruleId: string; from: Date; to: Date; onlyLeftToDigest: boolean; limit?: number },
): Promise<Array<AlertIssueFacts & { reason: string }>> {
  return db
    .select({
      id: issues.id,
      fingerprint: issues.fingerprint,
      title: issues.title,
      culprit: issues.culprit,
      status: issues.status,
      eventCount: issues.eventCount,
      summary: summaries.text,
      reason: alertNotifications.reason,
    })
    .from(alertNotifications)
    .innerJoin(issues, eq(issues.id, alertNotifications.issueId))
    .leftJoin(summaries, eq(summaries.issueId, issues.id))
    .where(
      and(
        eq(alertNotifications.ruleId, params.ruleId),
        gte(alertNotifications.createdAt, params.from),
        lt(alertNotifications.createdAt, params.to),
        params.onlyLeftToDigest ? eq(alertNotifications.individual, false) : undefined,
      ),
    )
    .orderBy(alertNotifications.createdAt, alertNotifications.id)
    .limit(params.limit ?? 50);
}

export interface NewAlertDelivery {
  projectId: string;
  channelId: string;
  ruleId: string | null;
  issueId: string | null;
  kind: "alert" | "digest" | "test";
  payload: Record<string, unknown>;
}

/** Records deliveries as `pending`; returns their ids in input order. */
export async function createAlertDeliveries(db: Db, rows: readonly NewAlertDelivery[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const out = await db
    .insert(alertDeliveries)
    .values([...rows])
    .returning({ id: alertDeliveries.id });
  return out.map((r) => r.id);
}

export interface DeliveryToSend {
  id: string;
  projectId: string;
  kind: string;
  status: AlertDeliveryStatus;
  attempts: number;
  payload: Record<string, unknown>;
  channel: { id: string; kind: AlertChannelKind; config: AlertChannelConfig } | null;
}

/** A delivery with its channel (null when the channel was deleted since). */
export async function getDeliveryToSend(db: Db, deliveryId: string): Promise<DeliveryToSend | null> {
  const rows = await db
    .select({
      id: alertDeliveries.id,
      projectId: alertDeliveries.projectId,
      kind: alertDeliveries.kind,
      status: alertDeliveries.status,
      attempts: alertDeliveries.attempts,
      payload: alertDeliveries.payload,
      channelId: alertChannels.id,
      channelKind: alertChannels.kind,
      channelConfig: alertChannels.config,
    })
    .from(alertDeliveries)
    .leftJoin(alertChannels, eq(alertChannels.id, alertDeliveries.channelId))
    .where(eq(alertDeliveries.id, deliveryId))
    .limit(1);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    projectId: r.projectId,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    payload: r.payload,
    channel:
      r.channelId && r.channelKind && r.channelConfig
        ? { id: r.channelId, kind: r.channelKind, config: r.channelConfig }
        : null,
  };
}

/**
 * Records the outcome of one delivery attempt: `sent`, `failed` (to be retried) or `dead`
 * (retries exhausted, or a failure retrying cannot fix).
 */
export async function recordDeliveryAttempt(
  db: Db,
  params: { deliveryId: string; status: Exclude<AlertDeliveryStatus, "pending">; error?: string | null },
): Promise<void> {
  await db
    .update(alertDeliveries)
    .set({
      status: params.status,
      attempts: sql`${alertDeliveries.attempts} + 1`,
      lastError: params.error ? params.error.slice(0, 1000) : params.status === "sent" ? null : undefined,
      updatedAt: sql`now()`,
      sentAt: params.status === "sent" ? sql`now()` : undefined,
    })
    .where(eq(alertDeliveries.id, params.deliveryId));
}

export interface AlertDeliveryRow {
  id: string;
  kind: string;
  status: AlertDeliveryStatus;
  attempts: number;
  lastError: string | null;
  channelName: string | null;
  ruleName: string | null;
  issueId: string | null;
  title: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

/** A project's recent deliveries, newest first; `status` to see only e.g. the dead ones. */
export async function listAlertDeliveries(
  db: Db,
  params: { projectId: string; status?: AlertDeliveryStatus; channelId?: string; limit?: number },
): Promise<AlertDeliveryRow[]> {
  return db
    .select({
      id: alertDeliveries.id,
      kind: alertDeliveries.kind,
      status: alertDeliveries.status,
      attempts: alertDeliveries.attempts,
      lastError: alertDeliveries.lastError,
      channelName: alertChannels.name,
      ruleName: alertRules.name,
      issueId: alertDeliveries.issueId,
      title: sql<string | null>`${alertDeliveries.payload}->>'title'`,
      createdAt: alertDeliveries.createdAt,
      updatedAt: alertDeliveries.updatedAt,
      sentAt: alertDeliveries.sentAt,
    })
    .from(alertDeliveries)
    .leftJoin(alertChannels, eq(alertChannels.id, alertDeliveries.channelId))
    .leftJoin(alertRules, eq(alertRules.id, alertDeliveries.ruleId))
    .where(
      and(
        eq(alertDeliveries.projectId, params.projectId),
        params.status ? eq(alertDeliveries.status, params.status) : undefined,
        params.channelId ? eq(alertDeliveries.channelId, params.channelId) : undefined,
      ),
    )
    .orderBy(desc(alertDeliveries.createdAt), desc(alertDeliveries.id))
    .limit(params.limit ?? 50);
}

/** A delivery's current state (for the test-send button), or null. */
export async function getAlertDeliveryStatus(
  db: Db,
  params: { projectId: string; deliveryId: string },
): Promise<{ status: AlertDeliveryStatus; attempts: number; lastError: string | null } | null> {
  const rows = rowsOf<{ status: AlertDeliveryStatus; attempts: number; last_error: string | null }>(
    await db.execute(sql`select status, attempts, last_error from ${alertDeliveries}
      where id = ${params.deliveryId}::uuid and project_id = ${params.projectId}::uuid`),
  );
  const r = rows[0];
  return r ? { status: r.status, attempts: Number(r.attempts), lastError: r.last_error } : null;
}

/**
 * Puts a project's dead delivery back to `pending` (its attempts and last error stay, for the
 * record) to be sent again; audit-logged as `alert_delivery.retried`. Null when the project has
 * no such dead delivery, or its channel was deleted since. Returns the attempts so far, which
 * the re-queued job carries as `retry` (see `alertJobId`).
 */
export async function retryAlertDelivery(
  db: Db,
  params: { orgId: string; projectId: string; deliveryId: string; actor: Actor },
): Promise<{ id: string; attempts: number } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(alertDeliveries)
      .set({ status: "pending", updatedAt: sql`now()` })
      .where(
        and(
          eq(alertDeliveries.id, params.deliveryId),
          eq(alertDeliveries.projectId, params.projectId),
          eq(alertDeliveries.status, "dead"),
          isNotNull(alertDeliveries.channelId),
        ),
      )
      .returning({
        id: alertDeliveries.id,
        attempts: alertDeliveries.attempts,
        kind: alertDeliveries.kind,
        channelId: alertDeliveries.channelId,
        lastError: alertDeliveries.lastError,
      });
    if (!row) return null;
    await recordUserAction(tx, {
      orgId: params.orgId,
      actor: params.actor,
      action: "alert_delivery.retried",
      target: { type: "alert_delivery", id: row.id },
      metadata: {
        projectId: params.projectId,
        channelId: row.channelId,
        kind: row.kind,
        attempts: row.attempts,
        lastError: row.lastError,
      },
    });
    return { id: row.id, attempts: row.attempts };
  });
}

/** A project's display name (for alert messages), or null when it no longer exists. */
export async function getProjectName(db: Db, projectId: string): Promise<string | null> {
  const rows = await db
    .select({ name: projects.name })
    .from(projects)
    .where(eq(projects.id, projectId))
    .limit(1);
  return rows[0]?.name ?? null;
}

/**
 * Deliveries still `pending` that were created before `olderThan`: their job was lost (an
 * in-process queue that restarted, an enqueue that failed) or never made (a test sent from a web
 * process without a queue). `attempts` is above 0 only for a dead delivery retried by hand: every
 * attempt records `sent`, `failed` or `dead`, and only `retryAlertDelivery` sets `pending` again.
 * Oldest first.
 */
export async function listStalePendingDeliveries(
  db: Db,
  params: { olderThan: Date; limit?: number },
): Promise<Array<{ id: string; attempts: number }>> {
  return db
    .select({ id: alertDeliveries.id, attempts: alertDeliveries.attempts })
    .from(alertDeliveries)
    .where(and(eq(alertDeliveries.status, "pending"), lt(alertDeliveries.createdAt, params.olderThan)))
    .orderBy(alertDeliveries.createdAt)
    .limit(params.limit ?? 500);
}

/** Deletes ledger rows and deliveries created before the given times; returns how many. */
export async function pruneAlertHistory(
  db: Db,
  params: { notificationsBefore: Date; deliveriesBefore: Date },
): Promise<{ notifications: number; deliveries: number }> {
  const n = await db
    .delete(alertNotifications)
    .where(lt(alertNotifications.createdAt, params.notificationsBefore))
    .returning({ id: alertNotifications.id });
  const d = await db
    .delete(alertDeliveries)
    .where(lt(alertDeliveries.createdAt, params.deliveriesBefore))
    .returning({ id: alertDeliveries.id });
  return { notifications: n.length, deliveries: d.length };
}
