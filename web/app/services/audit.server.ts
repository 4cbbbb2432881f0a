import {
  type AuditFilter,
  type AuditRow,
  findUserEmails,
  listAuditLog,
  listMembers,
  type OrgMembership,
  recordAudit,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import {
  AUDIT_CATEGORIES,
  type AuditQuery,
  auditQueryString,
  auditTimeRange,
  parseAuditQuery,
} from "../utils/audit-filters";
import { csvRow } from "../utils/csv";
import type { SessionUser } from "./auth.server";
import { badRequest } from "./forms.server";
import { isOwner, orgPath, requireMembership } from "./membership.server";

/** The organisation's audit log (/settings/orgs/:org/audit): owners only, filterable, as a page or CSV. */

export const AUDIT_PAGE_SIZE = 100;
/** Most rows one CSV export holds; a longer log is cut (with a last line saying so). */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;
const EXPORT_BATCH = 1000;

const forbidden = () => new Response("Forbidden", { status: 403, statusText: "Forbidden" });

/** The membership of an owner of `orgSlug` (404 for non-members, 403 for members) and the parsed filters. */
async function requireAuditAccess(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  url: URL,
): Promise<{ m: OrgMembership; query: AuditQuery }> {
  const m = await requireMembership(context, user, orgSlug);
  if (!isOwner(m)) throw forbidden();
  const parsed = parseAuditQuery(url.searchParams);
  if ("invalid" in parsed) throw badRequest();
  return { m, query: parsed.query };
}

/** The query's filters for listAuditLog. */
function filterOf(orgId: string, query: AuditQuery): AuditFilter {
  const f: AuditFilter = { orgId, ...auditTimeRange(query) };
  if (query.category) f.actionPrefix = `${query.category}.`;
  if (query.action) f.action = query.action;
  if (query.actor) {
    if ("userId" in query.actor) f.actorUserId = query.actor.userId;
    else f.actorType = query.actor.type;
  }
  return f;
}

/** Who did it, for people: the user's address, "API token" or "system". */
const actorLabel = (r: AuditRow, emailOf: Map<string, string>) =>
  r.actorType === "user"
    ? (emailOf.get(r.actorUserId ?? "") ?? "deleted user")
    : r.actorType === "api_token"
      ? "API token"
      : "system";

/** The page: one page of matching rows (newest first), the filter form's choices, and links. */
export async function loadAudit(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  url: URL,
) {
  const { m, query } = await requireAuditAccess(context, user, orgSlug, url);
  const [fetched, members] = await Promise.all([
    listAuditLog(context.db, {
      ...filterOf(m.orgId, query),
      before: query.before ?? undefined,
      limit: AUDIT_PAGE_SIZE + 1,
    }),
    listMembers(context.db, { orgId: m.orgId }),
  ]);
  const rows = fetched.slice(0, AUDIT_PAGE_SIZE);
  const last = rows.at(-1);
  const ids = [...new Set(rows.map((r) => r.actorUserId).filter((id): id is string => id !== null))];
  const emailOf = await findUserEmails(context.db, { userIds: ids });
  const filters = { ...query, before: null };
  const base = `${orgPath(m)}/audit`;
  return {
    org: { name: m.name, slug: m.slug },
    filters: {
      category: query.category ?? "",
      actor: query.actor ? ("userId" in query.actor ? query.actor.userId : query.actor.type) : "",
      from: query.from ?? "",
      to: query.to ?? "",
      action: query.action ?? "",
    },
    filtered: auditQueryString(filters) !== "",
    categories: AUDIT_CATEGORIES,
    members: members.map((x) => ({ userId: x.userId, email: x.email })),
    entries: rows.map((r) => ({
      id: r.id,
      at: r.createdAt.toISOString(),
      actor: actorLabel(r, emailOf),
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      ip: r.ip,
      details: describeMetadata(r.metadata),
    })),
    /** Links: the next (older) page, the first page, the CSV of every matching row. */
    baseHref: base,
    olderHref:
      fetched.length > AUDIT_PAGE_SIZE && last
        ? `${base}${auditQueryString({ ...filters, before: last.cursor })}`
        : null,
    newestHref: query.before ? `${base}${auditQueryString(filters)}` : null,
    csvHref: `${base}.csv${auditQueryString(filters)}`,
    exportMaxRows: AUDIT_EXPORT_MAX_ROWS,
    now: new Date().toISOString(),
  };
}

const CSV_HEADER = [
  "time",
  "action",
  "actor_type",
  "actor_user_id",
  "actor",
  "target_type",
  "target_id",
  "ip",
  "details",
  "metadata",
  "id",
] as const;

/**
 * Every row matching the page's filters as a CSV download (`…/audit.csv?<filters>`), newest first, read
 * from the database in batches while streaming; at most AUDIT_EXPORT_MAX_ROWS rows, then a last
 * line saying the export was cut. The export itself is audit-logged.
 */
export async function exportAuditCsv(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  url: URL,
): Promise<Response> {
  const { m, query } = await requireAuditAccess(context, user, orgSlug, url);
  const filter = filterOf(m.orgId, query);
  await recordAudit(context.db, {
    orgId: m.orgId,
    actorType: "user",
    actorUserId: user.userId,
    action: "audit_log.exported",
    targetType: null,
    targetId: null,
    ip: context.clientIp,
    metadata: { filters: auditQueryString({ ...query, before: null }) || "none" },
  });
  const emailOf = new Map<string, string>();
  const encoder = new TextEncoder();
  let cursor: string | undefined = query.before ?? undefined;
  let sent = 0;
  let started = false;

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(csvRow(CSV_HEADER)));
          return;
        }
        const room = AUDIT_EXPORT_MAX_ROWS - sent;
        // One row beyond the cap tells whether the export is cut.
        const rows = await listAuditLog(context.db, {
          ...filter,
          before: cursor,
          limit: Math.min(EXPORT_BATCH, room + 1),
        });
        const batch = rows.slice(0, room);
        const unknown = [
          ...new Set(batch.map((r) => r.actorUserId).filter((id): id is string => !!id && !emailOf.has(id))),
        ];
        if (unknown.length) {
          for (const [id, email] of await findUserEmails(context.db, { userIds: unknown }))
            emailOf.set(id, email);
        }
        let chunk = "";
        for (const r of batch) chunk += csvRow(csvValues(r, emailOf));
        sent += batch.length;
        cursor = batch.at(-1)?.cursor;
        if (rows.length > room) {
          chunk += csvRow([
            `# export cut at ${AUDIT_EXPORT_MAX_ROWS} rows: older matching rows are not included; narrow the dates to export them`,
          ]);
        }
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (rows.length > room || rows.length < Math.min(EXPORT_BATCH, room + 1)) controller.close();
      } catch (err) {
        context.logger.error({ err, orgId: m.orgId }, "audit log export failed");
        controller.error(err);
      }
    },
  });
  context.logger.info({ orgId: m.orgId, userId: user.userId }, "audit log exported");
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="codewarden-audit-${m.slug}-${day}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}

function csvValues(r: AuditRow, emailOf: Map<string, string>) {
  return [
    r.cursor.slice(0, r.cursor.indexOf("~")),
    r.action,
    r.actorType,
    r.actorUserId,
    actorLabel(r, emailOf),
    r.targetType,
    r.targetId,
    r.ip,
    describeMetadata(r.metadata),
    JSON.stringify(r.metadata),
    r.id,
  ];
}

/** Audit metadata as short `key: value` text (rendered as text; quoted and neutralised in CSV). */
function describeMetadata(metadata: Record<string, unknown>): string {
  return Object.entries(metadata)
    .filter(([k, v]) => k !== "projectId" && k !== "replaced" && v !== null && v !== undefined)
    .map(([k, v]) => {
      const text = Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v);
      return `${k}: ${text}`;
    })
    .join(" · ");
}
