import { and, desc, eq, gte, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { alertChannels, alertDeliveries } from "../schema/alerts";
import { organizations } from "../schema/auth";
import { projects } from "../schema/projects";
import { type EvidenceReportStatus, evidenceReports } from "../schema/reports";
import { recordAudit } from "./audit";
import type { AlertDeliverySummary } from "./evidence";

export interface EvidenceReportRow {
  id: string;
  orgId: string;
  periodStart: Date;
  periodEnd: Date;
  status: EvidenceReportStatus;
  storageKey: string | null;
  sha256: string | null;
  byteSize: number | null;
  pages: number | null;
  error: string | null;
  scheduled: boolean;
  requestedBy: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

const columns = {
  id: evidenceReports.id,
  orgId: evidenceReports.orgId,
  periodStart: evidenceReports.periodStart,
  periodEnd: evidenceReports.periodEnd,
  status: evidenceReports.status,
  storageKey: evidenceReports.storageKey,
  sha256: evidenceReports.sha256,
  byteSize: evidenceReports.byteSize,
  pages: evidenceReports.pages,
  error: evidenceReports.error,
  scheduled: evidenceReports.scheduled,
  requestedBy: evidenceReports.requestedBy,
  createdAt: evidenceReports.createdAt,
  completedAt: evidenceReports.completedAt,
};

/** Longest error text kept on a failed report. */
const MAX_ERROR = 500;

/**
 * A new pending report of `orgId` for [periodStart, periodEnd). Scheduled reports are made once per
 * organisation and period: a second call for the same period returns null (the schedule ran before).
 * On-demand reports are audit-logged as `evidence_report.requested`.
 */
export async function createEvidenceReport(
  db: Db,
  params: {
    orgId: string;
    periodStart: Date;
    periodEnd: Date;
    scheduled: boolean;
    requestedBy?: { userId: string; ip: string | null } | null;
  },
): Promise<EvidenceReportRow | null> {
  if (!(params.periodStart.getTime() < params.periodEnd.getTime()))
    throw new RangeError("evidence report period: start must be before end");
  return db.transaction(async (tx) => {
    const rows = await tx
      .insert(evidenceReports)
      .values({
        orgId: params.orgId,
        periodStart: params.periodStart,
        periodEnd: params.periodEnd,
        scheduled: params.scheduled,
        requestedBy: params.requestedBy?.userId ?? null,
      })
      .onConflictDoNothing()
      .returning(columns);
    const row = rows[0];
    if (!row) return null;
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: params.requestedBy ? "user" : "system",
      actorUserId: params.requestedBy?.userId ?? null,
      action: "evidence_report.requested",
      targetType: "evidence_report",
      targetId: row.id,
      ip: params.requestedBy?.ip ?? null,
      metadata: {
        periodStart: params.periodStart.toISOString(),
        periodEnd: params.periodEnd.toISOString(),
        scheduled: params.scheduled,
      },
    });
    return row;
  });
}

export async function getEvidenceReport(
  db: Db,
  params: { orgId: string; reportId: string },
): Promise<EvidenceReportRow | null> {
  const rows = await db
    .select(columns)
    .from(evidenceReports)
    .where(and(eq(evidenceReports.orgId, params.orgId), eq(evidenceReports.id, params.reportId)))
    .limit(1);
  return rows[0] ?? null;
}

/** A report by id alone, for the worker that generates it. */
export async function getEvidenceReportById(db: Db, reportId: string): Promise<EvidenceReportRow | null> {
  const rows = await db
    .select(columns)
    .from(evidenceReports)
    .where(eq(evidenceReports.id, reportId))
    .limit(1);
  return rows[0] ?? null;
}

