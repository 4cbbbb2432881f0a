/**
 * Worker benchmark: the real Bun worker process (`bun worker/src/main.ts`) consuming BullMQ.
 *
 * 1. Throughput: a queue pre-filled with error-batch jobs exactly as the collector enqueues them
 *    (one job per OTLP request of `--errors-per-job` errors, built with the official OpenTelemetry
 *    SDK and the collector's own extraction, grouping into `--issues` issues) is drained into a
 *    fresh Postgres database; against a baseline measured in the same run: plain multi-row
 *    INSERTs of the same event rows (prepared by the worker's own code, outside the clock) into
 *    the events table of another fresh database on the same server, one statement per job,
 *    with as many connections as the worker's concurrency. Alternating rounds (worker, baseline,
 *    worker, …); each side's median round is reported, and the ratio is the median of the
 *    rounds' ratios.
 * 2. Latency: a steady open-loop sender through the production collector process (BullMQ queue
 *    adapter) and the Bun worker; time from each 200 to the error being visible in Postgres.
 *
 * Redis: a redis-server of the benchmark's own on a free port (no persistence), unless
 * --redis-url is given. Postgres: 127.0.0.1:5432 (a fresh database per round, dropped after).
 *
 * Run: npm run bench:worker [-- --events 50000 --rounds 3 --rate 1000 --duration 20 --cpu-prof]
 * Prints a readable report, then one JSON line with every figure. Exit code 1 when the run
 * fails or a count does not match; the goals only print PASS/FAIL.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { printProfile, summariseProfile } from "../ingest/profile";
import { intArg, runMain } from "../lib/cli";
import { fmt, median, medianBy } from "../lib/stats";
import { type LatencyResult, latencyRun } from "./latency";
import { startBenchRedis, tempDir } from "./processes";
import { type BaselineRound, baselineRound, buildJobs, type WorkerRound, workerRound } from "./throughput";

const GOAL_EVENTS_PER_SECOND = 5_000;
const GOAL_RATIO = 0.5;
const GOAL_P99_MS = 2_000;

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "50000" },
    "errors-per-job": { type: "string", default: "100" },
    issues: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4" },
    workers: { type: "string", default: "1" },
    rate: { type: "string", default: "1000" },
    duration: { type: "string", default: "20" },
    "errors-per-request": { type: "string", default: "10" },
    "poll-ms": { type: "string", default: "10" },
    "redis-url": { type: "string" },
    "skip-throughput": { type: "boolean", default: false },
    "skip-latency": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "cpu-prof-dir": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:worker -- [options]
  --events N              events in the pre-filled queue per throughput round (default 50000)
  --errors-per-job N      errors per job, i.e. per OTLP request (default 100)
  --issues N              distinct issues the errors group into (default 50)
  --rounds N              throughput rounds, alternating worker and baseline (default 3)
  --concurrency N         WORKER_CONCURRENCY, and the baseline's connections (default 4)
  --workers N             throughput: Bun worker processes draining the queue together (default 1)
  --rate N                latency: errors per second offered to the collector (default 1000)
  --duration S            latency: seconds of steady load (default 20)
  --errors-per-request N  latency: errors per OTLP request (default 10)
  --poll-ms N             latency: Postgres poll interval (default 10)
  --redis-url URL         use this Redis instead of a redis-server of the benchmark's own
  --skip-throughput, --skip-latency
  --cpu-prof              profile the worker (bun --cpu-prof) in the last throughput round
  --cpu-prof-dir DIR      same, and keep the .cpuprofile in DIR`);
  process.exit(0);
}

const events = intArg("events", args.events, 100, 10_000_000);
const errorsPerJob = intArg("errors-per-job", args["errors-per-job"], 1, 1000);
const issues = intArg("issues", args.issues, 1, 100_000);
const rounds = intArg("rounds", args.rounds, 1, 50);
const concurrency = intArg("concurrency", args.concurrency, 1, 256);
const workerProcesses = intArg("workers", args.workers, 1, 16);
const rate = intArg("rate", args.rate, 1, 1_000_000);
const duration = intArg("duration", args.duration, 1, 3600);
const errorsPerRequest = intArg("errors-per-request", args["errors-per-request"], 1, 1000);
const pollMs = intArg("poll-ms", args["poll-ms"], 1, 10_000);

const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");

interface Throughput {
  /** The last worker round (the one profiled with --cpu-prof). */
  lastWorkerRound: WorkerRound;
  worker: WorkerRound;
  baseline: BaselineRound;
  ratio: number;
  roundRatios: number[];
  workerRounds: number[];
  baselineRounds: number[];
  countsOk: boolean;
  jobJsonBytesPerEvent: number;
}

