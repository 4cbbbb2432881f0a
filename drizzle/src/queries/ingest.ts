import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../client";
import { eventKeys, events, type StackFrame } from "../schema/events";
import { type IssueStatus, issueHourlyCounts, issues, issueUsers, type Resolution } from "../schema/issues";

/** One error event, already scrubbed, parsed and fingerprinted by the worker. */
export interface StoreErrorEvent {
  fingerprint: string;
  fingerprintVersion: number;
  title: string;
  culprit: string | null;
  exceptionType: string;
  message: string;
  eventKey: string;
  source: "span_event" | "log" | "span_status";
  timestamp: Date;
  traceId: string | null;
  spanId: string | null;
  serviceName: string | null;
  serviceVersion: string | null;
  environment: string | null;
  stacktrace: string | null;
  frames: StackFrame[];
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | null>;
  span: { name: string; kind: number; statusCode: number } | null;
  /** A digest of the affected user's id (`user.id` / `enduser.id`), never the id itself. */
  userDigest: string | null;
}

export interface StoreErrorEventsResult {
  /** Events counted now (new natural keys). */
  inserted: number;
  /** Of those, events whose full body was stored (the rest only counted: per-issue, per-hour cap). */
  storedBodies: number;
  /** Events already counted (OTLP retries, the same exception reported twice). */
  duplicates: number;
  /** Issues created by this call (each has at least one stored event). */
  newIssues: Array<{ id: string; fingerprint: string }>;
  /** Issues whose counters changed. */
  touchedIssueIds: string[];
  /** Resolved issues that received a new event and are now `regressed`. */
  regressedIssues: Array<{ id: string; fingerprint: string }>;
  /** Ignored issues that reached their "until N more events" and are unresolved again. */
  unignoredIssueIds: string[];
}

export interface StoreErrorEventsOptions {
  /**
   * Full event bodies kept per issue and hour (by event time); further events in that hour
   * are counted exactly but not stored. Default 100.
   */
  eventsPerIssueHour?: number;
}

export const DEFAULT_EVENTS_PER_ISSUE_HOUR = 100;

/** Rows per statement (rows travel as one JSON parameter). */
const INSERT_CHUNK = 1000;
/** Distinct services / environments remembered per issue. */
const MAX_TAGS_PER_ISSUE = 50;

const HOUR_MS = 3_600_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface IssueDelta {
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  firstRelease: string | null;
  lastRelease: string | null;
  services: Set<string>;
  environments: Set<string>;
  users: Set<string>;
  /** Whether a resolved issue reopens (see `reopens`). */
  regress: boolean;
}

interface LockedIssue {
  id: string;
  fingerprint: string;
  status: IssueStatus;
  resolution: Resolution | null;
  resolvedInRelease: string | null;
  eventCount: number;
  ignoreUntilCount: number | null;
}

/** Whether an ignored issue's "until N more events" is reached by `count` new events. */
function unignores(issue: LockedIssue, count: number): boolean {
  return (
    issue.status === "ignored" &&
    issue.ignoreUntilCount !== null &&
    issue.eventCount + count >= issue.ignoreUntilCount
  );
}

/**
 * Whether an event reopens a resolved issue: always when it was resolved now; when resolved
 * "in next release", only an event from another release than the one current at resolve time
 * (an event without a release cannot tell, so it does not).
 */
function reopens(issue: LockedIssue, release: string | null): boolean {
  if (issue.status !== "resolved") return false;
  if (issue.resolution !== "next_release") return true;
  return release !== null && release !== issue.resolvedInRelease;
}

const EMPTY_RESULT: Omit<StoreErrorEventsResult, "duplicates"> = {
  inserted: 0,
  storedBodies: 0,
  newIssues: [],
  touchedIssueIds: [],
  regressedIssues: [],
  unignoredIssueIds: [],
};

/**
 * Stores a batch of error events for one project, idempotently, in one transaction.
 *
 * Every event's natural key goes into `event_keys` first (ON CONFLICT DO NOTHING): only keys
 * that are new count, so a retried OTLP request never double-counts. Issues are upserted by
 * fingerprint and locked; counters, first/last seen and release, services, environments,
 * affected users and hourly counts advance from the new events. Full bodies are stored up to
 * `eventsPerIssueHour` per issue and hour (counts stay exact: storage grows with distinct
 * problems, not with traffic); the event that reopens a resolved issue is always stored.
 * A resolved issue that receives a new event becomes `regressed` (see `reopens`); an ignored
 * one whose "until N more events" is reached becomes `unresolved`.
 */
