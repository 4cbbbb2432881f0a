/**
 * Dashboard benchmark: response times of the issues list and the issue page with 1,000,000 events
 * over 10,000 issues in Postgres, through the real HTTP stack, against a bare `SELECT 1` round
 * trip (postgres.js, same server) measured in the same run.
 *
 * 1. A new database, migrated (`migrate`) and bootstrapped (`ensureBootstrap`), seeded with
 *    set-based SQL (seed.ts): a Zipf skew of events over issues, stack traces parsed by the
 *    worker's parser, times over `--days`, several services, environments, releases, hosts,
 *    routes and users; consistent counters, hourly counts, affected users and event keys.
 * 2. The web service as production runs it (web/server/main.ts → startWeb, NODE_ENV=production)
 *    in a child process; sign-in through the magic link its dev mailer prints.
 * 3. Targets, found on the pages as they are now (pages.ts): the list's default tab, its page 2,
 *    a search / a filter / a sort when the page honours them, the issue page of the hottest and
 *    of a tail issue; plus `GET /healthz` (HTTP with no database) for reference. Each measured at
 *    every `--concurrency` in alternating rounds; p50/p95/p99/max per target, ratios to SELECT 1.
 * 4. Where the time goes: each page's statements, captured from one page load and run again
 *    under EXPLAIN (ANALYZE, BUFFERS) (explain.ts).
 *
 * Run: npm run bench:dashboard [-- --keep-db --issues 10000 --events 1000000 --rounds 3 --requests 40]
 * Prints a readable report, then one JSON line. Exit code 1 when the run fails (a request failed,
 * a seed check did not hold); the goals only print PASS/FAIL.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { ROOT } from "../../test/e2e/harness";
import { onCleanup } from "../lib/children";
import { intArg, runMain } from "../lib/cli";
import { explainPages, type PageQueries } from "./explain";
import { httpProbe, measureTargets, selectOneProbe, type Target, type TargetResult } from "./measure";
import { dataFacts, discoverPages } from "./pages";
import { printReport, type RunResult } from "./report";
import { ADMIN_EMAIL, openBenchDatabase } from "./seed";
import { requireWebBuild, signIn, startWebChild } from "./web";

const GOAL_P95_MS = 150;

const { values: args } = parseArgs({
  options: {
    issues: { type: "string", default: "10000" },
    events: { type: "string", default: "1000000" },
    days: { type: "string", default: "28" },
    skew: { type: "string", default: "1" },
    "keep-db": { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "40" },
    concurrency: { type: "string", default: "1,4" },
    warmup: { type: "string", default: "5" },
    "seed-connections": { type: "string", default: "2" },
    "key-window-hours": { type: "string", default: "48" },
    "admin-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    "skip-build": { type: "boolean", default: false },
    "skip-explain": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:dashboard -- [options]
  --issues N            issues in the project (default 10000)
  --events N            stored events, Zipf-skewed over the issues (default 1000000)
  --days N              the events' time window, days before now (default 28)
  --skew X              Zipf exponent of events per issue rank (default 1)
  --keep-db             keep the seeded database (cw_bench_dashboard_<issues>_<events>) and reuse it next time
  --rounds N            rounds per concurrency, alternating the targets (default 3)
  --requests N          requests per target and round (default 40)
  --concurrency LIST    concurrent clients, comma-separated (default 1,4)
  --warmup N            unmeasured requests per target first (default 5)
  --seed-connections N  connections inserting events in parallel (default 2)
  --key-window-hours N  event_keys of events received in the last N hours (default 48; 0: all)
  --admin-url URL       Postgres to create the database on (default postgres://postgres@127.0.0.1:5432/postgres)
  --skip-build          use web/build as it is, even when web/app has changed since it was built
  --skip-explain        skip the EXPLAIN ANALYZE of each page's statements`);
  process.exit(0);
}

const issues = intArg("issues", args.issues, 10, 1_000_000);
const events = intArg("events", args.events, issues, 100_000_000);
const days = intArg("days", args.days, 1, 30);
const skew = Number(args.skew);
if (!(skew >= 0 && skew <= 3)) throw new Error(`--skew must be a number from 0 to 3, got ${args.skew}`);
const rounds = intArg("rounds", args.rounds, 1, 50);
const requests = intArg("requests", args.requests, 1, 100_000);
const warmup = intArg("warmup", args.warmup, 0, 1000);
const seedConnections = intArg("seed-connections", args["seed-connections"], 1, 16);
const keyWindowHours = intArg("key-window-hours", args["key-window-hours"], 0, 24 * 365);
const concurrencies = (args.concurrency ?? "1")
  .split(",")
  .map((c) => intArg("concurrency", c.trim(), 1, 256));

const log = (line: string) => console.error(line);

/** Newest modification time under a directory (recursive). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The pages are measured as they are now: web/build is rebuilt when web/app changed after it was
 * built. If that build fails (someone is mid-edit), the existing build is used and the result says so.
 */
