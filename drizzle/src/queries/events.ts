import { and, desc, eq } from "drizzle-orm";
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
    .select({
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
      cursorAt: cursorTimeSql(events.timestamp),
    })
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
