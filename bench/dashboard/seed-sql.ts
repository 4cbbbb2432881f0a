/**
 * The seed itself, set-based: the issue rows of seed-data.ts go into a scratch table, and every
 * other row is made by INSERT … SELECT from it (see seed.ts for the order and the database).
 */
import type postgres from "postgres";
import { FINGERPRINT_VERSION } from "../../worker/src/fingerprint";
import { buildIssueSeeds, type IssueSeed, type SeedShape } from "./seed-data";
import { HOST_SUFFIXES, SERVICES } from "./vocabulary";

/** Scratch tables live here; the schema is dropped at the end of the seed. */
const S = "cw_bench_seed";

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface SeedStepsOptions extends SeedShape {
  /** Connections inserting events in parallel. */
  connections: number;
  /** event_keys holds the keys of events received in this many last hours (0: every event). */
  keyWindowHours: number;
  log: (line: string) => void;
}

/** Wall time of each step (ms) and in all. */
export interface SeedReport {
  steps: Record<string, number>;
  totalMs: number;
}

const SEED_COLUMNS: Array<[keyof IssueSeed, string]> = [
  ["idx", "int primary key"],
  ["n_events", "int not null"],
  ["start_at", "timestamptz not null"],
  ["end_at", "timestamptz not null"],
  ["fingerprint", "text not null"],
  ["title", "text not null"],
  ["exception_type", "text not null"],
  ["message", "text not null"],
  ["msg_template", "text not null"],
  ["culprit", "text"],
  ["status", "text not null"],
  ["resolution", "text"],
  ["resolved_at", "timestamptz"],
  ["ignore_more", "int"],
  ["language", "text not null"],
  ["source", "text not null"],
  ["services", "text[] not null"],
  ["envs", "text[] not null"],
  ["routes", "text[] not null"],
  ["route_key", "text not null"],
  ["method", "text"],
  ["stack_before", "text not null"],
  ["stack_after", "text not null"],
  ["uses_type", "boolean not null"],
  ["frames", "jsonb not null"],
  ["attr_base", "jsonb not null"],
  ["summary_source", "text not null"],
  ["summary_title", "text"],
  ["summary_text", "text not null"],
  ["summary_cause", "text"],
  ["summary_fix", "text"],
  ["summary_confidence", "real"],
];

type Sql = postgres.Sql;

