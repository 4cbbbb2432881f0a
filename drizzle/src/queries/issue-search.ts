import { and, asc, desc, eq, gte, inArray, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { type Db, rowsOf } from "../client";
import { issues, summaries } from "../schema/issues";
import { cursorTimeSql, type IssueRow, issueColumns, toIssueRow } from "./issues";

/**
 * The dashboard's issue list: status tabs, filters, search and four sort orders, each paged by
 * keyset on (sort column, id), forwards and backwards. (The REST API keeps `listIssues`.)
 */

/** Status tabs: "unresolved" includes regressed issues, "regressed" is only them. */
export const ISSUE_LIST_STATUSES = ["unresolved", "regressed", "resolved", "ignored", "all"] as const;
export type IssueListStatus = (typeof ISSUE_LIST_STATUSES)[number];

export const ISSUE_SORTS = ["lastSeen", "firstSeen", "events", "users"] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

/** Longest search text honoured (longer input is cut). */
export const MAX_ISSUE_SEARCH_LENGTH = 200;

export interface IssueFilters {
  /** A project id obtained through a scoped lookup (e.g. `findProjectBySlug`). */
  projectId: string;
  /** Issues whose services include this one. */
  service?: string | null;
  environment?: string | null;
  /** Issues whose first or latest release is this one. */
  release?: string | null;
  /** Issues last seen at or after this time. */
  seenSince?: Date | null;
  /** Case-insensitive substring of the title, message or culprit (`%` and `_` match themselves). */
  search?: string | null;
}

/** A position in one sort order: the sort value of a row (as text) and its id. */
export interface IssueCursor {
  sort: IssueSort;
  /** Rows after this one (the next page) or before it (the previous page). */
  direction: "after" | "before";
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` for time sorts, a non-negative integer for counts. */
  value: string;
  id: string;
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const COUNT_RE = /^\d{1,18}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIRECTIONS = { a: "after", b: "before" } as const;

const isTimeSort = (sort: IssueSort) => sort === "lastSeen" || sort === "firstSeen";

export function encodeIssueCursor(c: IssueCursor): string {
  const dir = c.direction === "after" ? "a" : "b";
  return Buffer.from(`${dir}|${c.sort}|${c.value}|${c.id}`, "utf8").toString("base64url");
}

/** The cursor in `value`, or null when it is not one {@link encodeIssueCursor} produced. */
export function decodeIssueCursor(value: string): IssueCursor | null {
  if (value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const [dir, sort, v, id, ...rest] = Buffer.from(value, "base64url").toString("utf8").split("|");
  if (rest.length > 0 || !dir || !sort || !v || !id) return null;
  if (dir !== "a" && dir !== "b") return null;
  if (!(ISSUE_SORTS as readonly string[]).includes(sort) || !UUID_RE.test(id)) return null;
  const s = sort as IssueSort;
  if (isTimeSort(s) ? !TIME_RE.test(v) || Number.isNaN(Date.parse(v)) : !COUNT_RE.test(v)) return null;
  return { sort: s, direction: DIRECTIONS[dir], value: v, id: id.toLowerCase() };
}

/** `text` with LIKE's wildcards and escape character escaped (for `like … escape '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function sortColumn(sort: IssueSort): PgColumn {
  switch (sort) {
    case "lastSeen":
      return issues.lastSeen;
    case "firstSeen":
      return issues.firstSeen;
    case "events":
      return issues.eventCount;
    case "users":
      return issues.userCount;
  }
}

/** The sort value rendered as cursor text (microseconds for times: nothing lost through a JS Date). */
function sortValueSql(sort: IssueSort): SQL<string> {
  const column = sortColumn(sort);
  return isTimeSort(sort) ? cursorTimeSql(column) : sql<string>`${column}::text`;
}

function cursorCondition(c: IssueCursor): SQL {
  const column = sortColumn(c.sort);
  const value = isTimeSort(c.sort) ? sql`${c.value}::timestamptz` : sql`${c.value}::bigint`;
  return c.direction === "after"
    ? sql`(${column}, ${issues.id}) < (${value}, ${c.id}::uuid)`
    : sql`(${column}, ${issues.id}) > (${value}, ${c.id}::uuid)`;
}

export function statusListCondition(status: IssueListStatus): SQL | undefined {
  if (status === "all") return undefined;
  if (status === "unresolved") return inArray(issues.status, ["unresolved", "regressed"]);
  return eq(issues.status, status);
}

/** The filters (without status) as SQL conditions. */
function filterConditions(f: IssueFilters): SQL[] {
  const conditions: SQL[] = [eq(issues.projectId, f.projectId)];
  if (f.service) conditions.push(sql`${f.service}::text = any(${issues.services})`);
  if (f.environment) conditions.push(sql`${f.environment}::text = any(${issues.environments})`);
  if (f.release) conditions.push(or(eq(issues.firstRelease, f.release), eq(issues.lastRelease, f.release))!);
  if (f.seenSince) conditions.push(gte(issues.lastSeen, f.seenSince));
  const search = f.search?.trim().slice(0, MAX_ISSUE_SEARCH_LENGTH);
  if (search) {
    const pattern = `%${escapeLike(search)}%`;
    conditions.push(
      sql`(${issues.title} ilike ${pattern} escape '\\' or ${issues.message} ilike ${pattern} escape '\\' or ${issues.culprit} ilike ${pattern} escape '\\')`,
    );
  }
  return conditions;
}

export interface SearchIssuesParams extends IssueFilters {
  status: IssueListStatus;
  sort: IssueSort;
  limit: number;
  /** From a previous page's `nextCursor` / `prevCursor`; its sort must be `sort` (else ignored). */
  cursor?: IssueCursor | null;
}

export interface IssuePage {
  issues: IssueRow[];
  /** The page after this one (older / smaller), or null on the last page. */
  nextCursor: string | null;
  /** The page before this one, or null on the first page. */
  prevCursor: string | null;
}

/** One page of a project's issues matching the filters, largest sort value first (ties: larger id first). */
export async function searchIssues(db: Db, params: SearchIssuesParams): Promise<IssuePage> {
  const cursor = params.cursor?.sort === params.sort ? params.cursor : null;
  const backwards = cursor?.direction === "before";
  const column = sortColumn(params.sort);
  const order = backwards ? [asc(column), asc(issues.id)] : [desc(column), desc(issues.id)];
  const rows = await db
    .select({ ...issueColumns, cursorValue: sortValueSql(params.sort) })
    .from(issues)
    .leftJoin(summaries, eq(summaries.issueId, issues.id))
    .where(
      and(
        ...filterConditions(params),
        statusListCondition(params.status),
        cursor ? cursorCondition(cursor) : undefined,
      ),
    )
    .orderBy(...order)
    .limit(params.limit + 1);
  const more = rows.length > params.limit;
  const page = rows.slice(0, params.limit);
  if (backwards) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  const at = (row: { id: string; cursorValue: string }, direction: IssueCursor["direction"]) =>
    encodeIssueCursor({ sort: params.sort, direction, value: row.cursorValue, id: row.id });
  // Going forwards, a page exists before this one when a cursor led here; going backwards, when
  // more rows were found. And symmetrically for the page after.
  const hasBefore = backwards ? more : cursor !== null;
  const hasAfter = backwards ? true : more;
  return {
    issues: page.map(({ cursorValue: _v, ...r }) => toIssueRow(r)),
    nextCursor: hasAfter && last ? at(last, "after") : null,
    prevCursor: hasBefore && first ? at(first, "before") : null,
  };
}

/** Number of a project's issues matching the filters, per status tab. */
export async function countIssuesByListStatus(
  db: Db,
  filters: IssueFilters,
): Promise<Record<IssueListStatus, number>> {
  const rows = await db
    .select({ status: issues.status, n: sql<number>`count(*)::int` })
    .from(issues)
    .where(and(...filterConditions(filters)))
    .groupBy(issues.status);
  const counts: Record<IssueListStatus, number> = {
    unresolved: 0,
    regressed: 0,
    resolved: 0,
    ignored: 0,
    all: 0,
  };
  for (const { status, n } of rows) {
    const count = Number(n);
    counts.all += count;
    counts[status] += count;
    if (status === "regressed") counts.unresolved += count;
  }
  return counts;
}

export interface IssueFilterValues {
  services: string[];
  environments: string[];
  /** Most recently seen first. */
  releases: string[];
}

/**
 * Values the list can be filtered by: the project's services and environments (alphabetical) and
 * releases (most recently seen first), at most `limit` of each. One pass over the project's issues.
 */
export async function listIssueFilterValues(
  db: Db,
  params: { projectId: string; limit?: number },
): Promise<IssueFilterValues> {
  const limit = params.limit ?? 100;
  const rows = rowsOf<{ k: "service" | "environment" | "release"; v: string }>(
    await db.execute(sql`
      with i as materialized (
        select ${issues.services} as services, ${issues.environments} as environments,
          ${issues.firstRelease} as first_release, ${issues.firstSeen} as first_seen,
          ${issues.lastRelease} as last_release, ${issues.lastSeen} as last_seen
        from ${issues} where ${issues.projectId} = ${params.projectId}
      )
      (select 'service' as k, v from (select distinct unnest(services) as v from i) s order by v limit ${limit})
      union all
      (select 'environment', v from (select distinct unnest(environments) as v from i) e order by v limit ${limit})
      union all
      (select 'release', v from (
        select last_release as v, last_seen as seen from i union all select first_release, first_seen from i
      ) r where v is not null group by v order by max(seen) desc, v limit ${limit})`),
  );
  const out: IssueFilterValues = { services: [], environments: [], releases: [] };
  const lists = { service: out.services, environment: out.environments, release: out.releases };
  for (const r of rows) lists[r.k]?.push(String(r.v));
  return out;
}
