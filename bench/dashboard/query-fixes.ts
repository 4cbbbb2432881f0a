/**
 * Before/after of the fixes proposed for the dashboard's slow statements, on scratch copies of
 * the statements the pages sent on 2026-11-26 (captured by the benchmark's EXPLAIN phase; the
 * pages may have changed since). Runs on a database seeded by the benchmark (`--keep-db`); each
 * fix is applied inside a transaction that is rolled back, so the database is left as it was.
 *
 * Per statement: the server's execution time (EXPLAIN (ANALYZE, TIMING OFF)) and the client's
 * round trip (postgres.js, prepared), median and p95 of `--runs` warm runs, before and after.
 *
 * Run: node --import tsx bench/dashboard/query-fixes.ts [--db cw_bench_dashboard_10000_1000000 --runs 30]
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { median, stats } from "./measure";

const { values: args } = parseArgs({
  options: {
    db: { type: "string", default: "cw_bench_dashboard_10000_1000000" },
    "admin-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    runs: { type: "string", default: "30" },
  },
});
const runs = Number(args.runs);
const url = new URL(args["admin-url"]!);
url.pathname = `/${args.db}`;

const ISSUE_COLUMNS = `"issues"."id", "issues"."project_id", "issues"."title", "issues"."exception_type", "issues"."message", "issues"."culprit", "issues"."status", "issues"."event_count", "issues"."first_seen", "issues"."last_seen", "issues"."services", "issues"."environments", "issues"."user_count", "issues"."first_release", "issues"."last_release", "issues"."resolved_at", "issues"."resolution", "issues"."resolved_in_release", "issues"."ignore_until_count", "summaries"."source", "summaries"."title", "summaries"."text", "summaries"."likely_cause", "summaries"."suggested_fix", "summaries"."confidence", "summaries"."model"`;
const LAST_SEEN_CURSOR = `to_char("issues"."last_seen" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const SEARCH = `("issues"."title" ilike $2 escape '\\' or "issues"."message" ilike $3 escape '\\' or "issues"."culprit" ilike $4 escape '\\')`;
/** The proposed search: one expression over the three columns, with a trigram index on it. */
const SEARCH_TEXT = `("issues"."title" || ' ' || "issues"."message" || ' ' || coalesce("issues"."culprit", ''))`;
const TRGM_INDEX = `create extension if not exists pg_trgm;
  create index scratch_issues_search_trgm on issues using gin (${SEARCH_TEXT.replaceAll('"issues".', "")} gin_trgm_ops)`;

interface Case {
  name: string;
  query: string;
  params: unknown[];
  /** The change proposed, as SQL (applied in a transaction, rolled back). */
  fix: string;
  /** The rewritten statement (alone, or together with `fix`). */
  rewrite?: string;
  /** Parameters of `rewrite` (default: `params`). */
  rewriteParams?: unknown[];
}

type Sql = postgres.Sql;

async function timeIt(sql: Sql, query: string, params: unknown[]) {
  const p = params as postgres.SerializableParameter[];
  for (let i = 0; i < 5; i++) await sql.unsafe(query, p, { prepare: true });
  const server: number[] = [];
  const client: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await sql.unsafe(query, p, { prepare: true });
    client.push(performance.now() - t);
    const [row] = await sql.unsafe<Array<{ "QUERY PLAN": Array<{ "Execution Time": number }> }>>(
      `explain (analyze, timing off, format json) ${query}`,
      p,
    );
    server.push(row!["QUERY PLAN"][0]!["Execution Time"]);
  }
  const plan = (await sql.unsafe(`explain (analyze, buffers) ${query}`, p))
    .map((r) => (r as Record<string, string>)["QUERY PLAN"])
    .join("\n");
  return { server: stats(server), client: stats(client), serverMedian: median(server), plan };
}

