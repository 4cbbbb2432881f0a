/**
 * Ingest throughput: the all-in-one process as users run it (`npm start`'s launcher) against a
 * bare node:http server that only reads the body and answers 200 (the ceiling), under the same
 * load from autocannon in the same run.
 *
 * Load: POST /v1/traces, `application/x-protobuf`, `authorization: Bearer <ingest key>`, each
 * body an ExportTraceServiceRequest of 100 spans built with the official OTLP serializer; one
 * request in ten carries one exception span event (1 error per 1,000 spans); every request has
 * fresh trace ids (payload.ts), so no error is a duplicate of another.
 *
 * After the run, the REST API must count exactly the errors that were acknowledged with 200.
 *
 * Both targets run side by side and are measured in alternating rounds; the table shows each
 * target's median round and the ratio is the median of the rounds' ratios.
 *
 * Run: npm run bench:ingest [-- --connections 10 --duration 10 --rounds 3 --warmup 3 --cpu-prof]
 * Prints a readable table, then one JSON line with every figure. Exit code 1 when the run fails
 * or the stored errors do not match the acknowledged ones; goals only print pass/fail.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ApiIssue } from "../../test/e2e/harness";
import { intArg, runMain } from "../lib/cli";
import { cpuSeconds } from "../lib/proc";
import { fmt, median, medianBy, row } from "../lib/stats";
import { LoadGenerator, type LoadSummary } from "./load";
import { buildBodies, SPANS_PER_REQUEST } from "./payload";
import {
  ensureWebBuild,
  removeTempDir,
  startBaseline,
  startSubject,
  stopHard,
  tempDir,
  warnings,
} from "./processes";
import { printProfile, profileOf, summariseProfile } from "./profile";

const GOAL_RATIO = 0.5;
const GOAL_SPANS_PER_SECOND = 50_000;

const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "10" },
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "3" },
    "error-every": { type: "string", default: "10" },
    "drain-timeout": { type: "string", default: "180" },
    "cpu-prof": { type: "boolean", default: false },
    "cpu-prof-dir": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:ingest -- [options]
  --connections N     concurrent connections, the same for both targets (default 10)
  --duration S        measured seconds per target and round (default 10)
  --rounds N          rounds, alternating ceiling and all-in-one; medians are reported (default 3)
  --warmup S          unmeasured seconds of the same load first (default 3; 0 to skip)
  --error-every N     one request in N carries an exception (default 10: 1 per 1,000 spans)
  --drain-timeout S   longest wait for the worker to store every error (default 180)
  --cpu-prof          profile the subject (node --cpu-prof) and print where its time went
  --cpu-prof-dir DIR  same, and keep the .cpuprofile in DIR (open it in Chrome DevTools)`);
  process.exit(0);
}

const connections = intArg("connections", args.connections, 1, 1000);
const duration = intArg("duration", args.duration, 1, 3600);
const warmup = intArg("warmup", args.warmup, 0, 600);
const rounds = intArg("rounds", args.rounds, 1, 50);
const errorEvery = intArg("error-every", args["error-every"], 1, 1_000_000);
const drainTimeoutMs = intArg("drain-timeout", args["drain-timeout"], 1, 3600) * 1000;

interface Measured extends LoadSummary {
  /** CPU used by the target process during the measured run, in cores (1 = one core busy). */
  targetCores: number;
  /** CPU used by this process (autocannon, the load generator) during the measured run, in cores. */
  loadGeneratorCores: number;
}

async function measure(gen: LoadGenerator, url: string, pid: number): Promise<Measured> {
  if (warmup > 0) await gen.run(url, warmup);
  const t0 = performance.now();
  const target0 = cpuSeconds(pid);
  const self0 = process.cpuUsage();
  const summary = await gen.run(url, duration);
  const wall = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  return {
    ...summary,
    targetCores: +((cpuSeconds(pid) - target0) / wall).toFixed(2),
    loadGeneratorCores: +((self.user + self.system) / 1e6 / wall).toFixed(2),
  };
}

