import { type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../client";

/**
 * Data of the SOC 2 evidence report for one organisation and period `[from, to)`, gathered from
 * the existing tables only. What the schema does not record exactly is approximated, and each
 * approximation is stated in {@link EVIDENCE_METHOD_NOTES} (printed in the report):
 *
 * - An incident is a new issue (`issues.created_at`, the server's clock, in the period) or a
 *   regression. Regressions are not audit-logged: one is inferred from an `issue.status_changed`
 *   row to `resolved` whose next status change starts `from: "regressed"` (or, with none, whose
 *   issue is `regressed` now). Its time is the first stored event received after the resolve, or
 *   failing that (bodies past retention) the first hourly counter at or after it (approximate).
 * - Acknowledgement is the first `issue.status_changed` audit row (by a person or an API token)
 *   after detection; resolution the first such row to `resolved`. Both count only up to `to`.
 * - Open issues by age: issues created before `to` whose status at `to` was unresolved or
 *   regressed (the `from` of the first status change after `to`, else the current status).
 * - Access changes: audit rows about members, invitations, keys, tokens and sessions, plus
 *   sign-ins derived from `sessions` (not audit-logged; no client address recorded).
 */

/** Most incidents / open issues / access changes listed row by row (statistics cover all). */
export const EVIDENCE_MAX_LISTED = { incidents: 500, openIssues: 50, accessChanges: 1000 } as const;

/** Audit actions (by their first dotted part) that are access changes. */
const ACCESS_ACTION_PREFIXES = ["member", "invitation", "api_token", "ingest_key", "user", "session"];
const ACCESS_ACTIONS = ["organization.created"];

export const EVIDENCE_METHOD_NOTES: readonly string[] = [
  "Incidents are issues first recorded by CodeWarden in the period (server clock) and regressions of resolved issues.",
  "Regressions are inferred from the audit log (a resolve followed by a change from 'regressed', or an issue regressed now); their time is the first event received after the resolve, or the hour of the first counted event when event bodies have expired (marked approximate).",
  "Acknowledgement is the first status change of the issue by a person or an API token after detection; resolution is the first change to 'resolved'. Only changes before the end of the period count.",
  "Open issues by age: issues created before the end of the period that were unresolved or regressed at its end (from the audit log; automatic reopenings after the period are not recorded and are taken as they are now).",
  "Sign-ins are derived from sessions created in the period (no client address is recorded for them); other access changes come from the audit log.",
];

export interface EvidenceParams {
  orgId: string;
  /** Start of the period (inclusive). */
  from: Date;
  /** End of the period (exclusive). */
  to: Date;
  /** When the data is gathered (default now); printed and used as the PDF's creation date. */
  generatedAt?: Date;
  /** Alert deliveries in the period, summarised by the alerting module (null: not available). */
  alertDeliveries?: AlertDeliverySummary[] | null;
}

export interface AlertDeliverySummary {
  /** e.g. "email", "slack", "webhook". */
  channel: string;
  /** Where it went, for display (an address or a host; never a secret URL). */
  destination: string;
  delivered: number;
  failed: number;
  /** Last failure in the period, if any. */
  lastFailureAt: Date | null;
  lastError: string | null;
}

export interface EvidenceIncident {
  issueId: string;
  projectSlug: string;
  /** From telemetry: untrusted. */
  title: string;
  kind: "new" | "regression";
  detectedAt: Date;
  /** True when `detectedAt` is only known to the hour (see the method notes). */
  approximate: boolean;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
}

export interface DurationStats {
  /** Incidents with a measurement (acknowledged / resolved before the end of the period). */
  measured: number;
  /** Incidents without one. */
  pending: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface AgeBucket {
  label: "< 1 day" | "1-7 days" | "7-30 days" | "> 30 days";
  count: number;
}

export interface OpenIssue {
  issueId: string;
  projectSlug: string;
  title: string;
  status: "unresolved" | "regressed";
  createdAt: Date;
  eventCount: number;
}

export interface AccessChange {
  at: Date;
  /** Audit action, e.g. `api_token.revoked`; `user.signed_in` for sign-ins from sessions. */
  action: string;
  /** The actor's email, `api token <id>`, `system`, or `user <id>` when the user is gone. */
  actor: string;
  /** What changed, for display (from audit metadata: partly user-supplied, untrusted). */
  target: string;
  ip: string | null;
  source: "audit_log" | "sessions";
}

export interface EvidenceData {
  organization: { id: string; name: string; slug: string };
  period: { from: Date; to: Date };
  generatedAt: Date;
  projects: Array<{ slug: string; name: string }>;
  incidents: {
    total: number;
    newIssues: number;
    regressions: number;
    /** The first {@link EVIDENCE_MAX_LISTED.incidents} by detection time. */
    listed: EvidenceIncident[];
  };
  timeToAcknowledge: DurationStats;
  timeToResolve: DurationStats;
  openIssues: { total: number; byAge: AgeBucket[]; oldest: OpenIssue[] };
  accessChanges: { total: number; listed: AccessChange[] };
  alertDeliveries: AlertDeliverySummary[] | null;
  notes: readonly string[];
}

const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const toDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));
const toNumberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Status changes of the organisation's issues (`issue.status_changed` audit rows). */
const statusChanges = (orgId: string) => sql`(
  select a.id, a.target_id, a.created_at, a.metadata from audit_log a
  where a.org_id = ${orgId}::uuid and a.action = 'issue.status_changed' and a.target_type = 'issue'
)`;