async function throughput(
  redisUrl: string,
  redisPid: number | undefined,
  profDir?: string,
): Promise<Throughput> {
  const opts = {
    events,
    errorsPerJob,
    issues,
    concurrency,
    workers: workerProcesses,
    redisUrl,
    redisPid,
    drainTimeoutMs: 600_000,
  };
  console.error(`throughput: building ${fmt(events)} errors in jobs of ${errorsPerJob} (${issues} issues) …`);
  const prepared = buildJobs(opts);
  const workerRounds: WorkerRound[] = [];
  const baselineRounds: BaselineRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const profile = profDir && round === rounds ? profDir : undefined;
    console.error(`round ${round}/${rounds}: worker …`);
    const w = await workerRound(prepared, { ...opts, cpuProfDir: profile });
    console.error(`  worker: ${fmt(w.eventsPerSecond)} events/s (${fmt(w.drainMs)} ms); baseline …`);
    workerRounds.push(w);
    const b = await baselineRound(prepared, opts);
    console.error(`  baseline: ${fmt(b.eventsPerSecond)} events/s (${fmt(b.ms)} ms)`);
    baselineRounds.push(b);
  }
  const roundRatios = workerRounds.map((w, i) => w.eventsPerSecond / baselineRounds[i]!.eventsPerSecond);
  return {
    lastWorkerRound: workerRounds[workerRounds.length - 1]!,
    worker: medianBy(workerRounds, (w) => w.eventsPerSecond),
    baseline: medianBy(baselineRounds, (b) => b.eventsPerSecond),
    ratio: median(roundRatios),
    roundRatios,
    workerRounds: workerRounds.map((w) => w.eventsPerSecond),
    baselineRounds: baselineRounds.map((b) => b.eventsPerSecond),
    countsOk:
      workerRounds.every((w) => w.counted === w.events && w.failedJobs === 0) &&
      baselineRounds.every((b) => b.stored === b.events),
    jobJsonBytesPerEvent: Math.round(prepared.jsonBytes / prepared.events),
  };
}

function printThroughput(t: Throughput): void {
  const w = t.worker;
  const b = t.baseline;
  const us = (cores: number, perSecond: number) => (cores / perSecond) * 1e6;
  console.log("");
  console.log(
    `worker throughput (${fmt(events)} events, jobs of ${errorsPerJob}, ${issues} issues, WORKER_CONCURRENCY ${concurrency}; median round of ${rounds})`,
  );
  console.log(
    `  ${`${workerProcesses === 1 ? "Bun worker" : `${workerProcesses} Bun workers`}, drain of a pre-filled queue`.padEnd(40)} ${fmt(w.eventsPerSecond).padStart(8)} events/s  (${fmt(w.drainMs)} ms)`,
  );
  console.log(
    `  baseline, plain multi-row INSERTs        ${fmt(b.eventsPerSecond).padStart(8)} events/s  (${fmt(b.ms)} ms)`,
  );
  console.log(
    `  ratio worker / baseline: median ${t.ratio.toFixed(2)}; rounds ${t.roundRatios.map((r) => r.toFixed(2)).join(", ")}`,
  );
  console.log(
    `  CPU during the worker's drain: worker ${w.workerCores.toFixed(2)} cores (${fmt(us(w.workerCores, w.eventsPerSecond))} µs/event), ` +
      `Postgres ${w.postgresCores.toFixed(2)} (${fmt(us(w.postgresCores, w.eventsPerSecond))} µs/event), Redis ${w.redisCores.toFixed(2)}`,
  );
  console.log(
    `  CPU during the baseline: Postgres ${b.postgresCores.toFixed(2)} cores (${fmt(us(b.postgresCores, b.eventsPerSecond))} µs/event)`,
  );
  console.log(
    `  job payload: ${fmt(t.jobJsonBytesPerEvent)} bytes of JSON per error; enqueue of ${fmt(w.jobs)} jobs took ${fmt(w.enqueueMs)} ms`,
  );
  console.log(
    `${pass(t.countsOk)}  counts: worker rounds counted every event once (sum of issue counts = events, no failed job), baseline stored every row`,
  );
  console.log(
    `${pass(w.eventsPerSecond >= GOAL_EVENTS_PER_SECOND)}  ≥ ${fmt(GOAL_EVENTS_PER_SECOND)} events/s (${fmt(w.eventsPerSecond)})`,
  );
  console.log(
    `${pass(t.ratio >= GOAL_RATIO)}  ≥ ${GOAL_RATIO * 100}% of the baseline (${(t.ratio * 100).toFixed(0)}%)`,
  );
}