/** Every HTTP call of the benchmark itself gives up after this long. */
const FETCH_TIMEOUT_MS = 15_000;

async function fetchText(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

/** GET on the subject's REST API with the bootstrap API token. */
type ApiGet = <T>(path: string) => Promise<T>;
function restApi(webPort: number, token: string): ApiGet {
  return async <T>(path: string) =>
    JSON.parse(
      await fetchText(`http://127.0.0.1:${webPort}${path}`, { authorization: `Bearer ${token}` }),
    ) as T;
}

/** Sum of eventCount over every issue of the default project, following nextCursor. */
async function storedErrorEvents(get: ApiGet): Promise<{ events: number; issues: number }> {
  let cursor: string | null = null;
  let events = 0;
  let issues = 0;
  for (let page = 0; page < 1000; page++) {
    const query: string = `/api/v1/projects/default/issues?status=all&limit=100${
      cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
    }`;
    const res = await get<{ issues: ApiIssue[]; nextCursor: string | null }>(query);
    for (const i of res.issues) events += i.eventCount;
    issues += res.issues.length;
    if (!res.nextCursor) return { events, issues };
    cursor = res.nextCursor;
  }
  throw new Error("more than 1,000 pages of issues");
}

/** Errors the collector extracted and enqueued, from its /metrics (null if not exposed). */
async function errorsEnqueued(collectorUrl: string): Promise<number | null> {
  const text = await fetchText(`${collectorUrl}/metrics`);
  let sum: number | null = null;
  for (const m of text.matchAll(/^codewarden_collector_errors_extracted_total(?:\{[^}]*\})? (\d+)$/gm)) {
    sum = (sum ?? 0) + Number(m[1]);
  }
  return sum;
}

/** Collector metric lines worth seeing after a run (requests by status, rejects). */
async function collectorCounters(collectorUrl: string): Promise<string[]> {
  const text = await fetchText(`${collectorUrl}/metrics`);
  return text
    .split("\n")
    .filter((l) => /^codewarden_collector_(requests_total|rejects_total|errors_extracted_total)/.test(l));
}

/**
 * Waits (bounded) until the worker has stored `target` events: returns early when reached, when
 * the count has not moved for 30 s, or at the deadline.
 */