/**
 * One row per incident detected in `[from, to)`: (issue_id, kind, detected_at, approximate,
 * acknowledged_at, resolved_at), as a CTE body.
 */
function incidentsCte(p: { orgId: string; from: Date; to: Date }): SQL {
  const { orgId } = p;
  const from = iso(p.from);
  const to = iso(p.to);
  return sql`
    org_issues as (
      select i.id, i.status, i.created_at, i.title, pr.slug as project_slug
      from issues i join projects pr on pr.id = i.project_id
      where pr.org_id = ${orgId}::uuid
    ),
    changes as ${statusChanges(orgId)},
    resolves as (
      select c.id, c.target_id, c.created_at from changes c where c.metadata->>'to' = 'resolved'
    ),
    regressions as (
      select oi.id as issue_id, r.created_at as resolved_at, nx.created_at as next_at
      from resolves r
      join org_issues oi on oi.id::text = r.target_id
      left join lateral (
        select c.created_at, c.metadata from changes c
        where c.target_id = r.target_id and (c.created_at, c.id) > (r.created_at, r.id)
        order by c.created_at, c.id limit 1
      ) nx on true
      where (nx.created_at is not null and nx.metadata->>'from' = 'regressed')
         or (nx.created_at is null and oi.status = 'regressed')
    ),
    regression_times as (
      select g.issue_id, ev.at as event_at,
        case when hc.at is null then null else greatest(hc.at, g.resolved_at) end as hour_at, g.resolved_at
      from regressions g
      left join lateral (
        select min(e.received_at) as at from events e
        where e.issue_id = g.issue_id and e.received_at > g.resolved_at
          and (g.next_at is null or e.received_at <= g.next_at)
      ) ev on true
      left join lateral (
        select min(h.hour) as at from issue_hourly_counts h
        where h.issue_id = g.issue_id and h.hour >= date_trunc('hour', g.resolved_at)
          and (g.next_at is null or h.hour <= g.next_at)
      ) hc on true
    ),
    detected as (
      select oi.id as issue_id, 'new' as kind, oi.created_at as detected_at, false as approximate
      from org_issues oi where oi.created_at >= ${from} and oi.created_at < ${to}
      union all
      select rt.issue_id, 'regression', coalesce(rt.event_at, rt.hour_at, rt.resolved_at), rt.event_at is null
      from regression_times rt
      where coalesce(rt.event_at, rt.hour_at, rt.resolved_at) >= ${from}
        and coalesce(rt.event_at, rt.hour_at, rt.resolved_at) < ${to}
    ),
    incidents as (
      select d.issue_id, d.kind, d.detected_at, d.approximate,
        (select min(c.created_at) from changes c
          where c.target_id = d.issue_id::text and c.created_at > d.detected_at and c.created_at < ${to}
        ) as acknowledged_at,
        (select min(c.created_at) from changes c
          where c.target_id = d.issue_id::text and c.created_at > d.detected_at and c.created_at < ${to}
            and c.metadata->>'to' = 'resolved'
        ) as resolved_at
      from detected d
    )`;
}