async function ensureCurrentBuild(): Promise<string> {
  const built = join(ROOT, "web", "build", "server", "index.js");
  const mtime = () => {
    try {
      return statSync(built).mtimeMs;
    } catch {
      return 0;
    }
  };
  // Missing: maybe someone's build is writing it right now; give it a minute to appear.
  for (let waited = 0; mtime() === 0 && waited < 60_000; waited += 1_000)
    await new Promise((r) => setTimeout(r, 1_000));
  const builtAt = mtime();
  const sourcesAt = newestMtime(join(ROOT, "web", "app"));
  if (builtAt > 0 && (args["skip-build"] || builtAt >= sourcesAt)) return "current";
  log("web/app changed since web/build was made: npm run build -w @codewarden/web …");
  try {
    execFileSync("npm", ["run", "build", "-w", "@codewarden/web"], {
      cwd: ROOT,
      stdio: "inherit",
      timeout: 600_000,
    });
    return "rebuilt";
  } catch (err) {
    requireWebBuild();
    log(`build failed (${(err as Error).message.split("\n")[0]}); measuring the existing web/build`);
    return "stale (the rebuild failed)";
  }
}

async function main(): Promise<boolean> {
  const build = await ensureCurrentBuild();
  const db = await openBenchDatabase({
    issues,
    events,
    days,
    skew,
    adminUrl: args["admin-url"]!,
    keepDb: args["keep-db"]!,
    connections: seedConnections,
    keyWindowHours,
    log,
  });
  onCleanup(() => db.drop());
  if (db.seed) log(`seeded in ${(db.seed.totalMs / 1000).toFixed(1)} s`);

  log("starting the web service (web/server/main.ts) …");
  const web = await startWebChild(db.url, { adminEmail: ADMIN_EMAIL });
  const signedIn = await signIn(web, db.url, ADMIN_EMAIL);
  log(`signed in: ${signedIn.method}${signedIn.note ? ` (${signedIn.note})` : ""}`);

  const facts = await dataFacts(db.url, db.projectId);
  const pages = await discoverPages(web.base, signedIn.cookie, "default", facts);
  for (const n of pages.notes) log(`  ${n}`);

  const sql = postgres(db.url, { max: Math.max(...concurrencies), onnotice: () => {} });
  onCleanup(() => sql.end({ timeout: 5 }));
  const page = (id: string, label: string, path: string): Target => ({
    id,
    label,
    path,
    probe: httpProbe(web.base, path, signedIn.cookie),
  });
  const targets: Target[] = [
    { id: "select1", label: "SELECT 1 (postgres.js round trip)", probe: selectOneProbe(sql) },
    page("healthz", "GET /healthz (HTTP, no database)", "/healthz"),
    page("list", "issues list, default tab", pages.list),
    ...(pages.listPage2 ? [page("list-page2", "issues list, page 2 (cursor)", pages.listPage2)] : []),
    ...(pages.search
      ? [page("list-search", `issues list, search "${pages.search.term}"`, pages.search.path)]
      : []),
    ...(pages.filter
      ? [page("list-filter", `issues list, ${pages.filter.param}=${pages.filter.value}`, pages.filter.path)]
      : []),
    ...(pages.sort
      ? [page("list-sort", `issues list, ${pages.sort.param}=${pages.sort.value}`, pages.sort.path)]
      : []),
    page(
      "issue-hot",
      `issue page, hottest issue (${pages.issueHot.events.toLocaleString("en-US")} events)`,
      pages.issueHot.path,
    ),
    page(
      "issue-tail",
      `issue page, tail issue (${pages.issueTail.events.toLocaleString("en-US")} events)`,
      pages.issueTail.path,
    ),
  ];
  const postgresPids = async () =>
    (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database()`).map(
      (r) => r.pid,
    );
  // Fill the baseline's pool before the first round, so every round has the same connections.
  await Promise.all(Array.from({ length: Math.max(...concurrencies) }, () => sql`select 1`));

  const results: TargetResult[][] = [];
  const loadBefore = loadavg().map((x) => +x.toFixed(2));
  for (const concurrency of concurrencies) {
    log(`measuring at concurrency ${concurrency}: ${rounds} rounds × ${requests} requests per target …`);
    results.push(
      await measureTargets(targets, {
        rounds,
        requests,
        concurrency,
        warmup,
        webPid: web.pid,
        postgresPids,
        log,
      }),
    );
  }
  const loadAfter = loadavg().map((x) => +x.toFixed(2));
  await web.stop();

  let explained: PageQueries[] = [];
  if (!args["skip-explain"]) {
    log("EXPLAIN ANALYZE of each page's statements (web-server.ts with a query-logging pool) …");
    const capture = await startWebChild(db.url, { adminEmail: ADMIN_EMAIL, captureQueries: true });
    try {
      explained = await explainPages(
        capture,
        db.url,
        signedIn.cookie,
        targets.filter((t) => t.path && t.id !== "healthz").map((t) => ({ id: t.id, path: t.path! })),
      );
    } finally {
      await capture.stop();
    }
  }

  const run: RunResult = { db, build, signIn: signedIn, pages, results, explained };
  return printReport(run, {
    config: { issues, events, days, skew, rounds, requests, concurrencies, warmup, keepDb: args["keep-db"]! },
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    goalP95Ms: GOAL_P95_MS,
  });
}

runMain(main);
