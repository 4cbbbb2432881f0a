import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { events, type StackFrame } from "../schema/events";
import { projects } from "../schema/projects";
import { afterCursor, cursorTimeSql, pageOf, type TimeCursor } from "./issues";
import { type Scope, scopeCondition } from "./projects";

export interface EventRow {
  id: string;
  issueId: string;
  timestamp: Date;
  traceId: string | null;
  spanId: string | null;
  serviceName: string | null;
  serviceVersion: string | null;
  environment: string | null;
  exceptionType: string;
  message: string;
  stacktrace: string | null;
  frames: StackFrame[];
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | null>;
}

/** An event with what only the issue page shows: the span it happened in. */
export interface EventDetailRow extends EventRow {
  source: "span_event" | "log" | "span_status";
  span: { name: string; kind: number; statusCode: number } | null;
}

const eventColumns = {
  id: events.id,
  issueId: events.issueId,
  timestamp: events.timestamp,
  traceId: events.traceId,
  spanId: events.spanId,
  serviceName: events.serviceName,
  serviceVersion: events.serviceVersion,
  environment: events.environment,
  exceptionType: events.exceptionType,
  message: events.message,
  stacktrace: events.stacktrace,
  frames: events.frames,
  attributes: events.attributes,
  resource: events.resource,
};

const detailColumns = { ...eventColumns, source: events.source, span: events.span };

export interface ListIssueEventsParams {
  issueId: string;
  scope: Scope;
  limit: number;
  cursor?: TimeCursor | null;
}

/** One page of an issue's stored events visible in `scope`, newest first. */
export async function listIssueEvents(
  db: Db,
  params: ListIssueEventsParams,
): Promise<{ events: EventRow[]; nextCursor: string | null }> {
  const rows = await db
    .select({ ...eventColumns, cursorAt: cursorTimeSql(events.timestamp) })
    .from(events)
    .innerJoin(projects, eq(projects.id, events.projectId))
    .where(
      and(
        eq(events.issueId, params.issueId),
        scopeCondition(db, params.scope),
        params.cursor ? afterCursor(events.timestamp, events.id, params.cursor) : undefined,
      ),
    )
    .orderBy(desc(events.timestamp), desc(events.id))
    .limit(params.limit + 1);
  const { page, nextCursor } = pageOf(rows, params.limit);
  return {
    events: page.map(({ cursorAt: _cursorAt, ...e }) => ({
      ...e,
      frames: Array.isArray(e.frames) ? e.frames : [],
      attributes: e.attributes ?? {},
      resource: e.resource ?? {},
    })),
    nextCursor,
  };
}

/** The newest stored event of an issue visible in `scope`, or null. */
export async function getLatestEvent(
  db: Db,
  params: { issueId: string; scope: Scope },
): Promise<EventRow | null> {
  const { events: rows } = await listIssueEvents(db, { ...params, limit: 1 });
  return rows[0] ?? null;
}

/** Stored events of an issue are counted up to this many (a hot issue keeps tens of thousands). */
export const STORED_COUNT_CAP = 10_000;

function storedCountSql(issueId: string) {
  return sql<number>`(select count(*)::int from (select 1 from ${events} e where e.issue_id = ${issueId}
    limit ${STORED_COUNT_CAP + 1}) capped)`;
}

export interface IssueEventNavigation {
  /** The asked-for event (or the newest when none was asked for); null when none is stored. */
  event: EventDetailRow | null;
  newestId: string | null;
  oldestId: string | null;
  /** The next newer / older stored event than `event`. */
  newerId: string | null;
  olderId: string | null;
  /**
   * Stored events of the issue, counted up to {@link STORED_COUNT_CAP} + 1 (more than the cap
   * means "over 10,000"). Bodies are capped per hour and expire; the issue's counts are not.
   */
  storedCount: number;
}

/**
 * One stored event of an issue with the ids to step through the others: `eventId` (null: the
 * newest). The issue must come from a scoped lookup (getIssue); an event of another issue is
 * not found (`event` null while `storedCount` may be positive).
 */
export async function getIssueEventNavigation(
  db: Db,
  params: { issueId: string; eventId: string | null },
): Promise<IssueEventNavigation> {
  const { issueId } = params;
  const [row] = await db
    .select({
      ...detailColumns,
      cursorAt: cursorTimeSql(events.timestamp),
      newestId: sql<string | null>`(select e.id from ${events} e where e.issue_id = ${issueId}
        order by e.timestamp desc, e.id desc limit 1)`,
      oldestId: sql<string | null>`(select e.id from ${events} e where e.issue_id = ${issueId}
        order by e.timestamp asc, e.id asc limit 1)`,
      storedCount: storedCountSql(issueId),
    })
    .from(events)
    .where(and(eq(events.issueId, issueId), params.eventId ? eq(events.id, params.eventId) : undefined))
    .orderBy(desc(events.timestamp), desc(events.id))
    .limit(1);
  if (!row) {
    const [{ n } = { n: 0 }] = await db.select({ n: storedCountSql(issueId) }).from(sql`(select 1) as one`);
    return {
      event: null,
      newestId: null,
      oldestId: null,
      newerId: null,
      olderId: null,
      storedCount: Number(n),
    };
  }
  const at = { at: row.cursorAt, id: row.id };
  const step = async (newer: boolean) => {
    const [r] = await db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          eq(events.issueId, issueId),
          newer
            ? sql`(${events.timestamp}, ${events.id}) > (${at.at}::timestamptz, ${at.id}::uuid)`
            : afterCursor(events.timestamp, events.id, at),
        ),
      )
      .orderBy(
        ...(newer ? [asc(events.timestamp), asc(events.id)] : [desc(events.timestamp), desc(events.id)]),
      )
      .limit(1);
    return r?.id ?? null;
  };
  const [newerId, olderId] = await Promise.all([step(true), step(false)]);
  const { cursorAt: _c, newestId, oldestId, storedCount, ...e } = row;
  return {
    event: {
      ...e,
      frames: Array.isArray(e.frames) ? e.frames : [],
      attributes: e.attributes ?? {},
      resource: e.resource ?? {},
      span: e.span ?? null,
    },
    newestId,
    oldestId,
    newerId,
    olderId,
    storedCount: Number(storedCount),
  };
}