interface IncidentStatsRow {
  total: number | string;
  new_issues: number | string;
  regressions: number | string;
  acked: number | string;
  resolved: number | string;
  ack_p50: number | string | null;
  ack_p90: number | string | null;
  res_p50: number | string | null;
  res_p90: number | string | null;
}

async function incidentStats(db: Db, p: { orgId: string; from: Date; to: Date }) {
  const [row] = rowsOf<IncidentStatsRow>(
    await db.execute(sql`
      with ${incidentsCte(p)},
      durations as (
        select kind,
          (extract(epoch from (acknowledged_at - detected_at)) * 1000)::double precision as ack_ms,
          (extract(epoch from (resolved_at - detected_at)) * 1000)::double precision as res_ms
        from incidents
      )
      select count(*) as total,
        count(*) filter (where kind = 'new') as new_issues,
        count(*) filter (where kind = 'regression') as regressions,
        count(ack_ms) as acked,
        count(res_ms) as resolved,
        percentile_cont(0.5) within group (order by ack_ms) as ack_p50,
        percentile_cont(0.9) within group (order by ack_ms) as ack_p90,
        percentile_cont(0.5) within group (order by res_ms) as res_p50,
        percentile_cont(0.9) within group (order by res_ms) as res_p90
      from durations`),
  );
  const total = Number(row?.total ?? 0);
  const acked = Number(row?.acked ?? 0);
  const resolved = Number(row?.resolved ?? 0);
  return {
    total,
    newIssues: Number(row?.new_issues ?? 0),
    regressions: Number(row?.regressions ?? 0),
    timeToAcknowledge: {
      measured: acked,
      pending: total - acked,
      medianMs: toNumberOrNull(row?.ack_p50),
      p90Ms: toNumberOrNull(row?.ack_p90),
    },
    timeToResolve: {
      measured: resolved,
      pending: total - resolved,
      medianMs: toNumberOrNull(row?.res_p50),
      p90Ms: toNumberOrNull(row?.res_p90),
    },
  };
}

async function listIncidents(
  db: Db,
  p: { orgId: string; from: Date; to: Date },
): Promise<EvidenceIncident[]> {
  const rows = rowsOf<{
    issue_id: string;
    project_slug: string;
    title: string;
    kind: "new" | "regression";
    detected_at: unknown;
    approximate: boolean;
    acknowledged_at: unknown;
    resolved_at: unknown;
  }>(
    await db.execute(sql`
      with ${incidentsCte(p)}
      select n.issue_id, oi.project_slug, oi.title, n.kind, n.detected_at, n.approximate,
        n.acknowledged_at, n.resolved_at
      from incidents n join org_issues oi on oi.id = n.issue_id
      order by n.detected_at, n.issue_id, n.kind
      limit ${EVIDENCE_MAX_LISTED.incidents}`),
  );
  return rows.map((r) => ({
    issueId: r.issue_id,
    projectSlug: r.project_slug,
    title: r.title,
    kind: r.kind,
    detectedAt: toDate(r.detected_at),
    approximate: Boolean(r.approximate),
    acknowledgedAt: toDateOrNull(r.acknowledged_at),
    resolvedAt: toDateOrNull(r.resolved_at),
  }));
}

/** Issues created before `to` that were open (unresolved or regressed) at `to`, as a CTE body. */
function openAtEndCte(p: { orgId: string; to: Date }): SQL {
  const to = iso(p.to);
  return sql`
    open_at_end as (
      select i.id, i.title, i.created_at, i.event_count, pr.slug as project_slug,
        coalesce((
          select a.metadata->>'from' from audit_log a
          where a.org_id = ${p.orgId}::uuid and a.action = 'issue.status_changed'
            and a.target_type = 'issue' and a.target_id = i.id::text and a.created_at >= ${to}
          order by a.created_at, a.id limit 1
        ), i.status) as status_at_end
      from issues i join projects pr on pr.id = i.project_id
      where pr.org_id = ${p.orgId}::uuid and i.created_at < ${to}
    )`;
}