function printLatency(l: LatencyResult): void {
  const p = (x: LatencyResult["ackToVisibleMs"]) =>
    `${fmt(x.p50)} / ${fmt(x.p90)} / ${fmt(x.p99)} / ${fmt(x.max)} ms`;
  console.log("");
  console.log(
    `worker latency (${fmt(l.offeredErrorsPerSecond)} errors/s offered for ${duration} s, ${errorsPerRequest} per request; p50 / p90 / p99 / max)`,
  );
  console.log(`  collector's 200 → visible in Postgres   ${p(l.ackToVisibleMs)}`);
  console.log(`  request sent → collector's 200           ${p(l.responseMs)}`);
  console.log(`  request sent → visible in Postgres       ${p(l.sendToVisibleMs)}`);
  console.log(
    `  p50 200 → visible by second of the run: ${l.ackToVisibleP50BySecond.map((x) => fmt(x)).join(" ")} ms`,
  );
  console.log(
    `  CPU: collector ${l.collectorCores.toFixed(2)} cores, worker ${l.workerCores.toFixed(2)}, Postgres ${l.postgresCores.toFixed(2)}, Redis ${l.redisCores.toFixed(2)}; ` +
      `${l.retriedRequests} requests retried after 503/429; visibility read from ${l.keyTable}`,
  );
  console.log(
    `${pass(l.visible === l.errors)}  every acknowledged error visible (${fmt(l.visible)} of ${fmt(l.errors)})`,
  );
  console.log(
    `${pass(l.ackToVisibleMs.p99 < GOAL_P99_MS)}  p99 200 → visible < ${fmt(GOAL_P99_MS)} ms (${fmt(l.ackToVisibleMs.p99)} ms)`,
  );
}

