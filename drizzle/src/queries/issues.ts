import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../client";
import { type IssueStatus, issues, type Resolution, summaries } from "../schema/issues";
import { projects } from "../schema/projects";
import { recordAudit } from "./audit";
import { type Scope, scopeCondition } from "./projects";

/** What the issue list can be filtered by; "unresolved" includes regressed issues. */
export const ISSUE_STATUS_FILTERS = ["unresolved", "resolved", "ignored", "all"] as const;
export type IssueStatusFilter = (typeof ISSUE_STATUS_FILTERS)[number];

/** Statuses a person or an API client may set (regressed is set by the worker only). */
export const SETTABLE_ISSUE_STATUSES = ["unresolved", "resolved", "ignored"] as const;
export type SettableIssueStatus = (typeof SETTABLE_ISSUE_STATUSES)[number];

export interface SummaryRow {
  source: "llm" | "heuristic";
  /** Short title (LLM summaries only). */
  title: string | null;
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  /** The model's confidence in the likely cause, 0..1 (LLM summaries only). */
  confidence: number | null;
  /** The model that wrote it (LLM summaries only). */
  model: string | null;
}

export interface IssueRow {
  id: string;
  projectId: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: IssueStatus;
  eventCount: number;
  firstSeen: Date;
  lastSeen: Date;
  services: string[];
  environments: string[];
  /** Distinct affected users (`user.id` / `enduser.id`). */
  userCount: number;
  firstRelease: string | null;
  lastRelease: string | null;
  resolvedAt: Date | null;
  /** For resolved issues: `now`, or `next_release` (events of `resolvedInRelease` do not reopen it). */
  resolution: Resolution | null;
  resolvedInRelease: string | null;
  /** For ignored issues: it becomes unresolved when `eventCount` reaches this. */
  ignoreUntilCount: number | null;
  summary: SummaryRow | null;
}

export interface IssueDetailRow extends IssueRow {
  orgId: string;
  projectSlug: string;
  projectName: string;
}

// ---------------------------------------------------------------------------------------------
// Keyset pagination over (time desc, id desc), shared with events.ts. The cursor is opaque to
// clients: base64url of the row's timestamp at full (microsecond) precision, rendered by
// Postgres so nothing is lost going through a JS Date, and its id.

export interface TimeCursor {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as rendered by {@link cursorTimeSql}. */
  at: string;
  id: string;
}

const AT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: TimeCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`, "utf8").toString("base64url");
}

/** The cursor in `value`, or null when it is not one {@link encodeCursor} produced. */
export function decodeCursor(value: string): TimeCursor | null {
  if (value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const [at, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !at || !id || !AT_RE.test(at) || !UUID_RE.test(id)) return null;
  if (Number.isNaN(Date.parse(at))) return null;
  return { at, id: id.toLowerCase() };
}

/** The column rendered as a cursor timestamp (UTC, microseconds), independent of session settings. */
export function cursorTimeSql(column: PgColumn): SQL<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Rows strictly after the cursor in `(time desc, id desc)` order. */
export function afterCursor(timeColumn: PgColumn, idColumn: PgColumn, cursor: TimeCursor): SQL {
  return sql`(${timeColumn}, ${idColumn}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
}

/** Splits a `limit + 1` result into the page and the cursor of its last row when more rows exist. */
export function pageOf<T extends { id: string; cursorAt: string }>(
  rows: T[],
  limit: number,
): { page: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { page: rows, nextCursor: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1]!;
  return { page, nextCursor: encodeCursor({ at: last.cursorAt, id: last.id }) };
}

// ---------------------------------------------------------------------------------------------

/** The columns of an issue row with its summary (shared with issue-search.ts; map rows with toIssueRow). */
export const issueColumns = {
  id: issues.id,
  projectId: issues.projectId,
  title: issues.title,
  exceptionType: issues.exceptionType,
  message: issues.message,
  culprit: issues.culprit,
  status: issues.status,
  eventCount: issues.eventCount,
  firstSeen: issues.firstSeen,
  lastSeen: issues.lastSeen,
  services: issues.services,
  environments: issues.environments,
  userCount: issues.userCount,
  firstRelease: issues.firstRelease,
  lastRelease: issues.lastRelease,
  resolvedAt: issues.resolvedAt,
  resolution: issues.resolution,
  resolvedInRelease: issues.resolvedInRelease,
  ignoreUntilCount: issues.ignoreUntilCount,
  summarySource: summaries.source,
  summaryTitle: summaries.title,
  summaryText: summaries.text,
  summaryLikelyCause: summaries.likelyCause,
  summarySuggestedFix: summaries.suggestedFix,
  summaryConfidence: summaries.confidence,
  summaryModel: summaries.model,
};