export async function storeErrorEvents(
  db: Db,
  input: { projectId: string; events: readonly StoreErrorEvent[] },
  options: StoreErrorEventsOptions = {},
): Promise<StoreErrorEventsResult> {
  const { projectId } = input;
  const cap = Math.max(0, Math.floor(options.eventsPerIssueHour ?? DEFAULT_EVENTS_PER_ISSUE_HOUR));
  // Events repeated inside one batch count once, like retries across batches.
  const unique = new Map<string, StoreErrorEvent>();
  for (const e of input.events) if (!unique.has(e.eventKey)) unique.set(e.eventKey, e);
  const inBatchDuplicates = input.events.length - unique.size;
  if (unique.size === 0) return { ...EMPTY_RESULT, duplicates: inBatchDuplicates };
  // Sorted keys: concurrent batches take the key locks in one order (no deadlocks).
  const keys = [...unique.keys()].sort();

  return db.transaction(async (tx) => {
    const fresh: StoreErrorEvent[] = [];
    for (const part of chunks(keys, INSERT_CHUNK)) {
      const added = rowsOf<{ event_key: string }>(
        await tx.execute(sql`
          insert into ${eventKeys} (project_id, event_key)
          select ${projectId}::uuid, k from jsonb_array_elements_text(${JSON.stringify(part)}::jsonb) as k
          on conflict do nothing
          returning event_key`),
      );
      for (const r of added) fresh.push(unique.get(r.event_key)!);
    }
    const duplicates = inBatchDuplicates + (keys.length - fresh.length);
    if (fresh.length === 0) return { ...EMPTY_RESULT, duplicates };
    // Oldest first: the hourly cap keeps the first events of each hour.
    const timeOf = new Map<StoreErrorEvent, number>();
    for (const e of fresh) timeOf.set(e, e.timestamp.getTime());
    fresh.sort((a, b) => timeOf.get(a)! - timeOf.get(b)! || (a.eventKey < b.eventKey ? -1 : 1));

    // One representative event (the earliest) per fingerprint describes a new issue.
    const byFingerprint = new Map<string, StoreErrorEvent>();
    for (const e of fresh) if (!byFingerprint.has(e.fingerprint)) byFingerprint.set(e.fingerprint, e);
    // A stable order for inserts and row locks keeps concurrent batches from deadlocking.
    const fingerprints = [...byFingerprint.keys()].sort();

    const created = await tx
      .insert(issues)
      .values(
        fingerprints.map((fp) => {
          const e = byFingerprint.get(fp)!;
          return {
            projectId,
            fingerprint: fp,
            fingerprintVersion: e.fingerprintVersion,
            title: e.title,
            exceptionType: e.exceptionType,
            message: e.message,
            culprit: e.culprit,
            eventCount: 0,
            firstSeen: e.timestamp,
            lastSeen: e.timestamp,
          };
        }),
      )
      .onConflictDoNothing({ target: [issues.projectId, issues.fingerprint] })
      .returning({ id: issues.id, fingerprint: issues.fingerprint });

    // Lock this batch's issues (no key update: concurrent event inserts referencing them proceed).
    const locked: LockedIssue[] = await tx
      .select({
        id: issues.id,
        fingerprint: issues.fingerprint,
        status: issues.status,
        resolution: issues.resolution,
        resolvedInRelease: issues.resolvedInRelease,
        eventCount: issues.eventCount,
        ignoreUntilCount: issues.ignoreUntilCount,
      })
      .from(issues)
      .where(and(eq(issues.projectId, projectId), inArray(issues.fingerprint, fingerprints)))
      .orderBy(asc(issues.fingerprint))
      .for("no key update");
    const issueByFingerprint = new Map(locked.map((r) => [r.fingerprint, r]));
    const issueOf = (e: StoreErrorEvent): LockedIssue => {
      const issue = issueByFingerprint.get(e.fingerprint);
      if (!issue)
        throw new Error(`storeErrorEvents: issue for fingerprint ${e.fingerprint} missing after upsert`);
      return issue;
    };

    // Bodies already stored this hour = min(count so far, cap): read the touched hours' counts.
    type Hour = { issueId: string; hour: string; before: number; count: number };
    const hourly = new Map<string, Hour>();
    const hourOfEvent: Hour[] = [];
    for (const e of fresh) {
      const issueId = issueOf(e).id;
      const hourMs = Math.floor(timeOf.get(e)! / HOUR_MS) * HOUR_MS;
      const key = `${issueId}|${hourMs}`;
      let h = hourly.get(key);
      if (!h) {
        h = { issueId, hour: new Date(hourMs).toISOString(), before: 0, count: 0 };
        hourly.set(key, h);
      }
      hourOfEvent.push(h);
    }
    if (cap > 0) {
      const pairs = JSON.stringify([...hourly.values()].map((h) => ({ issue_id: h.issueId, hour: h.hour })));
      const existing = rowsOf<{ issue_id: string; hour: Date | string; count: number }>(
        await tx.execute(sql`
          select c.issue_id, c.hour, c.count
          from ${issueHourlyCounts} c
          join jsonb_to_recordset(${pairs}::jsonb) as p(issue_id uuid, hour timestamptz)
            on c.issue_id = p.issue_id and c.hour = p.hour`),
      );
      for (const r of existing) {
        const hourMs = (r.hour instanceof Date ? r.hour : new Date(r.hour)).getTime();
        const h = hourly.get(`${r.issue_id}|${hourMs}`);
        if (h) h.before = Number(r.count);
      }
    }

    const deltas = new Map<string, IssueDelta>();
    const bodies: Array<{ issueId: string; event: StoreErrorEvent }> = [];
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i]!;
      const issue = issueOf(e);
      const release = e.serviceVersion;
      let d = deltas.get(issue.id);
      const reopen = reopens(issue, release);
      if (!d) {
        d = {
          count: 0,
          firstSeen: e.timestamp,
          lastSeen: e.timestamp,
          firstRelease: release,
          lastRelease: release,
          services: new Set(),
          environments: new Set(),
          users: new Set(),
          regress: false,
        };
        deltas.set(issue.id, d);
      }
      d.count++;
      // `fresh` is in time order: the first event seen is the earliest, the last the latest.
      d.lastSeen = e.timestamp;
      if (release !== null) {
        d.firstRelease ??= release;
        d.lastRelease = release;
      }
      if (e.serviceName) d.services.add(e.serviceName);
      if (e.environment) d.environments.add(e.environment);
      if (e.userDigest) d.users.add(e.userDigest);
      const h = hourOfEvent[i]!;
      const firstReopening = reopen && !d.regress;
      if (firstReopening || h.before + h.count < cap) bodies.push({ issueId: issue.id, event: e });
      h.count++;
      if (reopen) d.regress = true;
    }

    for (const part of chunks(bodies, INSERT_CHUNK)) {
      // The rows travel as one JSON parameter: one bind whatever the batch size, and no
      // per-value work in the query builder.
      const rowsJson = JSON.stringify(
        part.map(({ issueId, event: e }) => ({
          issue_id: issueId,
          event_key: e.eventKey,
          source: e.source,
          timestamp: e.timestamp.toISOString(),
          trace_id: e.traceId,
          span_id: e.spanId,
          service_name: e.serviceName,
          service_version: e.serviceVersion,
          environment: e.environment,
          exception_type: e.exceptionType,
          message: e.message,
          stacktrace: e.stacktrace,
          frames: e.frames,
          attributes: e.attributes,
          resource: e.resource,
          span: e.span,
        })),
      );
      await tx.execute(sql`
        insert into ${events} (project_id, issue_id, event_key, source, "timestamp", trace_id, span_id,
          service_name, service_version, environment, exception_type, message, stacktrace, frames,
          attributes, resource, span)
        select ${projectId}::uuid, r.issue_id, r.event_key, r.source, r."timestamp", r.trace_id, r.span_id,
          r.service_name, r.service_version, r.environment, r.exception_type, r.message, r.stacktrace,
          r.frames, r.attributes, r.resource, r.span
        from jsonb_to_recordset(${rowsJson}::jsonb) as r(
          issue_id uuid, event_key text, source text, "timestamp" timestamptz, trace_id text, span_id text,
          service_name text, service_version text, environment text, exception_type text, message text,
          stacktrace text, frames jsonb, attributes jsonb, resource jsonb, span jsonb
        )`);
    }

    // Affected users: only digests new to the issue add to its user count.
    const newUsers = new Map<string, number>();
    const userRows: Array<{ issue_id: string; user_digest: string; first_seen: string }> = [];
    for (const [issueId, d] of deltas)
      for (const u of d.users)
        userRows.push({ issue_id: issueId, user_digest: u, first_seen: d.firstSeen.toISOString() });
    userRows.sort((a, b) =>
      a.issue_id === b.issue_id ? (a.user_digest < b.user_digest ? -1 : 1) : a.issue_id < b.issue_id ? -1 : 1,
    );
    for (const part of chunks(userRows, INSERT_CHUNK)) {
      const added = rowsOf<{ issue_id: string }>(
        await tx.execute(sql`
          insert into ${issueUsers} (issue_id, user_digest, first_seen)
          select r.issue_id, r.user_digest, r.first_seen
          from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as r(issue_id uuid, user_digest text, first_seen timestamptz)
          on conflict do nothing
          returning issue_id`),
      );
      for (const r of added) newUsers.set(r.issue_id, (newUsers.get(r.issue_id) ?? 0) + 1);
    }

    const touchedIssueIds = [...deltas.keys()].sort();
    const issueById = new Map(locked.map((r) => [r.id, r]));
    const regressedIssues = touchedIssueIds
      .filter((id) => deltas.get(id)!.regress)
      .map((id) => ({ id, fingerprint: issueById.get(id)!.fingerprint }));
    // One statement for every touched issue: the deltas travel as one JSON parameter.
    const deltaJson = JSON.stringify(
      touchedIssueIds.map((id) => {
        const d = deltas.get(id)!;
        return {
          id,
          count: d.count,
          users: newUsers.get(id) ?? 0,
          first_seen: d.firstSeen.toISOString(),
          last_seen: d.lastSeen.toISOString(),
          first_release: d.firstRelease,
          last_release: d.lastRelease,
          services: [...d.services],
          environments: [...d.environments],
          regress: d.regress,
          unignore: unignores(issueById.get(id)!, d.count),
        };
      }),
    );
    await tx.execute(sql`
      update ${issues} as i set
        event_count = i.event_count + d.count,
        user_count = i.user_count + d.users,
        first_release = case when d.first_seen < i.first_seen or i.first_release is null
          then coalesce(d.first_release, i.first_release) else i.first_release end,
        last_release = case when d.last_seen >= i.last_seen
          then coalesce(d.last_release, i.last_release) else coalesce(i.last_release, d.last_release) end,
        first_seen = least(i.first_seen, d.first_seen),
        last_seen = greatest(i.last_seen, d.last_seen),
        services = ${mergeTags(sql`i.services`, sql`d.services`)},
        environments = ${mergeTags(sql`i.environments`, sql`d.environments`)},
        status = case when d.regress then 'regressed' when d.unignore then 'unresolved' else i.status end,
        resolved_at = case when d.regress then null else i.resolved_at end,
        resolution = case when d.regress then null else i.resolution end,
        resolved_in_release = case when d.regress then null else i.resolved_in_release end,
        ignore_until_count = case when d.unignore then null else i.ignore_until_count end
      from jsonb_to_recordset(${deltaJson}::jsonb) as d(
        id uuid, count int, users int, first_seen timestamptz, last_seen timestamptz, first_release text,
        last_release text, services jsonb, environments jsonb, regress boolean, unignore boolean
      )
      where i.id = d.id`);

    const hourlyRows = [...hourly.values()].sort((a, b) =>
      a.issueId === b.issueId ? a.hour.localeCompare(b.hour) : a.issueId.localeCompare(b.issueId),
    );
    for (const part of chunks(hourlyRows, INSERT_CHUNK)) {
      await tx
        .insert(issueHourlyCounts)
        .values(part.map((h) => ({ issueId: h.issueId, hour: new Date(h.hour), count: h.count })))
        .onConflictDoUpdate({
          target: [issueHourlyCounts.issueId, issueHourlyCounts.hour],
          set: { count: sql`${issueHourlyCounts.count} + excluded.count` },
        });
    }

    return {
      inserted: fresh.length,
      storedBodies: bodies.length,
      duplicates,
      newIssues: created.map((r) => ({ id: r.id, fingerprint: r.fingerprint })),
      touchedIssueIds,
      regressedIssues,
      unignoredIssueIds: touchedIssueIds.filter((id) => unignores(issueById.get(id)!, deltas.get(id)!.count)),
    };
  });
}

/** `column ∪ values` (a jsonb array of strings), sorted, capped. */
function mergeTags(column: SQL, values: SQL): SQL {
  return sql`case when jsonb_array_length(${values}) = 0 then ${column} else array(select t from (select unnest(${column}) as t union select jsonb_array_elements_text(${values})) as u order by t limit ${sql.raw(String(MAX_TAGS_PER_ISSUE))}) end`;
}
