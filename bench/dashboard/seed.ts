/**
 * The benchmark's database: a new Postgres database migrated with the project's `migrate` and
 * bootstrapped with `ensureBootstrap`, then seeded with set-based SQL (INSERT … SELECT over
 * generate_series) from the issue rows of seed-data.ts:
 *
 *   issue_seed (10k rows, from TypeScript) ─▶ event_times (one narrow row per event: time,
 *   service, environment, release, host, route, user; sorted by time) ─▶ issues (counters,
 *   first/last seen and release, services, environments, users: aggregates of event_times),
 *   summaries, issue_hourly_counts, issue_users, events (full bodies, inserted day by day in
 *   time order on `connections` connections), event_keys (the keys' window) ─▶ VACUUM ANALYZE.
 *
 * Scratch tables live in the schema `cw_bench_seed`, dropped at the end. With --keep-db the
 * database keeps a fixed name and a comment describing its shape, and is reused when it matches.
 */
import { randomBytes } from "node:crypto";
import { connectPostgres, ensureBootstrap, migrate } from "@codewarden/drizzle";
import postgres from "postgres";
import { type SeedReport, type SeedStepsOptions, seedDatabase } from "./seed-sql";

export type { SeedReport } from "./seed-sql";

export const ADMIN_EMAIL = "admin@localhost";
/** Bump when the generated data changes, so that kept databases are seeded again. */
const SEED_VERSION = 2;

export interface SeedOptions extends Omit<SeedStepsOptions, "now"> {
  adminUrl: string;
  keepDb: boolean;
}

export interface TableSize {
  table: string;
  rows: number;
  totalBytes: number;
  heapBytes: number;
  indexBytes: number;
}

export interface BenchDatabase {
  name: string;
  url: string;
  projectId: string;
  adminUserId: string;
  /** Set when this run seeded the database (not when a kept one was reused). */
  seed: SeedReport | null;
  seededAt: string;
  sizes: TableSize[];
  databaseBytes: number;
  /** Consistency of counters and events (must all be true). */
  checks: Record<string, boolean>;
  drop(): Promise<void>;
}

interface Marker {
  v: number;
  issues: number;
  events: number;
  days: number;
  skew: number;
  keyWindowHours: number;
  seededAt: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

function adminClient(adminUrl: string) {
  return postgres(adminUrl, { max: 1, onnotice: () => {} });
}

function urlFor(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function readMarker(adminUrl: string, name: string): Promise<Marker | null | "absent"> {
  const admin = adminClient(adminUrl);
  try {
    const rows = await admin<{ comment: string | null }[]>`
      select shobj_description(oid, 'pg_database') as comment from pg_database where datname = ${name}`;
    if (rows.length === 0) return "absent";
    try {
      return JSON.parse(rows[0]!.comment ?? "null") as Marker | null;
    } catch {
      return null;
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = adminClient(adminUrl);
  try {
    await admin.unsafe(`drop database if exists ${ident(name)} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** A seeded database: a new one, or with --keep-db the kept one when its shape matches. */
export async function openBenchDatabase(opts: SeedOptions): Promise<BenchDatabase> {
  const name = opts.keepDb
    ? `cw_bench_dashboard_${opts.issues}_${opts.events}`
    : `cw_bench_dashboard_${randomBytes(5).toString("hex")}`;
  const url = urlFor(opts.adminUrl, name);
  const want = {
    v: SEED_VERSION,
    issues: opts.issues,
    events: opts.events,
    days: opts.days,
    skew: opts.skew,
    keyWindowHours: opts.keyWindowHours,
  };
  const marker = opts.keepDb ? await readMarker(opts.adminUrl, name) : "absent";
  const reuse =
    marker !== null &&
    marker !== "absent" &&
    Object.entries(want).every(([k, v]) => marker[k as keyof Marker] === v);
  if (opts.keepDb && !reuse && marker !== "absent") {
    opts.log(`kept database ${name} has another shape (or an unfinished seed): dropping it`);
    await dropDatabase(opts.adminUrl, name);
  }
  if (!reuse) {
    const admin = adminClient(opts.adminUrl);
    try {
      await admin.unsafe(`create database ${ident(name)}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  } else opts.log(`reusing kept database ${name} (seeded ${(marker as Marker).seededAt})`);

  // Migrations run every time: a kept database picks up migrations added since it was seeded.
  const handle = connectPostgres(url, { max: 2 });
  let projectId: string;
  let adminUserId: string;
  try {
    await migrate(handle);
    const boot = await ensureBootstrap(handle.db, { adminEmail: ADMIN_EMAIL });
    projectId = boot.projectId;
    adminUserId = boot.adminUserId;
  } finally {
    await handle.close();
  }

  const sql = postgres(url, {
    max: Math.max(1, opts.connections),
    onnotice: () => {},
    connection: {
      TimeZone: "UTC",
      synchronous_commit: "off",
      work_mem: "256MB",
      maintenance_work_mem: "512MB",
    },
  });
  try {
    let seed: SeedReport | null = null;
    let seededAt = reuse ? (marker as Marker).seededAt : "";
    if (!reuse) {
      const now = new Date();
      seededAt = now.toISOString();
      seed = await seedDatabase(sql, projectId, { ...opts, now });
      const done: Marker = { ...want, seededAt };
      await sql.unsafe(`comment on database ${ident(name)} is ${literal(JSON.stringify(done))}`);
    }
    const sizes = await tableSizes(sql);
    const [db] = await sql<{ bytes: string }[]>`select pg_database_size(current_database())::text as bytes`;
    const checks = await consistencyChecks(sql);
    return {
      name,
      url,
      projectId,
      adminUserId,
      seed,
      seededAt,
      sizes,
      databaseBytes: Number(db!.bytes),
      checks,
      drop: () => (opts.keepDb ? Promise.resolve() : dropDatabase(opts.adminUrl, name)),
    };
  } catch (err) {
    if (!opts.keepDb) await dropDatabase(opts.adminUrl, name).catch(() => {});
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

type Sql = postgres.Sql;

async function tableSizes(sql: Sql): Promise<TableSize[]> {
  const tables = ["events", "event_keys", "issues", "issue_hourly_counts", "issue_users", "summaries"];
  const out: TableSize[] = [];
  for (const table of tables) {
    const [r] = await sql.unsafe<{ rows: string; total: string; heap: string; idx: string }[]>(
      `select (select count(*) from ${table})::text as rows, pg_total_relation_size($1::regclass)::text as total,
         pg_table_size($1::regclass)::text as heap, pg_indexes_size($1::regclass)::text as idx`,
      [table],
    );
    out.push({
      table,
      rows: Number(r!.rows),
      totalBytes: Number(r!.total),
      heapBytes: Number(r!.heap),
      indexBytes: Number(r!.idx),
    });
  }
  return out;
}

/** Counters agree with the rows they count (what the worker keeps true in one transaction). */
async function consistencyChecks(sql: Sql): Promise<Record<string, boolean>> {
  const [r] = await sql.unsafe<Record<string, boolean>[]>(`
    select
      (select coalesce(sum(event_count), 0) from issues) = (select count(*) from events)
        as "sum of issues.event_count = events",
      (select coalesce(sum(count), 0) from issue_hourly_counts) = (select count(*) from events)
        as "sum of issue_hourly_counts = events",
      not exists (select 1 from issues i where i.user_count <> (select count(*) from issue_users u where u.issue_id = i.id))
        as "issues.user_count = issue_users rows",
      not exists (select 1 from issues i where i.last_seen <> (select max(timestamp) from events e where e.issue_id = i.id))
        as "issues.last_seen = newest event"`);
  return r!;
}