/** An organisation's reports, newest first, with a (createdAt, id) cursor. */
export async function listEvidenceReports(
  db: Db,
  params: { orgId: string; limit?: number; before?: { createdAt: Date; id: string } },
): Promise<EvidenceReportRow[]> {
  const { before } = params;
  return db
    .select(columns)
    .from(evidenceReports)
    .where(
      and(
        eq(evidenceReports.orgId, params.orgId),
        before
          ? or(
              lt(evidenceReports.createdAt, before.createdAt),
              and(eq(evidenceReports.createdAt, before.createdAt), lt(evidenceReports.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(evidenceReports.createdAt), desc(evidenceReports.id))
    .limit(Math.min(Math.max(params.limit ?? 50, 1), 200));
}

/** Records the stored PDF (and its SHA-256) and audit-logs `evidence_report.generated`. */
export async function markEvidenceReportReady(
  db: Db,
  params: { reportId: string; storageKey: string; sha256: string; byteSize: number; pages: number },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(evidenceReports)
      .set({
        status: "ready",
        storageKey: params.storageKey,
        sha256: params.sha256,
        byteSize: params.byteSize,
        pages: params.pages,
        error: null,
        completedAt: new Date(),
      })
      .where(eq(evidenceReports.id, params.reportId))
      .returning({ orgId: evidenceReports.orgId });
    if (!row) return;
    await recordAudit(tx, {
      orgId: row.orgId,
      actorType: "system",
      actorUserId: null,
      action: "evidence_report.generated",
      targetType: "evidence_report",
      targetId: params.reportId,
      ip: null,
      metadata: { sha256: params.sha256, bytes: params.byteSize, pages: params.pages },
    });
  });
}

export async function markEvidenceReportFailed(
  db: Db,
  params: { reportId: string; error: string },
): Promise<void> {
  await db
    .update(evidenceReports)
    .set({ status: "failed", error: params.error.slice(0, MAX_ERROR), completedAt: new Date() })
    .where(eq(evidenceReports.id, params.reportId));
}

/** Every organisation's id (the monthly schedule makes one report each). */
export async function listOrganizationIds(db: Db): Promise<string[]> {
  const rows = await db.select({ id: organizations.id }).from(organizations).orderBy(organizations.id);
  return rows.map((r) => r.id);
}

/** The calendar month before `now`, in UTC: [first day of last month, first day of this month). */
export function previousMonthUtc(now: Date): { periodStart: Date; periodEnd: Date } {
  const periodEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return { periodStart, periodEnd };
}

/**
 * Alert deliveries of an organisation's projects created in [from, to), per channel: delivered,
 * failed (retries exhausted or failing), the last failure. Destinations are the channels' names
 * (never their URLs, which can hold secrets); test sends are left out.
 */
export async function summariseAlertDeliveries(
  db: Db,
  params: { orgId: string; from: Date; to: Date },
): Promise<AlertDeliverySummary[]> {
  const rows = await db
    .select({
      channel: sql<string>`coalesce(${alertChannels.kind}, 'deleted channel')`,
      destination: sql<string>`coalesce(${alertChannels.name}, '(deleted)')`,
      delivered: sql<number>`count(*) filter (where ${alertDeliveries.status} = 'sent')::int`,
      failed: sql<number>`count(*) filter (where ${alertDeliveries.status} in ('failed', 'dead'))::int`,
      lastFailureAt: sql<Date | null>`max(${alertDeliveries.updatedAt}) filter (where ${alertDeliveries.status} in ('failed', 'dead'))`,
      lastError: sql<
        string | null
      >`(array_agg(${alertDeliveries.lastError} order by ${alertDeliveries.updatedAt} desc)
        filter (where ${alertDeliveries.status} in ('failed', 'dead')))[1]`,
    })
    .from(alertDeliveries)
    .innerJoin(projects, eq(projects.id, alertDeliveries.projectId))
    .leftJoin(alertChannels, eq(alertChannels.id, alertDeliveries.channelId))
    .where(
      and(
        eq(projects.orgId, params.orgId),
        gte(alertDeliveries.createdAt, params.from),
        lt(alertDeliveries.createdAt, params.to),
        ne(alertDeliveries.kind, "test"),
      ),
    )
    .groupBy(alertChannels.id, alertChannels.kind, alertChannels.name)
    .orderBy(alertChannels.name);
  return rows.map((r) => ({
    ...r,
    // Aggregates over timestamptz come back as strings from some drivers.
    lastFailureAt: r.lastFailureAt === null ? null : new Date(r.lastFailureAt),
  }));
}

/** Reports still pending (a job lost when an all-in-one process stopped), oldest first. */
export async function listPendingEvidenceReportIds(db: Db, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ id: evidenceReports.id })
    .from(evidenceReports)
    .where(eq(evidenceReports.status, "pending"))
    .orderBy(evidenceReports.createdAt)
    .limit(limit);
  return rows.map((r) => r.id);
}