async function openIssues(db: Db, p: { orgId: string; to: Date }): Promise<EvidenceData["openIssues"]> {
  const to = iso(p.to);
  const [counts] = rowsOf<Record<"total" | "d1" | "d7" | "d30" | "older", number | string>>(
    await db.execute(sql`
      with ${openAtEndCte(p)}
      select count(*) as total,
        count(*) filter (where ${to} - created_at < interval '1 day') as d1,
        count(*) filter (where ${to} - created_at >= interval '1 day' and ${to} - created_at < interval '7 days') as d7,
        count(*) filter (where ${to} - created_at >= interval '7 days' and ${to} - created_at < interval '30 days') as d30,
        count(*) filter (where ${to} - created_at >= interval '30 days') as older
      from open_at_end where status_at_end in ('unresolved', 'regressed')`),
  );
  const oldest = rowsOf<{
    id: string;
    title: string;
    created_at: unknown;
    event_count: number | string;
    project_slug: string;
    status_at_end: "unresolved" | "regressed";
  }>(
    await db.execute(sql`
      with ${openAtEndCte(p)}
      select id, title, created_at, event_count, project_slug, status_at_end
      from open_at_end where status_at_end in ('unresolved', 'regressed')
      order by created_at, id
      limit ${EVIDENCE_MAX_LISTED.openIssues}`),
  );
  return {
    total: Number(counts?.total ?? 0),
    byAge: [
      { label: "< 1 day", count: Number(counts?.d1 ?? 0) },
      { label: "1-7 days", count: Number(counts?.d7 ?? 0) },
      { label: "7-30 days", count: Number(counts?.d30 ?? 0) },
      { label: "> 30 days", count: Number(counts?.older ?? 0) },
    ],
    oldest: oldest.map((r) => ({
      issueId: r.id,
      projectSlug: r.project_slug,
      title: r.title,
      status: r.status_at_end,
      createdAt: toDate(r.created_at),
      eventCount: Number(r.event_count),
    })),
  };
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** A short description of what an access change touched, from the audit row's metadata. */
export function describeAccessTarget(
  action: string,
  targetType: string | null,
  targetId: string | null,
  metadata: Record<string, unknown>,
): string {
  const email = str(metadata.email);
  const name = str(metadata.name);
  const hint = str(metadata.hint);
  const role = str(metadata.role);
  if (action === "member.role_changed") {
    return `${email ?? targetId ?? "?"}: ${str(metadata.from) ?? "?"} -> ${str(metadata.to) ?? "?"}`;
  }
  if (email) return role ? `${email} (${role})` : email;
  if (name)
    return hint ? `${targetType ?? "key"} "${name}" (${hint})` : `${targetType ?? ""} "${name}"`.trim();
  if (action === "user.signed_out_everywhere" && typeof metadata.sessions === "number") {
    return `${metadata.sessions} session(s) revoked`;
  }
  return [targetType, targetId].filter(Boolean).join(" ") || "-";
}

async function accessChanges(
  db: Db,
  p: { orgId: string; from: Date; to: Date },
): Promise<EvidenceData["accessChanges"]> {
  const from = iso(p.from);
  const to = iso(p.to);
  const prefixes = sql.join(
    ACCESS_ACTION_PREFIXES.map((x) => sql`${x}`),
    sql`, `,
  );
  const exact = sql.join(
    ACCESS_ACTIONS.map((x) => sql`${x}`),
    sql`, `,
  );
  const limit = EVIDENCE_MAX_LISTED.accessChanges;
  // People of the organisation: its members now, and those removed or gone since the period began.
  const people = sql`(
    select m.user_id::text as user_id from memberships m where m.org_id = ${p.orgId}::uuid
    union
    select a.target_id from audit_log a
    where a.org_id = ${p.orgId}::uuid and a.action in ('member.removed', 'member.left') and a.created_at >= ${from}
  )`;
  const rows = rowsOf<{
    at: unknown;
    action: string;
    actor_type: string | null;
    actor_user_id: string | null;
    actor_email: string | null;
    target_type: string | null;
    target_id: string | null;
    ip: string | null;
    metadata: Record<string, unknown> | string | null;
    source: "audit_log" | "sessions";
    total: number | string;
  }>(
    await db.execute(sql`
      with changes as (
        select a.created_at as at, a.id::text as tiebreak, a.action, a.actor_type, a.actor_user_id,
          a.target_type, a.target_id, a.ip, a.metadata, 'audit_log' as source
        from audit_log a
        where a.created_at >= ${from} and a.created_at < ${to}
          and (
            (a.org_id = ${p.orgId}::uuid
              and (split_part(a.action, '.', 1) in (${prefixes}) or a.action in (${exact})))
            or (a.org_id is null and split_part(a.action, '.', 1) in ('user', 'session')
              and a.actor_user_id::text in ${people})
          )
        union all
        select s.created_at, s.id::text, 'user.signed_in', 'user', s.user_id, 'user', s.user_id::text,
          null, '{}'::jsonb, 'sessions'
        from sessions s
        where s.created_at >= ${from} and s.created_at < ${to} and s.user_id::text in ${people}
      )
      select c.at, c.action, c.actor_type, c.actor_user_id, u.email as actor_email, c.target_type,
        c.target_id, c.ip, c.metadata, c.source, count(*) over () as total
      from changes c left join users u on u.id = c.actor_user_id
      order by c.at, c.source, c.tiebreak
      limit ${limit}`),
  );
  const listed = rows.map((r): AccessChange => {
    const metadata =
      typeof r.metadata === "string"
        ? (JSON.parse(r.metadata) as Record<string, unknown>)
        : (r.metadata ?? {});
    const apiTokenId = str(metadata.apiTokenId);
    const actor =
      r.actor_email ??
      (r.actor_type === "api_token"
        ? `api token ${apiTokenId ?? "?"}`
        : r.actor_user_id
          ? `user ${r.actor_user_id}`
          : (r.actor_type ?? "system"));
    return {
      at: toDate(r.at),
      action: r.action,
      actor,
      target:
        r.source === "sessions"
          ? (r.actor_email ?? `user ${r.target_id}`)
          : describeAccessTarget(r.action, r.target_type, r.target_id, metadata),
      ip: r.ip,
      source: r.source,
    };
  });
  return { total: Number(rows[0]?.total ?? 0), listed };
}

/** Thrown when the organisation does not exist. */
export class UnknownOrganizationError extends Error {
  constructor(orgId: string) {
    super(`no organisation ${orgId}`);
    this.name = "UnknownOrganizationError";
  }
}

/**
 * Gathers the evidence report's data for `orgId` and `[from, to)` (see the file comment for
 * what is measured and how). Throws RangeError for an empty or inverted period and
 * UnknownOrganizationError for an unknown organisation.
 */
export async function gatherEvidence(db: Db, params: EvidenceParams): Promise<EvidenceData> {
  const { orgId, from, to } = params;
  if (!(from.getTime() < to.getTime())) throw new RangeError("evidence period: `from` must be before `to`");
  const generatedAt = params.generatedAt ?? new Date();
  const [org] = rowsOf<{ id: string; name: string; slug: string }>(
    await db.execute(sql`select id, name, slug from organizations where id = ${orgId}::uuid`),
  );
  if (!org) throw new UnknownOrganizationError(orgId);
  const projectRows = rowsOf<{ slug: string; name: string }>(
    await db.execute(sql`select slug, name from projects where org_id = ${orgId}::uuid order by slug`),
  );
  const period = { orgId, from, to };
  const stats = await incidentStats(db, period);
  const listed = await listIncidents(db, period);
  const open = await openIssues(db, { orgId, to });
  const access = await accessChanges(db, period);
  return {
    organization: org,
    period: { from, to },
    generatedAt,
    projects: projectRows,
    incidents: {
      total: stats.total,
      newIssues: stats.newIssues,
      regressions: stats.regressions,
      listed,
    },
    timeToAcknowledge: stats.timeToAcknowledge,
    timeToResolve: stats.timeToResolve,
    openIssues: open,
    accessChanges: access,
    alertDeliveries: params.alertDeliveries ?? null,
    notes: EVIDENCE_METHOD_NOTES,
  };
}
