/** The dashboard benchmark's readable report and its JSON line. */

import { fmt } from "../lib/stats";
import type { PageQueries } from "./explain";
import type { TargetResult } from "./measure";
import type { PagePaths } from "./pages";
import type { BenchDatabase } from "./seed";
import type { SignedIn } from "./web";

export interface RunResult {
  db: BenchDatabase;
  /** Whether web/build was current, rebuilt, or stale. */
  build: string;
  signIn: SignedIn;
  pages: PagePaths;
  /** One array of target results per concurrency. */
  results: TargetResult[][];
  explained: PageQueries[];
}

export interface ReportContext {
  config: Record<string, unknown>;
  machine: {
    cpus: number;
    model?: string;
    node: string;
    /** 1/5/15-minute load averages when the timed rounds began and ended (others share the machine). */
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  goalP95Ms: number;
}

/** Statements at least this slow get their whole plan printed. */
const SLOW_STATEMENT_MS = 10;

const mib = (bytes: number) => `${fmt(bytes / 1048576)} MiB`;
const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
const abbrev = (q: string, n: number) => (q.length > n ? `${q.slice(0, n - 1)}…` : q);

interface Goal {
  id: string;
  concurrency: number;
  label: string;
  p95: number;
  ok: boolean;
  detail: string;
}

const GOAL_PAGES: Array<{ id: string; label: string; targets: string[] }> = [
  { id: "issuesList", label: "issues list", targets: ["list", "list-page2"] },
  { id: "issuePage", label: "issue page", targets: ["issue-hot", "issue-tail"] },
];

function goalsOf(results: TargetResult[][], limit: number): Goal[] {
  const goals: Goal[] = [];
  for (const level of results) {
    for (const g of GOAL_PAGES) {
      const measured = level.filter((r) => g.targets.includes(r.id));
      if (measured.length === 0) continue;
      const p95 = Math.max(...measured.map((r) => r.stats.p95));
      goals.push({
        id: `${g.id}P95Under${limit}msAtConcurrency${level[0]!.concurrency}`,
        concurrency: level[0]!.concurrency,
        label: g.label,
        p95,
        ok: p95 < limit && measured.every((r) => r.errors === 0),
        detail: measured.map((r) => `${r.id} ${fmt(r.stats.p95, 1)}`).join(", "),
      });
    }
  }
  return goals;
}

function printTables(run: RunResult): void {
  const { db } = run;
  console.log("");
  console.log(
    `data: ${fmt(db.sizes.find((s) => s.table === "issues")?.rows ?? 0)} issues, ${fmt(db.sizes.find((s) => s.table === "events")?.rows ?? 0)} stored events; database ${mib(db.databaseBytes)}; ` +
      (db.seed
        ? `seeded in ${fmt(db.seed.totalMs / 1000, 1)} s`
        : `kept database seeded ${db.seededAt} (reused)`),
  );
  if (db.seed)
    for (const [step, ms] of Object.entries(db.seed.steps))
      console.log(`  ${fmt(ms / 1000, 1).padStart(6)} s  ${step}`);
  console.log("  table                      rows      heap+toast     indexes");
  for (const s of db.sizes)
    console.log(
      `  ${s.table.padEnd(20)} ${fmt(s.rows).padStart(10)}  ${mib(s.heapBytes).padStart(13)}  ${mib(s.indexBytes).padStart(10)}`,
    );
  for (const [check, ok] of Object.entries(db.checks)) console.log(`${pass(ok)}  seed check: ${check}`);
}

function printResults(run: RunResult, ctx: ReportContext): void {
  for (const level of run.results) {
    const c = level[0]!.concurrency;
    const n = level[0]!.stats.n;
    console.log("");
    console.log(
      `concurrency ${c}: ${n} samples per target (${ctx.config.rounds} alternating rounds); latency to the last byte, ms`,
    );
    console.log(
      `  ${"target".padEnd(46)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)}  ${"×SELECT 1".padStart(9)}  ${"KiB".padStart(5)}  ${"web CPU".padStart(7)}  ${"PG CPU".padStart(6)}  errors`,
    );
    for (const r of level) {
      const s = r.stats;
      console.log(
        `  ${abbrev(r.label, 46).padEnd(46)} ${fmt(s.p50, 2).padStart(7)} ${fmt(s.p95, 2).padStart(7)} ${fmt(s.p99, 2).padStart(7)} ${fmt(s.max, 2).padStart(7)}  ${(r.id === "select1" ? "1" : fmt(r.ratioP50)).padStart(9)}  ${fmt(r.responseBytes / 1024).padStart(5)}  ${fmt(r.webCpuMsPerRequest, 1).padStart(7)}  ${fmt(r.postgresCpuMsPerRequest, 1).padStart(6)}  ${r.errors}${r.firstError ? ` (${r.firstError})` : ""}`,
      );
    }
  }
  console.log(
    "  (×SELECT 1: median over rounds of the round's p50 / SELECT 1's p50 in that round; CPU: ms per request, web process and this database's Postgres backends)",
  );
}

function printExplain(run: RunResult, results: TargetResult[]): void {
  if (run.explained.length === 0) return;
  console.log("");
  console.log(
    "where the time goes: each statement of one page load, again under EXPLAIN (ANALYZE, BUFFERS), best of 3",
  );
  const printed = new Set<string>();
  const slow: Array<{ page: string; q: PageQueries["queries"][number] }> = [];
  for (const p of run.explained) {
    const r = results.find((x) => x.id === p.id);
    const explained = p.queries.filter((q) => q.explained);
    console.log(
      `  ${r?.label ?? p.id}: ${p.queries.length} statements (${p.queries.length - explained.length} writes not re-run), ` +
        `${fmt(p.totalExecutionMs, 1)} ms executing in Postgres (sum)` +
        (r ? `; page p50 ${fmt(r.stats.p50, 1)} ms, web CPU ${fmt(r.webCpuMsPerRequest, 1)} ms/request` : ""),
    );
    for (const q of [...explained].sort((a, b) => (b.executionMs ?? 0) - (a.executionMs ?? 0)).slice(0, 3)) {
      console.log(
        `    ${fmt(q.executionMs ?? 0, 2).padStart(7)} ms  ${(q.top ?? "").padEnd(28)} ${abbrev(q.query, 110)}`,
      );
      if ((q.executionMs ?? 0) >= SLOW_STATEMENT_MS && !printed.has(q.query)) {
        printed.add(q.query);
        slow.push({ page: p.id, q });
      }
    }
  }
  for (const { page, q } of slow) {
    console.log("");
    console.log(`slow statement (${fmt(q.executionMs ?? 0, 1)} ms, page ${page}): ${q.query}`);
    console.log(`  parameters: ${JSON.stringify(q.params).slice(0, 300)}`);
    for (const line of (q.plan ?? "").split("\n")) console.log(`  ${line}`);
  }
}

/** Prints everything; returns whether the run is valid (no failed request, seed checks hold). */
export function printReport(run: RunResult, ctx: ReportContext): boolean {
  printTables(run);
  console.log("");
  console.log(
    `web service: web/server/main.ts (startWeb, NODE_ENV=production; web/build ${run.build}); signed in by ${run.signIn.method}${run.signIn.note ? ` — ${run.signIn.note}` : ""}`,
  );
  for (const n of run.pages.notes) console.log(`  ${n}`);
  console.log(
    `  machine: ${ctx.machine.cpus} cores, load average ${ctx.machine.loadAverageBefore.join(" ")} when the rounds began, ${ctx.machine.loadAverageAfter.join(" ")} when they ended`,
  );
  printResults(run, ctx);
  printExplain(run, run.results[0] ?? []);

  const goals = goalsOf(run.results, ctx.goalP95Ms);
  console.log("");
  for (const g of goals)
    console.log(
      `${pass(g.ok)}  ${g.label} p95 < ${ctx.goalP95Ms} ms at concurrency ${g.concurrency}: ${fmt(g.p95, 1)} ms (${g.detail})`,
    );
  for (const level of run.results)
    for (const r of level.filter((x) => ["list-search", "list-filter", "list-sort"].includes(x.id)))
      console.log(
        `info  ${r.label} p95 at concurrency ${r.concurrency}: ${fmt(r.stats.p95, 1)} ms (${r.stats.p95 < ctx.goalP95Ms ? "under" : "over"} ${ctx.goalP95Ms} ms; not a goal of the issue)`,
      );

  const errors = run.results.flat().reduce((a, r) => a + r.errors, 0);
  const checksOk = Object.values(run.db.checks).every(Boolean);
  const ok = errors === 0 && checksOk;
  if (errors > 0) console.log(`FAIL  ${errors} requests failed`);
  console.log(
    JSON.stringify({
      bench: "dashboard",
      machine: ctx.machine,
      config: ctx.config,
      build: run.build,
      signIn: run.signIn.method,
      database: {
        name: run.db.name,
        seededAt: run.db.seededAt,
        reused: run.db.seed === null,
        seedMs: run.db.seed?.totalMs ?? null,
        seedSteps: run.db.seed?.steps ?? null,
        bytes: run.db.databaseBytes,
        tables: run.db.sizes,
        checks: run.db.checks,
      },
      pages: { ...run.pages, notes: undefined },
      notes: run.pages.notes,
      results: Object.fromEntries(
        run.results.map((level) => [
          `concurrency${level[0]!.concurrency}`,
          Object.fromEntries(level.map((r) => [r.id, { ...r, id: undefined }])),
        ]),
      ),
      explain: run.explained.map((p) => ({
        id: p.id,
        totalExecutionMs: p.totalExecutionMs,
        queries: p.queries.map((q) => ({
          query: abbrev(q.query, 300),
          executionMs: q.executionMs,
          planningMs: q.planningMs,
          top: q.top,
          buffers: q.buffers,
        })),
      })),
      goals: Object.fromEntries(goals.map((g) => [g.id, g.ok])),
      goalP95: Object.fromEntries(goals.map((g) => [g.id, g.p95])),
      ok,
    }),
  );
  return ok;
}