/** Stages of the worker's work, matched by function (inclusive time: a stage includes what it calls). */
const STAGES: Array<[string, RegExp]> = [
  // Synchronous stages are exact; async ones (storage after its first await) are not on these stacks.
  ["processBatch until its first await (validate, prepare)", /^processBatch worker\/src\/process-batch/],
  ["  prepareEvent (scrub, parse stack, fingerprint)", /^prepareEvent worker\/src\/process-batch/],
  ["    scrubbing (worker/src/scrub.ts)", /^\S+ worker\/src\/scrub\.ts/],
  ["    stack parsing (worker/src/stack)", /^parseStack worker\/src\/stack\//],
  ["    fingerprint (worker/src/fingerprint.ts)", /^computeFingerprint worker\/src\/fingerprint/],
  ["  job validation (zod)", /^\S+ zod\/v4\/core\/parse\.js/],
  ["postgres.js socket reads (query results)", /^data postgres\/src\/connection/],
  ["BullMQ: job data parsing (Job.fromJSON)", /^fromJSON bullmq\//],
  ["BullMQ: complete and fetch next (moveToFinished)", /^moveToFinished bullmq\//],
];

/** Inclusive share of each stage in a profile (the first matching function of each stage). */
function stagesOf(
  file: string,
  window?: { fromUs: number; toUs: number },
): Array<{ stage: string; pct: number }> {
  const all = summariseProfile(file, window, 100_000).topInclusive;
  return STAGES.map(([stage, re]) => ({
    stage,
    pct: all.filter((f) => re.test(f.fn)).reduce((max, f) => Math.max(max, f.pct), 0),
  }));
}

async function main(): Promise<boolean> {
  const keptProfDir = args["cpu-prof-dir"] ? resolve(args["cpu-prof-dir"]) : undefined;
  if (keptProfDir) mkdirSync(keptProfDir, { recursive: true });
  const profDir = keptProfDir ?? (args["cpu-prof"] ? tempDir("cw-bench-worker-prof-") : undefined);
  let redisUrl = args["redis-url"];
  let redisPid: number | undefined;
  if (!redisUrl) {
    const redis = await startBenchRedis();
    redisUrl = redis.url;
    redisPid = redis.proc.child.pid;
  }

  const t = args["skip-throughput"] ? undefined : await throughput(redisUrl, redisPid, profDir);
  let latency: LatencyResult | undefined;
  if (!args["skip-latency"]) {
    console.error(`latency: ${fmt(rate)} errors/s for ${duration} s through the collector …`);
    latency = await latencyRun({
      errorsPerSecond: rate,
      errorsPerRequest,
      durationSeconds: duration,
      issues,
      concurrency,
      redisUrl,
      redisPid,
      pollIntervalMs: pollMs,
      drainTimeoutMs: 120_000,
    });
  }

  if (t) printThroughput(t);
  let profile: ReturnType<typeof summariseProfile> | undefined;
  let stages: ReturnType<typeof stagesOf> | undefined;
  if (t && profDir) {
    const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    if (file) {
      profile = summariseProfile(join(profDir, file), t.lastWorkerRound.drainWindowUs, 20);
      printProfile(profile);
      stages = stagesOf(join(profDir, file), t.lastWorkerRound.drainWindowUs);
      console.log("  the worker's main thread by stage (inclusive):");
      for (const st of stages) console.log(`    ${st.pct.toFixed(1).padStart(5)}%  ${st.stage}`);
      if (keptProfDir) console.error(`CPU profile kept: ${profile.file}`);
    } else console.error(`no CPU profile found in ${profDir}`);
  }
  if (latency) printLatency(latency);

  const goals = {
    ...(t
      ? {
          eventsPerSecondAtLeast5000: t.worker.eventsPerSecond >= GOAL_EVENTS_PER_SECOND,
          atLeastHalfOfBaseline: t.ratio >= GOAL_RATIO,
        }
      : {}),
    ...(latency ? { p99Under2s: latency.ackToVisibleMs.p99 < GOAL_P99_MS } : {}),
  };
  const ok = (t?.countsOk ?? true) && (latency ? latency.visible === latency.errors : true);
  console.log(
    JSON.stringify({
      bench: "worker",
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      config: {
        events,
        errorsPerJob,
        issues,
        rounds,
        concurrency,
        workers: workerProcesses,
        rate,
        duration,
        errorsPerRequest,
        pollMs,
      },
      ...(t
        ? {
            throughput: {
              worker: { ...t.worker, drainWindowUs: undefined },
              baseline: t.baseline,
              ratio: +t.ratio.toFixed(3),
              roundRatios: t.roundRatios.map((r) => +r.toFixed(3)),
              workerRounds: t.workerRounds,
              baselineRounds: t.baselineRounds,
              jobJsonBytesPerEvent: t.jobJsonBytesPerEvent,
              countsOk: t.countsOk,
            },
          }
        : {}),
      ...(latency ? { latency } : {}),
      ...(profile
        ? { profile: { byArea: profile.byArea, stages, topSelf: profile.topSelf.slice(0, 10) } }
        : {}),
      goals,
      ok,
    }),
  );
  return ok;
}

runMain(main);
