import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "../client";
import { events, type StackFrame } from "../schema/events";
import { issueHourlyCounts, issues } from "../schema/issues";

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
}

export interface StoreErrorEventsResult {
  /** Events stored now. */
  inserted: number;
  /** Events already stored (OTLP retries, the same exception reported twice). */
  duplicates: number;
  /** Issues created by this call (each has at least one stored event). */
  newIssues: Array<{ id: string; fingerprint: string }>;
  /** Issues whose counters changed. */
  touchedIssueIds: string[];
  /** Resolved issues that received a new event and are now `regressed`. */
  regressedIssues: Array<{ id: string; fingerprint: string }>;
}

/** Rows per INSERT statement (each event row binds ~20 parameters; Postgres allows 65535). */
const INSERT_CHUNK = 500;
/** Distinct services / environments remembered per issue. */
const MAX_TAGS_PER_ISSUE = 50;

function hourOf(d: Date): string {
  const h = new Date(d.getTime());
  h.setUTCMinutes(0, 0, 0);
  return h.toISOString();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface IssueDelta {
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  services: Set<string>;
  environments: Set<string>;
}

/**
 * Stores a batch of error events for one project, idempotently, in one transaction:
 * issues are upserted by fingerprint, events are inserted with ON CONFLICT (project_id,
 * event_key) DO NOTHING, and issue counters, first/last seen, services, environments and
 * hourly counts are advanced from the rows actually inserted — so a retried OTLP request
 * never double-counts. A resolved issue that receives a new event becomes `regressed`.
 */
export async function storeErrorEvents(
  db: Db,
  input: { projectId: string; events: readonly StoreErrorEvent[] },
): Promise<StoreErrorEventsResult> {
  const { projectId } = input;
  // Events repeated inside one batch count once, like retries across batches.
  const unique = new Map<string, StoreErrorEvent>();
  for (const e of input.events) if (!unique.has(e.eventKey)) unique.set(e.eventKey, e);
  const batch = [...unique.values()];
  const inBatchDuplicates = input.events.length - batch.length;
  if (batch.length === 0) {
    return {
      inserted: 0,
      duplicates: inBatchDuplicates,
      newIssues: [],
      touchedIssueIds: [],
      regressedIssues: [],
    };
  }

  // One representative event (the earliest) per fingerprint describes a new issue.
  const byFingerprint = new Map<string, StoreErrorEvent>();
  for (const e of batch) {
    const seen = byFingerprint.get(e.fingerprint);
    if (!seen || e.timestamp < seen.timestamp) byFingerprint.set(e.fingerprint, e);
  }
  // A stable order for inserts and row locks keeps concurrent batches from deadlocking.
  const fingerprints = [...byFingerprint.keys()].sort();

  return db.transaction(async (tx) => {
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
    const createdIds = new Set(created.map((r) => r.id));

    // Lock this batch's issues (no key update: concurrent event inserts referencing them proceed).
    const rows = await tx
      .select({ id: issues.id, fingerprint: issues.fingerprint, status: issues.status })
      .from(issues)
      .where(and(eq(issues.projectId, projectId), inArray(issues.fingerprint, fingerprints)))
      .orderBy(asc(issues.fingerprint))
      .for("no key update");
    const issueByFingerprint = new Map(rows.map((r) => [r.fingerprint, r]));

    const insertedRows: Array<{
      issueId: string;
      timestamp: Date;
      serviceName: string | null;
      environment: string | null;
    }> = [];
    for (const part of chunks(batch, INSERT_CHUNK)) {
      // The rows travel as one JSON parameter: one bind whatever the batch size, and no
      // per-value work in the query builder.
      const rowsJson = JSON.stringify(
        part.map((e) => {
          const issue = issueByFingerprint.get(e.fingerprint);
          if (!issue)
            throw new Error(`storeErrorEvents: issue for fingerprint ${e.fingerprint} missing after upsert`);
          return {
            issue_id: issue.id,
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
          };
        }),
      );
      const stored = rowsOf<{
        issue_id: string;
        timestamp: Date | string;
        service_name: string | null;
        environment: string | null;
      }>(
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
          )
          on conflict (project_id, event_key) do nothing
          returning issue_id, "timestamp", service_name, environment`),
      );
      for (const r of stored) {
        insertedRows.push({
          issueId: r.issue_id,
          timestamp: r.timestamp instanceof Date ? r.timestamp : new Date(r.timestamp),
          serviceName: r.service_name,
          environment: r.environment,
        });
      }
    }

    const deltas = new Map<string, IssueDelta>();
    const hourly = new Map<string, { issueId: string; hour: string; count: number }>();
    for (const r of insertedRows) {
      let d = deltas.get(r.issueId);
      if (!d) {
        d = {
          count: 0,
          firstSeen: r.timestamp,
          lastSeen: r.timestamp,
          services: new Set(),
          environments: new Set(),
        };
        deltas.set(r.issueId, d);
      }
      d.count++;
      if (r.timestamp < d.firstSeen) d.firstSeen = r.timestamp;
      if (r.timestamp > d.lastSeen) d.lastSeen = r.timestamp;
      if (r.serviceName) d.services.add(r.serviceName);
      if (r.environment) d.environments.add(r.environment);
      const hour = hourOf(r.timestamp);
      const key = `${r.issueId}|${hour}`;
      const h = hourly.get(key);
      if (h) h.count++;
      else hourly.set(key, { issueId: r.issueId, hour, count: 1 });
    }

    const touchedIssueIds = [...deltas.keys()].sort();
    const regressedIssues: Array<{ id: string; fingerprint: string }> = [];
    const issueById = new Map(rows.map((r) => [r.id, r]));
    for (const id of touchedIssueIds) {
      const issue = issueById.get(id)!;
      if (issue.status === "resolved") regressedIssues.push({ id, fingerprint: issue.fingerprint });
    }
    if (touchedIssueIds.length > 0) {
      // One statement for every touched issue: the deltas travel as one JSON parameter.
      const deltaJson = JSON.stringify(
        touchedIssueIds.map((id) => {
          const d = deltas.get(id)!;
          return {
            id,
            count: d.count,
            first_seen: d.firstSeen.toISOString(),
            last_seen: d.lastSeen.toISOString(),
            services: [...d.services],
            environments: [...d.environments],
          };
        }),
      );
      await tx.execute(sql`
        update ${issues} as i set
          event_count = i.event_count + d.count,
          first_seen = least(i.first_seen, d.first_seen),
          last_seen = greatest(i.last_seen, d.last_seen),
          services = ${mergeTags(sql`i.services`, sql`d.services`)},
          environments = ${mergeTags(sql`i.environments`, sql`d.environments`)},
          status = case when i.status = 'resolved' then 'regressed' else i.status end,
          resolved_at = case when i.status = 'resolved' then null else i.resolved_at end
        from jsonb_to_recordset(${deltaJson}::jsonb) as d(
          id uuid, count int, first_seen timestamptz, last_seen timestamptz, services jsonb, environments jsonb
        )
        where i.id = d.id`);
    }

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

    // An issue created now whose events were all stored before (under another fingerprint
    // version) would stay empty: drop it so every issue has at least one event.
    const emptyCreated = [...createdIds].filter((id) => !deltas.has(id));
    if (emptyCreated.length > 0) await tx.delete(issues).where(inArray(issues.id, emptyCreated));

    const inserted = insertedRows.length;
    return {
      inserted,
      duplicates: inBatchDuplicates + (batch.length - inserted),
      newIssues: created
        .filter((r) => deltas.has(r.id))
        .map((r) => ({ id: r.id, fingerprint: r.fingerprint })),
      touchedIssueIds,
      regressedIssues,
    };
  });
}

/** `column ∪ values` (a jsonb array of strings), sorted, capped. */
function mergeTags(column: SQL, values: SQL): SQL {
  return sql`case when jsonb_array_length(${values}) = 0 then ${column} else array(select t from (select unnest(${column}) as t union select jsonb_array_elements_text(${values})) as u order by t limit ${sql.raw(String(MAX_TAGS_PER_ISSUE))}) end`;
}
