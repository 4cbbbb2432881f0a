import { createHash } from "node:crypto";
import {
  createEvidenceReport,
  findUserEmails,
  getEvidenceReport,
  listEvidenceReports,
  type OrgMembership,
  previousMonthUtc,
  recordAudit,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import type { SessionUser } from "./auth.server";
import { type ActionData, actorOf, field, iso, notFound, refused, reply } from "./forms.server";
import { isOwner, requireMembership } from "./membership.server";

/** SOC 2 evidence reports of an organisation (/settings/orgs/:org/evidence): owners only. */

export const EVIDENCE_PAGE_SIZE = 50;
const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;
/** The oldest month a report can be asked for. */
const EARLIEST_MONTH = "2000-01";

const forbidden = () => new Response("Forbidden", { status: 403, statusText: "Forbidden" });

/** The membership of an owner of `orgSlug`: 404 for non-members (and unknown orgs), 403 for members. */
async function requireEvidenceAccess(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
): Promise<OrgMembership> {
  const m = await requireMembership(context, user, orgSlug);
  if (!isOwner(m)) throw forbidden();
  return m;
}

/** `YYYY-MM` of a date, in UTC. */
export const monthOf = (d: Date) => d.toISOString().slice(0, 7);

/** [first day of `month`, first day of the next) in UTC, or null unless `month` is a past `YYYY-MM`. */
export function monthPeriod(month: string, now: Date): { periodStart: Date; periodEnd: Date } | null {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) return null;
  const year = Number(match[1]);
  const m = Number(match[2]);
  if (m < 1 || m > 12 || month < EARLIEST_MONTH) return null;
  const periodStart = new Date(Date.UTC(year, m - 1, 1));
  const periodEnd = new Date(Date.UTC(year, m, 1));
  // Only whole months that have begun (the current month's report covers it so far).
  if (periodStart.getTime() > now.getTime()) return null;
  return { periodStart, periodEnd };
}

export async function loadEvidence(context: AppLoadContext, user: SessionUser, orgSlug: string | undefined) {
  const m = await requireEvidenceAccess(context, user, orgSlug);
  const rows = await listEvidenceReports(context.db, { orgId: m.orgId, limit: EVIDENCE_PAGE_SIZE });
  const emails = await findUserEmails(context.db, {
    userIds: [...new Set(rows.flatMap((r) => (r.requestedBy ? [r.requestedBy] : [])))],
  });
  const now = new Date();
  return {
    org: { name: m.name, slug: m.slug },
    configured: Boolean(context.reports),
    defaultMonth: monthOf(previousMonthUtc(now).periodStart),
    maxMonth: monthOf(now),
    minMonth: EARLIEST_MONTH,
    reports: rows.map((r) => ({
      id: r.id,
      period: monthOf(r.periodStart),
      status: r.status,
      pages: r.pages,
      byteSize: r.byteSize,
      sha256: r.sha256,
      error: r.error,
      createdAt: r.createdAt.toISOString(),
      completedAt: iso(r.completedAt),
      by: r.scheduled
        ? "scheduled"
        : r.requestedBy
          ? (emails.get(r.requestedBy) ?? "deleted user")
          : "deleted user",
    })),
    now: now.toISOString(),
  };
}

/** "Generate report": a pending on-demand report of the chosen month, handed to the report queue. */
export async function evidenceAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  form: FormData,
) {
  const m = await requireEvidenceAccess(context, user, orgSlug);
  if (field(form, "intent") !== "generate") return refused("Unknown action.", 400);
  const reports = context.reports;
  if (!reports) return refused("Report generation is not configured in this process.", 503);
  const period = monthPeriod(field(form, "month").trim(), new Date());
  if (!period) return refused("Choose a month (YYYY-MM) that has begun.", 400);
  const row = await createEvidenceReport(context.db, {
    orgId: m.orgId,
    ...period,
    scheduled: false,
    requestedBy: actorOf(context, user),
  });
  if (!row) return refused("Could not create the report.", 500);
  try {
    await reports.queue.enqueue(row.id);
  } catch (err) {
    // The row stays pending: the all-in-one runner picks pending reports up again on its checks.
    context.logger.error({ err, reportId: row.id }, "could not enqueue the evidence report");
    return refused("The report was recorded but could not be queued; it stays pending.", 503);
  }
  return reply({ notice: `Report for ${monthOf(period.periodStart)} requested.` } satisfies ActionData);
}

/**
 * The PDF of a ready report of the organisation: a redirect to a short-lived signed URL where the
 * storage can sign one, else the bytes, checked against the SHA-256 recorded when it was stored.
 * Every download is audit-logged.
 */
export async function downloadEvidence(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  reportId: string | undefined,
): Promise<Response> {
  const m = await requireEvidenceAccess(context, user, orgSlug);
  if (!reportId || !isUuid(reportId)) throw notFound();
  const row = await getEvidenceReport(context.db, { orgId: m.orgId, reportId });
  if (row?.status !== "ready" || !row.storageKey || !row.sha256) throw notFound();
  const reports = context.reports;
  if (!reports) return new Response("Report storage is not configured in this process.", { status: 503 });
  const audit = (via: "signed_url" | "app") =>
    recordAudit(context.db, {
      orgId: m.orgId,
      actorType: "user",
      actorUserId: user.userId,
      action: "evidence_report.downloaded",
      targetType: "evidence_report",
      targetId: row.id,
      ip: context.clientIp,
      metadata: { period: monthOf(row.periodStart), sha256: row.sha256, via },
    });
  if (reports.storage.signedUrl) {
    const url = await reports.storage.signedUrl(
      row.storageKey,
      reports.signedUrlTtlSeconds ?? DEFAULT_SIGNED_URL_TTL_SECONDS,
    );
    await audit("signed_url");
    return new Response(null, { status: 302, headers: { Location: url, "Cache-Control": "no-store" } });
  }
  const stored = await reports.storage.get(row.storageKey);
  if (!stored) {
    context.logger.error(
      { reportId: row.id, storageKey: row.storageKey },
      "evidence report missing in storage",
    );
    return new Response("The report file is missing.", {
      status: 500,
      headers: { "Cache-Control": "no-store" },
    });
  }
  const sha256 = createHash("sha256").update(stored.bytes).digest("hex");
  if (sha256 !== row.sha256) {
    context.logger.error(
      { reportId: row.id, storageKey: row.storageKey, expected: row.sha256, actual: sha256 },
      "evidence report does not match its recorded SHA-256",
    );
    return new Response("The stored report does not match its recorded checksum.", {
      status: 500,
      headers: { "Cache-Control": "no-store" },
    });
  }
  await audit("app");
  const filename = `codewarden-evidence-${m.slug}-${monthOf(row.periodStart)}.pdf`;
  // A copy backed by a plain ArrayBuffer (what a Response body accepts).
  return new Response(new Uint8Array(stored.bytes), {
    status: 200,
    headers: {
      "Content-Type": "application/pdf",
      "Content-Length": String(stored.bytes.byteLength),
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "private, no-store",
    },
  });
}
