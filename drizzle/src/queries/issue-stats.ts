import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../client";
import { events } from "../schema/events";
import { issueHourlyCounts } from "../schema/issues";

/** Charts and breakdowns of issues. Issue ids must come from a scoped lookup (getIssue, searchIssues). */

export interface CountWindow {
  /** Start of the first bucket (aligned to an hour, as issue_hourly_counts rows are). */
  start: Date;
  /** Bucket length: a multiple of one hour. */
  bucketMs: number;
  buckets: number;
}

/**
 * Event counts of each issue in `window`'s consecutive buckets, summed from the exact hourly
 * counters (one query for all issues). Every requested issue gets an array of `buckets` numbers.
 */
export async function issueCountSeries(
  db: Db,
  params: { issueIds: readonly string[]; window: CountWindow },
): Promise<Map<string, number[]>> {
  const { start, bucketMs, buckets } = params.window;
  const series = new Map<string, number[]>();
  for (const id of params.issueIds) series.set(id, new Array<number>(buckets).fill(0));
  if (params.issueIds.length === 0 || buckets <= 0) return series;
  const startSeconds = Math.floor(start.getTime() / 1000);
  const bucketSeconds = Math.floor(bucketMs / 1000);
  const end = new Date(start.getTime() + bucketMs * buckets);
  const ids = sql.join(
    params.issueIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = rowsOf<{ issue_id: string; bucket: number | string; n: number | string }>(
    await db.execute(sql`
      select ${issueHourlyCounts.issueId} as issue_id,
        floor((extract(epoch from ${issueHourlyCounts.hour}) - ${startSeconds}) / ${bucketSeconds})::int as bucket,
        sum(${issueHourlyCounts.count})::bigint as n
      from ${issueHourlyCounts}
      where ${issueHourlyCounts.issueId} in (${ids})
        and ${issueHourlyCounts.hour} >= ${start.toISOString()}::timestamptz
        and ${issueHourlyCounts.hour} < ${end.toISOString()}::timestamptz
      group by 1, 2`),
  );
  for (const r of rows) {
    const values = series.get(r.issue_id);
    const bucket = Number(r.bucket);
    if (values && bucket >= 0 && bucket < buckets) values[bucket] = Number(r.n);
  }
  return series;
}

/** Tags broken down on the issue page. */
export const TAG_KEYS = ["service", "version", "environment", "host", "route", "user"] as const;
export type TagKey = (typeof TAG_KEYS)[number];

export interface TagBreakdown {
  /** Stored events the breakdown is based on (the most recent ones, at most `sample`). */
  sampled: number;
  tags: Array<{
    key: TagKey;
    /** Sampled events that carry this tag. */
    total: number;
    /** The most frequent values, most frequent first (ties by value). */
    values: Array<{ value: string; count: number }>;
  }>;
}

/**
 * The top values of an issue's tags (service, version, environment, host, route, user) over its
 * most recent `sample` stored events (event bodies are capped per hour: see decision 004).
 */
export async function issueTagBreakdown(
  db: Db,
  params: { issueId: string; sample?: number; top?: number },
): Promise<TagBreakdown> {
  const sample = params.sample ?? 1000;
  const top = params.top ?? 5;
  const rows = rowsOf<{
    sampled: number | string;
    k: TagKey | null;
    v: string | null;
    n: number;
    total: number;
  }>(
    await db.execute(sql`
      with recent as materialized (
        select ${events.serviceName} as service, ${events.serviceVersion} as version,
          ${events.environment} as environment,
          coalesce(${events.resource}->>'hostName', ${events.resource}->>'host.name') as host,
          ${events.attributes}->>'http.route' as route,
          coalesce(${events.attributes}->>'user.id', ${events.attributes}->>'enduser.id') as usr
        from ${events}
        where ${events.issueId} = ${params.issueId}
        order by ${events.timestamp} desc, ${events.id} desc
        limit ${sample}
      ), tags as (
        select 'service' as k, service as v from recent
        union all select 'version', version from recent
        union all select 'environment', environment from recent
        union all select 'host', host from recent
        union all select 'route', route from recent
        union all select 'user', usr from recent
      ), counted as (
        select k, v, count(*)::int as n,
          row_number() over (partition by k order by count(*) desc, v) as rank,
          (sum(count(*)) over (partition by k))::int as total
        from tags where v is not null and v <> ''
        group by k, v
      )
      select s.sampled, c.k, c.v, c.n, c.total
      from (select count(*)::int as sampled from recent) s
      left join counted c on c.rank <= ${top}
      order by c.k, c.rank`),
  );
  const byKey = new Map<TagKey, TagBreakdown["tags"][number]>();
  for (const r of rows) {
    if (r.k === null || r.v === null) continue;
    let tag = byKey.get(r.k);
    if (!tag) {
      tag = { key: r.k, total: Number(r.total), values: [] };
      byKey.set(r.k, tag);
    }
    tag.values.push({ value: r.v, count: Number(r.n) });
  }
  return {
    sampled: Number(rows[0]?.sampled ?? 0),
    tags: TAG_KEYS.map((key) => byKey.get(key) ?? { key, total: 0, values: [] }),
  };
}