async function main() {
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [project] = await sql<{ id: string }[]>`select id from projects where slug = 'default' limit 1`;
    const projectId = project!.id;
    const [hot] = await sql<{ id: string }[]>`select id from issues order by event_count desc limit 1`;
    const page1 = await sql<{ at: string; id: string }[]>`
      select ${sql.unsafe(LAST_SEEN_CURSOR)} as at, id from issues
      where project_id = ${projectId} and status in ('unresolved', 'regressed')
      order by last_seen desc, id desc limit 25`;
    const cursor = page1[page1.length - 1]!;
    const term = "%PrismaClientKnownRequestError%";
    const lastSeenIndex = `create index scratch_issues_last_seen on issues (project_id, last_seen desc, id desc)`;
    const cases: Case[] = [
      {
        name: "issues list, default tab (searchIssues, unresolved + regressed, by last seen)",
        query: `select ${ISSUE_COLUMNS}, ${LAST_SEEN_CURSOR} from "issues" left join "summaries" on "summaries"."issue_id" = "issues"."id" where ("issues"."project_id" = $1 and "issues"."status" in ($2, $3)) order by "issues"."last_seen" desc, "issues"."id" desc limit $4`,
        params: [projectId, "unresolved", "regressed", 26],
        fix: lastSeenIndex,
      },
      {
        name: "issues list, page 2 (keyset cursor)",
        query: `select ${ISSUE_COLUMNS}, ${LAST_SEEN_CURSOR} from "issues" left join "summaries" on "summaries"."issue_id" = "issues"."id" where ("issues"."project_id" = $1 and "issues"."status" in ($2, $3) and ("issues"."last_seen", "issues"."id") < ($4::timestamptz, $5::uuid)) order by "issues"."last_seen" desc, "issues"."id" desc limit $6`,
        params: [projectId, "unresolved", "regressed", cursor.at, cursor.id, 26],
        fix: lastSeenIndex,
      },
      {
        name: "issues list, sort=events",
        query: `select ${ISSUE_COLUMNS}, "issues"."event_count"::text from "issues" left join "summaries" on "summaries"."issue_id" = "issues"."id" where ("issues"."project_id" = $1 and "issues"."status" in ($2, $3)) order by "issues"."event_count" desc, "issues"."id" desc limit $4`,
        params: [projectId, "unresolved", "regressed", 26],
        fix: `create index scratch_issues_events on issues (project_id, event_count desc, id desc)`,
      },
      {
        name: "issues list, search (page rows)",
        query: `select ${ISSUE_COLUMNS}, ${LAST_SEEN_CURSOR} from "issues" left join "summaries" on "summaries"."issue_id" = "issues"."id" where ("issues"."project_id" = $1 and ${SEARCH} and "issues"."status" in ($5, $6)) order by "issues"."last_seen" desc, "issues"."id" desc limit $7`,
        params: [projectId, term, term, term, "unresolved", "regressed", 26],
        fix: TRGM_INDEX,
        rewrite: `select ${ISSUE_COLUMNS}, ${LAST_SEEN_CURSOR} from "issues" left join "summaries" on "summaries"."issue_id" = "issues"."id" where ("issues"."project_id" = $1 and ${SEARCH_TEXT} ilike $2 escape '\\' and "issues"."status" in ($3, $4)) order by "issues"."last_seen" desc, "issues"."id" desc limit $5`,
        rewriteParams: [projectId, term, "unresolved", "regressed", 26],
      },
      {
        name: "issues list, search (tab counts)",
        query: `select "status", count(*)::int from "issues" where ("issues"."project_id" = $1 and ${SEARCH}) group by "issues"."status"`,
        params: [projectId, term, term, term],
        fix: TRGM_INDEX,
        rewrite: `select "status", count(*)::int from "issues" where ("issues"."project_id" = $1 and ${SEARCH_TEXT} ilike $2 escape '\\') group by "issues"."status"`,
        rewriteParams: [projectId, term],
      },
      {
        name: "issues list, filter choices (listIssueFilterValues: services, environments, releases)",
        query: `with i as materialized (
            select "issues"."services" as services, "issues"."environments" as environments,
              "issues"."first_release" as first_release, "issues"."first_seen" as first_seen,
              "issues"."last_release" as last_release, "issues"."last_seen" as last_seen
            from "issues" where "issues"."project_id" = $1
          )
          (select 'service' as k, v from (select distinct unnest(services) as v from i) s order by v limit $2)
          union all
          (select 'environment', v from (select distinct unnest(environments) as v from i) e order by v limit $3)
          union all
          (select 'release', v from (
            select last_release as v, last_seen as seen from i union all select first_release, first_seen from i
          ) r where v is not null group by v order by max(seen) desc, v limit $4)`,
        params: [projectId, 100, 100, 100],
        // The worker would upsert (project, key, value, last_seen) when an issue gains a value.
        fix: `create table scratch_tag_values (project_id uuid, k text, v text, last_seen timestamptz,
            primary key (project_id, k, v));
          insert into scratch_tag_values
            select project_id, 'service', unnest(services), max(last_seen) from issues group by 1, 2, 3
            union all select project_id, 'environment', unnest(environments), max(last_seen) from issues group by 1, 2, 3
            union all select project_id, 'release', r, max(seen) from issues,
              lateral (values (last_release, last_seen), (first_release, first_seen)) x(r, seen)
              where r is not null group by 1, 2, 3;
          analyze scratch_tag_values`,
        rewrite: `(select 'service' as k, v from scratch_tag_values where project_id = $1 and k = 'service' order by v limit $2)
          union all
          (select 'environment', v from scratch_tag_values where project_id = $1 and k = 'environment' order by v limit $3)
          union all
          (select 'release', v from scratch_tag_values where project_id = $1 and k = 'release' order by last_seen desc, v limit $4)`,
      },
      {
        name: "issue page, hottest issue: storedCount of getIssueEventNavigation (now capped in the current code)",
        query: `select (select count(*)::int from "events" e where e.issue_id = $1)`,
        params: [hot!.id],
        fix: "",
        rewrite: `select (select count(*)::int from (select 1 from "events" e where e.issue_id = $1 limit 1001) s)`,
      },
    ];
    for (const c of cases) {
      const before = await timeIt(sql, c.query, c.params);
      let after: Awaited<ReturnType<typeof timeIt>>;
      if (!c.fix) after = await timeIt(sql, c.rewrite ?? c.query, c.rewriteParams ?? c.params);
      else {
        await sql.unsafe("begin");
        try {
          await sql.unsafe(c.fix);
          await sql.unsafe("analyze issues");
          after = await timeIt(sql, c.rewrite ?? c.query, c.rewriteParams ?? c.params);
        } finally {
          await sql.unsafe("rollback");
        }
      }
      const row = (label: string, r: typeof before) =>
        `  ${label}: server ${r.server.p50.toFixed(2)} ms (p95 ${r.server.p95.toFixed(2)}), round trip ${r.client.p50.toFixed(2)} ms (p95 ${r.client.p95.toFixed(2)})`;
      console.log(`\n${c.name}`);
      if (c.fix) console.log(`  fix: ${c.fix.replace(/\s+/g, " ")}`);
      if (c.rewrite)
        console.log(`  statement after: ${c.rewrite.replace(ISSUE_COLUMNS, "…").replace(/\s+/g, " ")}`);
      console.log(row("before", before));
      console.log(row("after ", after));
      console.log("  plan after:");
      for (const line of after.plan.split("\n").slice(0, 14)) console.log(`    ${line}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

await main();