export async function seedDatabase(sql: Sql, projectId: string, opts: SeedStepsOptions): Promise<SeedReport> {
  const steps: Record<string, number> = {};
  const t0 = performance.now();
  const step = async (label: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    steps[label] = Math.round(performance.now() - t);
    opts.log(`  ${label}: ${(steps[label] / 1000).toFixed(1)} s`);
  };
  const windowStart = new Date(opts.now.getTime() - opts.days * 86_400_000);
  const project = literal(projectId);
  opts.log(
    `seeding ${opts.issues.toLocaleString("en-US")} issues and ${opts.events.toLocaleString("en-US")} events over ${opts.days} days …`,
  );

  let seeds: IssueSeed[] = [];
  await step("issues built in TypeScript (worker's parser, fingerprint, summariser)", async () => {
    seeds = buildIssueSeeds({ ...opts });
  });
  await step("scratch tables", async () => {
    await sql.unsafe(`drop schema if exists ${S} cascade; create schema ${S}`);
    await sql.unsafe(
      `create unlogged table ${S}.issue_seed (id uuid not null default gen_random_uuid(), ${SEED_COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")})`,
    );
    await sql.unsafe(`create unlogged table ${S}.service (name text primary key, major int not null, minor0 int not null);
      insert into ${S}.service values ${SERVICES.map((s) => `(${literal(s.name)}, ${s.major}, ${s.minor0})`).join(", ")}`);
    const cols = SEED_COLUMNS.map(([c]) => c).join(", ");
    for (let i = 0; i < seeds.length; i += 1000) {
      await sql.unsafe(
        `insert into ${S}.issue_seed (${cols}) select ${cols} from jsonb_populate_recordset(null::${S}.issue_seed, $1::jsonb)`,
        // postgres.js serialises the rows to JSON itself for a jsonb parameter.
        [seeds.slice(i, i + 1000) as unknown as postgres.SerializableParameter],
      );
    }
  });
  await step("event_times (one narrow row per event, sorted by time)", async () => {
    const hosts = `array[${HOST_SUFFIXES.map(literal).join(", ")}]`;
    // One connection for both: the seed of random() is per session.
    const conn = await sql.reserve();
    await conn.unsafe(`select setseed(0.42)`);
    await conn.unsafe(`
      create unlogged table ${S}.event_times as
      select (row_number() over ())::bigint as n, x.idx, x.t,
        x.t + random() * interval '2 seconds' as recv,
        x.svc, x.env, x.route, x.user_n, x.msg_n,
        sv.major || '.' || (sv.minor0 + floor(extract(epoch from x.t - ${literal(windowStart.toISOString())}::timestamptz) / 172800))::int || '.0' as rel,
        case when x.language = 'webjs' then null
          else x.svc || '-' || (${hosts})[1 + floor(random() * ${HOST_SUFFIXES.length})::int] end as host
      from (
        select i.idx, i.language,
          i.start_at + (i.end_at - i.start_at) * random() as t,
          i.services[1 + floor(random() * cardinality(i.services))::int] as svc,
          case when cardinality(i.envs) = 1 or random() < 0.85 then i.envs[1]
            else i.envs[2 + floor(random() * (cardinality(i.envs) - 1))::int] end as env,
          i.routes[1 + floor(random() * cardinality(i.routes))::int] as route,
          case when random() < 0.7 then floor(power(random(), 3) * 40000)::int end as user_n,
          floor(10000 + random() * 90000)::int as msg_n
        from ${S}.issue_seed i, generate_series(1, i.n_events)
      ) x join ${S}.service sv on sv.name = x.svc
      order by x.t`);
    conn.release();
    await sql.unsafe(`create index on ${S}.event_times (t); analyze ${S}.event_times`);
  });
  await step("issues (counters and tags from the events) and summaries", async () => {
    await sql.unsafe(`
      insert into issues (id, project_id, fingerprint, fingerprint_version, title, exception_type, message,
        culprit, status, event_count, first_seen, last_seen, services, environments, user_count,
        first_release, last_release, resolved_at, resolution, resolved_in_release, ignore_until_count, created_at)
      select i.id, ${project}, i.fingerprint, ${FINGERPRINT_VERSION}, i.title, i.exception_type, i.message,
        i.culprit, i.status, a.n, a.first_t, a.last_t, a.services, a.envs, a.users,
        a.first_rel, a.last_rel, i.resolved_at, i.resolution,
        case when i.resolution = 'next_release' then a.last_rel end,
        case when i.ignore_more is not null then a.n + i.ignore_more end, a.first_t
      from ${S}.issue_seed i join (
        select idx, count(*) as n, min(t) as first_t, max(t) as last_t,
          array_agg(distinct svc) as services, array_agg(distinct env) as envs,
          count(distinct user_n) as users,
          (array_agg(rel order by t))[1] as first_rel, (array_agg(rel order by t desc))[1] as last_rel
        from ${S}.event_times group by idx
      ) a on a.idx = i.idx`);
    await sql.unsafe(`
      insert into summaries (issue_id, source, title, text, confidence, likely_cause, suggested_fix, model, created_at)
      select id, summary_source, summary_title, summary_text, summary_confidence, summary_cause, summary_fix,
        case when summary_source = 'llm' then 'gpt-4o-mini' end, start_at
      from ${S}.issue_seed`);
  });
  await step("issue_hourly_counts and issue_users", async () => {
    await sql.unsafe(`
      insert into issue_hourly_counts (issue_id, hour, count)
      select i.id, date_trunc('hour', e.t), count(*)
      from ${S}.event_times e join ${S}.issue_seed i on i.idx = e.idx
      group by 1, 2`);
    // The digest is the worker's userDigestOf: SHA-256 of the user id, hex, first 32 characters.
    await sql.unsafe(`
      insert into issue_users (issue_id, user_digest, first_seen)
      select i.id, left(encode(sha256(convert_to('usr_' || e.user_n, 'UTF8')), 'hex'), 32), min(e.t)
      from ${S}.event_times e join ${S}.issue_seed i on i.idx = e.idx
      where e.user_n is not null
      group by i.id, e.user_n`);
  });
  await step(`events (full bodies, day by day, ${opts.connections} connection(s))`, async () => {
    const days: Array<[string, string]> = [];
    for (let d = 0; d <= opts.days; d++) {
      const from = new Date(windowStart.getTime() + d * 86_400_000);
      days.push([from.toISOString(), new Date(from.getTime() + 86_400_000).toISOString()]);
    }
    let next = 0;
    let done = 0;
    const insertDay = async () => {
      while (next < days.length) {
        const [from, to] = days[next++]!;
        await sql.unsafe(
          `insert into events (project_id, issue_id, event_key, source, timestamp, received_at, trace_id,
             span_id, service_name, service_version, environment, exception_type, message, stacktrace,
             frames, attributes, resource, span)
           select ${project}, i.id, md5('cw-bench-event:' || e.n), i.source, e.t, e.recv,
             md5('trace:' || e.n), left(md5('span:' || e.n), 16), e.svc, e.rel, e.env, i.exception_type, m.message,
             i.stack_before || case when i.uses_type then i.exception_type || ': ' else '' end || m.message || i.stack_after,
             i.frames,
             i.attr_base || jsonb_strip_nulls(jsonb_build_object(
               i.route_key, e.route,
               'url.path', case when i.route_key = 'http.route' then replace(e.route, ':id', e.msg_n::text) end,
               'user.id', 'usr_' || e.user_n,
               'server.address', e.host)),
             jsonb_build_object('serviceName', e.svc, 'serviceNamespace', 'shop', 'serviceVersion', e.rel,
               'serviceInstanceId', e.host, 'environment', e.env, 'sdkLanguage', i.language, 'hostName', e.host),
             case when i.source = 'log' then null
               else jsonb_build_object('name', case when i.language = 'webjs' then 'documentLoad'
                 else coalesce(i.method, 'process') || ' ' || e.route end, 'kind', 2, 'statusCode', 2) end
           from ${S}.event_times e
           join ${S}.issue_seed i on i.idx = e.idx
           cross join lateral (select replace(i.msg_template, '{n}', e.msg_n::text) as message) m
           where e.t >= $1::timestamptz and e.t < $2::timestamptz
           order by e.t`,
          [from, to],
        );
        done++;
        if (done % 5 === 0 || done === days.length) opts.log(`    events: ${done}/${days.length} days`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.connections) }, insertDay));
  });
  await step(
    `event_keys (${opts.keyWindowHours > 0 ? `events received in the last ${opts.keyWindowHours} h` : "every event"})`,
    async () => {
      const since = new Date(opts.now.getTime() - opts.keyWindowHours * 3_600_000).toISOString();
      await sql.unsafe(
        `insert into event_keys (project_id, event_key, seen_at)
         select ${project}, md5('cw-bench-event:' || n), recv from ${S}.event_times
         ${opts.keyWindowHours > 0 ? "where recv >= $1::timestamptz" : ""}
         order by recv`,
        opts.keyWindowHours > 0 ? [since] : [],
      );
    },
  );
  await step("drop scratch tables, VACUUM ANALYZE", async () => {
    await sql.unsafe(`drop schema ${S} cascade`);
    for (const t of ["events", "event_keys", "issues", "issue_hourly_counts", "issue_users", "summaries"])
      await sql.unsafe(`vacuum (analyze) ${t}`);
  });
  return { steps, totalMs: Math.round(performance.now() - t0) };
}