/** A row selected with `issueColumns` (summary columns are null when there is no summary yet). */
export interface IssueSelect {
  id: string;
  projectId: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: IssueStatus;
  eventCount: number;
  firstSeen: Date;
  lastSeen: Date;
  services: string[] | null;
  environments: string[] | null;
  userCount: number;
  firstRelease: string | null;
  lastRelease: string | null;
  resolvedAt: Date | null;
  resolution: Resolution | null;
  resolvedInRelease: string | null;
  ignoreUntilCount: number | null;
  summarySource: "llm" | "heuristic" | null;
  summaryTitle: string | null;
  summaryText: string | null;
  summaryLikelyCause: string | null;
  summarySuggestedFix: string | null;
  summaryConfidence: number | null;
  summaryModel: string | null;
}

export function toIssueRow(r: IssueSelect): IssueRow {
  return {
    id: r.id,
    projectId: r.projectId,
    title: r.title,
    exceptionType: r.exceptionType,
    message: r.message,
    culprit: r.culprit,
    status: r.status,
    eventCount: Number(r.eventCount),
    firstSeen: r.firstSeen,
    lastSeen: r.lastSeen,
    services: r.services ?? [],
    environments: r.environments ?? [],
    userCount: Number(r.userCount),
    firstRelease: r.firstRelease,
    lastRelease: r.lastRelease,
    resolvedAt: r.resolvedAt,
    resolution: r.resolution,
    resolvedInRelease: r.resolvedInRelease,
    ignoreUntilCount: r.ignoreUntilCount === null ? null : Number(r.ignoreUntilCount),
    summary:
      r.summarySource && r.summaryText !== null
        ? {
            source: r.summarySource,
            title: r.summaryTitle,
            text: r.summaryText,
            likelyCause: r.summaryLikelyCause,
            suggestedFix: r.summarySuggestedFix,
            confidence: r.summaryConfidence,
            model: r.summaryModel,
          }
        : null,
  };
}

function statusCondition(filter: IssueStatusFilter): SQL | undefined {
  if (filter === "all") return undefined;
  if (filter === "unresolved") return inArray(issues.status, ["unresolved", "regressed"]);
  return eq(issues.status, filter);
}

export interface ListIssuesParams {
  /** A project id obtained through a scoped lookup (e.g. `findProjectBySlug`). */
  projectId: string;
  status: IssueStatusFilter;
  limit: number;
  cursor?: TimeCursor | null;
}

/** One page of a project's issues, most recently seen first. */
export async function listIssues(
  db: Db,
  params: ListIssuesParams,
): Promise<{ issues: IssueRow[]; nextCursor: string | null }> {
  const rows = await db
    .select({ ...issueColumns, cursorAt: cursorTimeSql(issues.lastSeen) })
    .from(issues)
    .leftJoin(summaries, eq(summaries.issueId, issues.id))
    .where(
      and(
        eq(issues.projectId, params.projectId),
        statusCondition(params.status),
        params.cursor ? afterCursor(issues.lastSeen, issues.id, params.cursor) : undefined,
      ),
    )
    .orderBy(desc(issues.lastSeen), desc(issues.id))
    .limit(params.limit + 1);
  const { page, nextCursor } = pageOf(rows, params.limit);
  return { issues: page.map(toIssueRow), nextCursor };
}

/** Number of a project's issues per status filter (for the dashboard tabs). */
export async function countIssuesByStatus(
  db: Db,
  params: { projectId: string },
): Promise<Record<IssueStatusFilter, number>> {
  const rows = await db
    .select({ status: issues.status, n: sql<number>`count(*)::int` })
    .from(issues)
    .where(eq(issues.projectId, params.projectId))
    .groupBy(issues.status);
  const counts: Record<IssueStatusFilter, number> = { unresolved: 0, resolved: 0, ignored: 0, all: 0 };
  for (const { status, n } of rows) {
    const count = Number(n);
    counts.all += count;
    if (status === "regressed" || status === "unresolved") counts.unresolved += count;
    else counts[status] += count;
  }
  return counts;
}