async function waitForStored(get: ApiGet, target: number) {
  const started = Date.now();
  const deadline = started + drainTimeoutMs;
  let last = -1;
  let lastChange = Date.now();
  let stored = { events: 0, issues: 0 };
  while (Date.now() < deadline) {
    stored = await storedErrorEvents(get);
    if (stored.events >= target) break;
    if (stored.events !== last) {
      last = stored.events;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 30_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ...stored, waitedMs: Date.now() - started };
}

async function main() {
  ensureWebBuild();
  const bodies = buildBodies();
  const ingestKey = `cw_ik_bench_${randomBytes(12).toString("hex")}`;
  const apiToken = `cw_at_bench_${randomBytes(12).toString("hex")}`;
  const loadOpts = { connections, durationSeconds: duration, errorEvery, ingestKey };
  console.error(
    `bodies: ${SPANS_PER_REQUEST} spans, ${bodies.plain.bytes.length} bytes (${bodies.withError.bytes.length} with the exception); ` +
      `${connections} connections, ${warmup} s warm-up + ${duration} s per target`,
  );

  // Both targets stay up; the rounds alternate between them so that drift on a shared
  // 2-core machine (other work, thermal, the load generator itself) hits both alike.
  console.error("baseline: bare node:http server …");
  const baseline = await startBaseline();
  const keptProfDir = args["cpu-prof-dir"] ? resolve(args["cpu-prof-dir"]) : undefined;
  if (keptProfDir) mkdirSync(keptProfDir, { recursive: true });
  const profDir = keptProfDir ?? (args["cpu-prof"] ? tempDir("cw-bench-prof-") : undefined);
  let subject: Awaited<ReturnType<typeof startSubject>> | undefined;
  const gen = new LoadGenerator(bodies, loadOpts);
  const baseRounds: Measured[] = [];
  const subjRounds: Measured[] = [];
  let loadWindowUs: { fromUs: number; toUs: number } | undefined;
  let enqueued: number | null;
  let counters: string[];
  let stored: Awaited<ReturnType<typeof waitForStored>>;
  let subjectWarnings: Record<string, number>;
  let profile: ReturnType<typeof summariseProfile> | undefined;
  try {
    console.error("subject: the all-in-one launcher (npm start) on a new data directory …");
    subject = await startSubject({ ingestKey, apiToken, cpuProfDir: profDir });
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    for (let round = 1; round <= rounds; round++) {
      console.error(`round ${round}/${rounds}: ceiling, then all-in-one …`);
      baseRounds.push(
        await measure(new LoadGenerator(bodies, loadOpts), baseline.url, baseline.proc.child.pid!),
      );
      subjRounds.push(await measure(gen, subject.url, subject.proc.child.pid!));
    }
    loadWindowUs = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    enqueued = await errorsEnqueued(subject.url);
    counters = await collectorCounters(subject.url);
    console.error(
      `subject: waiting for the worker to store ${enqueued ?? gen.errorRequests.acknowledged} errors …`,
    );
    stored = await waitForStored(
      restApi(subject.webPort, apiToken),
      enqueued ?? gen.errorRequests.acknowledged,
    );
    subjectWarnings = warnings(subject.proc.output());
  } finally {
    await stopHard(baseline.proc);
    if (subject) {
      const code = await stopHard(subject.proc);
      if (code !== 0) console.error(`subject exited with ${code}`);
      if (profDir && loadWindowUs) {
        const file = profileOf(profDir, subject.proc.child.pid!);
        if (file) profile = summariseProfile(file, loadWindowUs);
        else console.error(`no CPU profile found in ${profDir}`);
      }
      removeTempDir(subject.dataDir);
    }
  }
  const roundRatios = subjRounds.map((m, i) => m.requestsPerSecond / baseRounds[i]!.requestsPerSecond);
  const base = medianBy(baseRounds, (m) => m.requestsPerSecond);
  const subj = medianBy(subjRounds, (m) => m.requestsPerSecond);
  const ratio = median(roundRatios);
  const subjectNon2xx = subjRounds.reduce((n, m) => n + m.non2xx, 0);
  const subjectErrors = subjRounds.reduce((n, m) => n + m.errors, 0);

  const tally = gen.errorRequests;
  const unanswered = gen.errorRequestsUnanswered;
  // Every acknowledged error must be stored; an error-carrying request that was still in flight
  // when autocannon stopped (no response seen) may or may not have been processed.
  const storedOk = stored.events >= tally.acknowledged && stored.events <= tally.acknowledged + unanswered;
  const goals = {
    ratioAtLeastHalfWithNoRejects: ratio >= GOAL_RATIO && subjectNon2xx === 0 && subjectErrors === 0,
    spansPerSecondAtLeast50k: subj.spansPerSecond >= GOAL_SPANS_PER_SECOND,
  };

  const widths = [34, 16, 16];
  const line = (label: string, f: (m: Measured) => string) => row([label, f(base), f(subj)], widths);
  console.log("");
  console.log(row(["ingest throughput", "ceiling", "all-in-one"], widths));
  console.log(line("requests/s", (m) => fmt(m.requestsPerSecond)));
  console.log(line("spans/s (in 2xx responses)", (m) => fmt(m.spansPerSecond)));
  console.log(line("latency p50 / p99 (ms)", (m) => `${fmt(m.latencyMs.p50)} / ${fmt(m.latencyMs.p99)}`));
  console.log(line("latency max (ms)", (m) => fmt(m.latencyMs.max)));
  console.log(line("responses", (m) => fmt(m.responses)));
  console.log(line("non-2xx", (m) => fmt(m.non2xx)));
  console.log(line("errors (connection, timeout)", (m) => fmt(m.errors)));
  console.log(line("target CPU (cores)", (m) => fmt(m.targetCores, 2)));
  console.log(line("load generator CPU (cores)", (m) => fmt(m.loadGeneratorCores, 2)));
  if (Object.keys(subj.statusCodes).some((c) => c !== "200")) {
    console.log(`subject status codes: ${JSON.stringify(subj.statusCodes)}`);
  }
  console.log(
    `(median round of ${rounds}) ratio all-in-one / ceiling (requests/s): median ${ratio.toFixed(2)}; rounds ${roundRatios.map((r) => r.toFixed(2)).join(", ")}`,
  );
  console.log(
    `errors: ${tally.sent} error-carrying requests sent (warm-up included), ${tally.acknowledged} answered 200, ` +
      `${tally.rejected} answered otherwise, ${unanswered} unanswered at stop; ` +
      `collector enqueued ${enqueued ?? "?"}; stored (REST API, sum of eventCount over ${stored.issues} issues) ` +
      `${stored.events} after ${fmt(stored.waitedMs / 1000, 1)} s`,
  );
  console.log(
    `${storedOk ? "PASS" : "FAIL"}  stored ${stored.events} vs acknowledged ${tally.acknowledged}` +
      (unanswered > 0 ? ` (+ up to ${unanswered} in flight at stop)` : ""),
  );
  console.log(
    `${goals.ratioAtLeastHalfWithNoRejects ? "PASS" : "FAIL"}  ≥ ${GOAL_RATIO * 100}% of the ceiling's requests/s with zero non-2xx and zero errors (${(ratio * 100).toFixed(0)}%, ${subjectNon2xx} non-2xx, ${subjectErrors} errors over all rounds)`,
  );
  console.log(
    `${goals.spansPerSecondAtLeast50k ? "PASS" : "FAIL"}  ≥ ${fmt(GOAL_SPANS_PER_SECOND)} spans/s (${fmt(subj.spansPerSecond)})`,
  );
  if (counters.length > 0) console.log(`collector counters:\n  ${counters.join("\n  ")}`);
  if (Object.keys(subjectWarnings).length > 0) {
    console.log(`subject warnings: ${JSON.stringify(subjectWarnings)}`);
  }
  if (profile) printProfile(profile);

  const result = {
    bench: "ingest",
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    config: {
      connections,
      durationSeconds: duration,
      rounds,
      warmupSeconds: warmup,
      spansPerRequest: SPANS_PER_REQUEST,
      errorEvery,
      bodyBytes: bodies.plain.bytes.length,
      errorBodyBytes: bodies.withError.bytes.length,
    },
    rounds,
    baseline: base,
    subject: subj,
    ratioRequestsPerSecond: +ratio.toFixed(3),
    roundRatios: roundRatios.map((r) => +r.toFixed(3)),
    baselineRounds: baseRounds.map((m) => m.requestsPerSecond),
    subjectRounds: subjRounds.map((m) => m.requestsPerSecond),
    errors: {
      sent: tally.sent,
      acknowledged: tally.acknowledged,
      rejected: tally.rejected,
      unansweredAtStop: unanswered,
      enqueued,
      stored: stored.events,
      issues: stored.issues,
      storeWaitMs: stored.waitedMs,
      ok: storedOk,
    },
    goals,
    subjectWarnings,
    ...(profile ? { profile: { byArea: profile.byArea, topSelf: profile.topSelf.slice(0, 10) } } : {}),
  };
  console.log(JSON.stringify(result));
  if (profile && keptProfDir) console.error(`CPU profile kept: ${profile.file}`);
  return storedOk;
}

runMain(main);