/** One issue visible in `scope`, with its project and summary; null when unknown or out of scope. */
export async function getIssue(
  db: Db,
  params: { issueId: string; scope: Scope },
): Promise<IssueDetailRow | null> {
  const rows = await db
    .select({
      ...issueColumns,
      orgId: projects.orgId,
      projectSlug: projects.slug,
      projectName: projects.name,
    })
    .from(issues)
    .innerJoin(projects, eq(projects.id, issues.projectId))
    .leftJoin(summaries, eq(summaries.issueId, issues.id))
    .where(and(eq(issues.id, params.issueId), scopeCondition(db, params.scope)))
    .limit(1);
  const r = rows[0];
  if (!r) return null;
  return { ...toIssueRow(r), orgId: r.orgId, projectSlug: r.projectSlug, projectName: r.projectName };
}

export type IssueActor =
  | { type: "user"; userId: string }
  | { type: "api_token"; tokenId: string; createdBy?: string | null };

export interface UpdateIssueStatusParams {
  issueId: string;
  scope: Scope;
  status: SettableIssueStatus;
  /**
   * With status `resolved`: `now` (default; any later event reopens it) or `next_release`
   * (events from the issue's current last release do not).
   */
  resolution?: Resolution;
  /** With status `ignored`: it comes back (unresolved) after this many more events. */
  ignoreMoreEvents?: number | null;
  actor: IssueActor;
  /** Client address, for the audit log. */
  ip: string | null;
}

/** "Resolve in next release" asked for an issue none of whose events named a release. */
export class NoReleaseError extends Error {
  constructor() {
    super(
      "this issue has no release (service.version) to resolve in the next one of; resolve it now instead",
    );
    this.name = "NoReleaseError";
  }
}

/**
 * Sets an issue's status and appends an `issue.status_changed` audit row, in one transaction.
 * Returns the updated issue, or null when it is unknown or out of scope (nothing is written).
 * Throws NoReleaseError for `next_release` on an issue without a release.
 */
export async function updateIssueStatus(
  db: Db,
  params: UpdateIssueStatusParams,
): Promise<IssueDetailRow | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({
        id: issues.id,
        status: issues.status,
        orgId: projects.orgId,
        projectId: issues.projectId,
        eventCount: issues.eventCount,
        lastRelease: issues.lastRelease,
      })
      .from(issues)
      .innerJoin(projects, eq(projects.id, issues.projectId))
      .where(and(eq(issues.id, params.issueId), scopeCondition(tx, params.scope)))
      .for("update", { of: issues });
    if (!current) return null;

    const resolving = params.status === "resolved";
    const resolution: Resolution | null = resolving ? (params.resolution ?? "now") : null;
    if (resolution === "next_release" && current.lastRelease === null) throw new NoReleaseError();
    const ignoreMore = params.status === "ignored" ? (params.ignoreMoreEvents ?? null) : null;
    const ignoreUntilCount = ignoreMore === null ? null : Number(current.eventCount) + ignoreMore;
    await tx
      .update(issues)
      .set({
        status: params.status,
        resolvedAt: resolving ? sql`now()` : null,
        resolution,
        resolvedInRelease: resolution === "next_release" ? current.lastRelease : null,
        ignoreUntilCount,
      })
      .where(eq(issues.id, current.id));

    const { actor } = params;
    await recordAudit(tx, {
      orgId: current.orgId,
      actorType: actor.type,
      actorUserId: actor.type === "user" ? actor.userId : null,
      action: "issue.status_changed",
      targetType: "issue",
      targetId: current.id,
      ip: params.ip,
      metadata: {
        projectId: current.projectId,
        from: current.status,
        to: params.status,
        ...(resolution ? { resolution } : {}),
        ...(resolution === "next_release" ? { release: current.lastRelease } : {}),
        ...(ignoreUntilCount !== null ? { ignoreUntilCount } : {}),
        ...(actor.type === "api_token" ? { apiTokenId: actor.tokenId } : {}),
      },
    });

    return getIssue(tx, { issueId: current.id, scope: { orgId: current.orgId } });
  });
}
