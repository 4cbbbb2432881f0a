/**
 * Worker throughput: how fast the real Bun worker drains a pre-filled BullMQ error queue into
 * Postgres, against plain multi-row INSERTs of the same event rows on the same server.
 */
import { randomBytes } from "node:crypto";
import { createBullmqErrorQueue, processExport } from "@codewarden/collector";
import type { ErrorBatchJob } from "@codewarden/common";
import { ensureBootstrap, issues as issuesTable } from "@codewarden/drizzle";
import { prepareEvent } from "@codewarden/worker";
import { sql } from "drizzle-orm";
import pino from "pino";
import postgres from "postgres";
import { createTestDatabase } from "../../drizzle/src/testing";
import { createErrorRequestBuilder } from "./payload";
import { cpuByName, cpuDelta, cpuSeconds, startWorkerProcess, stopHard } from "./processes";

export interface ThroughputOptions {
  events: number;
  errorsPerJob: number;
  issues: number;
  /** WORKER_CONCURRENCY of the worker, and the connections of the baseline. */
  concurrency: number;
  /** Bun worker processes draining the queue together (default 1). */
  workers?: number;
  redisUrl: string;
  /** The redis-server's pid when it runs on this machine (for its CPU). */
  redisPid?: number;
  drainTimeoutMs: number;
  cpuProfDir?: string;
  runtime?: "bun" | "node";
}

/** Jobs exactly as the collector enqueues them: one per OTLP request, errors from `processExport`. */
export interface PreparedJobs {
  jobs: Array<Omit<ErrorBatchJob, "projectId">>;
  events: number;
  /** Bytes of the jobs' JSON (what BullMQ stores in Redis), in total. */
  jsonBytes: number;
}

export function buildJobs(opts: Pick<ThroughputOptions, "events" | "errorsPerJob" | "issues">): PreparedJobs {
  const builder = createErrorRequestBuilder({ issues: opts.issues });
  const jobs: PreparedJobs["jobs"] = [];
  let events = 0;
  let jsonBytes = 0;
  for (let first = 0; first < opts.events; first += opts.errorsPerJob) {
    const n = Math.min(opts.errorsPerJob, opts.events - first);
    const receivedAt = new Date().toISOString();
    const { errors } = processExport("traces", "protobuf", builder.build(first, n).body, receivedAt);
    if (errors.length !== n) throw new Error(`expected ${n} errors from the request, got ${errors.length}`);
    jobs.push({ v: 1, receivedAt, errors });
    events += n;
    jsonBytes += JSON.stringify(errors).length;
  }
  void builder.shutdown();
  return { jobs, events, jsonBytes };
}

export interface WorkerRound {
  events: number;
  jobs: number;
  drainMs: number;
  eventsPerSecond: number;
  /** Sum of issues.event_count after the drain (must equal `events`). */
  counted: number;
  issues: number;
  failedJobs: number;
  workerCores: number;
  postgresCores: number;
  redisCores: number;
  enqueueMs: number;
  /** The drain, in wall-clock microseconds since the epoch (the clock of Bun's CPU profiles). */
  drainWindowUs: { fromUs: number; toUs: number };
}

export interface BaselineRound {
  events: number;
  statements: number;
  ms: number;
  eventsPerSecond: number;
  stored: number;
  postgresCores: number;
}

/** Sum of event_count over the project's issues, and how many issues. */
async function countedEvents(db: Awaited<ReturnType<typeof createTestDatabase>>): Promise<[number, number]> {
  const [row] = await db.handle.db
    .select({ sum: sql<string>`coalesce(sum(${issuesTable.eventCount}), 0)`, n: sql<string>`count(*)` })
    .from(issuesTable);
  return [Number(row?.sum ?? 0), Number(row?.n ?? 0)];
}

/**
 * One worker round: fresh database and queue prefix; the queue is paused, filled with every job
 * through the collector's BullMQ adapter, the Bun worker started and connected; then the queue
 * is resumed and the clock runs until no job is waiting, active or delayed.
 */
export async function workerRound(prepared: PreparedJobs, opts: ThroughputOptions): Promise<WorkerRound> {
  const db = await createTestDatabase();
  const prefix = `cw-bench-w-${randomBytes(4).toString("hex")}`;
  const logger = pino({ level: "warn" });
  const queue = createBullmqErrorQueue({
    redisUrl: opts.redisUrl,
    prefix,
    logger,
    enqueueTimeoutMs: 30_000,
    maxBacklog: prepared.jobs.length + 1,
  });
  const workers: Array<Awaited<ReturnType<typeof startWorkerProcess>>> = [];
  try {
    const { projectId } = await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost" });
    await waitUntil(async () => queue.isReady(), 10_000, "the benchmark's Redis");
    await queue.queue.pause();
    const e0 = performance.now();
    for (const job of prepared.jobs) await queue.enqueue({ ...job, projectId });
    const enqueueMs = performance.now() - e0;
    for (let i = 1; i <= (opts.workers ?? 1); i++) {
      workers.push(
        await startWorkerProcess({
          databaseUrl: db.url,
          redisUrl: opts.redisUrl,
          queuePrefix: prefix,
          env: { WORKER_CONCURRENCY: String(opts.concurrency) },
          // Only the first worker is profiled.
          cpuProfDir: i === 1 ? opts.cpuProfDir : undefined,
          runtime: opts.runtime,
          connectedWorkers: i,
        }),
      );
    }
    const workersCpu = () => workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0);
    const redisPid = opts.redisPid ?? Number.NaN;

    const pg0 = cpuByName("postgres");
    const w0 = workersCpu();
    const r0 = cpuSeconds(redisPid);
    const t0 = performance.now();
    const fromUs = Date.now() * 1000;
    await queue.queue.resume();
    const deadline = Date.now() + opts.drainTimeoutMs;
    for (;;) {
      const c = await queue.queue.getJobCounts("wait", "active", "delayed", "prioritized");
      if (Object.values(c).every((n) => n === 0)) break;
      if (Date.now() > deadline)
        throw new Error(`queue not drained after ${opts.drainTimeoutMs} ms: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const drainMs = performance.now() - t0;
    const drainWindowUs = { fromUs, toUs: Date.now() * 1000 };
    const wall = drainMs / 1000;
    const workerCores = (workersCpu() - w0) / wall;
    const redisCores = (cpuSeconds(redisPid) - r0) / wall;
    const postgresCores = cpuDelta(pg0, cpuByName("postgres")) / wall;
    const failedJobs = await queue.queue.getFailedCount();
    const [counted, issues] = await countedEvents(db);
    return {
      events: prepared.events,
      jobs: prepared.jobs.length,
      drainMs: Math.round(drainMs),
      eventsPerSecond: Math.round(prepared.events / wall),
      counted,
      issues,
      failedJobs,
      workerCores: +workerCores.toFixed(2),
      postgresCores: +postgresCores.toFixed(2),
      redisCores: +redisCores.toFixed(2),
      enqueueMs: Math.round(enqueueMs),
      drainWindowUs,
    };
  } finally {
    for (const worker of workers) {
      const code = await stopHard(worker);
      if (code !== 0) console.error(`worker exited with ${code}\n${worker.output().slice(-2000)}`);
    }
    await withTimeout(queue.queue.obliterate({ force: true }), 30_000).catch((err) =>
      console.error("obliterate failed:", err),
    );
    await queue.close();
    await db.drop();
  }
}

const EVENT_COLUMNS = [
  "project_id",
  "issue_id",
  "event_key",
  "source",
  "timestamp",
  "trace_id",
  "span_id",
  "service_name",
  "service_version",
  "environment",
  "exception_type",
  "message",
  "stacktrace",
  "frames",
  "attributes",
  "resource",
  "span",
] as const;

/**
 * One baseline round: fresh database with the project and its issues created beforehand; the
 * event rows (prepared by the worker's own `prepareEvent`, outside the clock) are inserted with
 * plain multi-row INSERTs of one job's rows each, `concurrency` statements at a time.
 */
export async function baselineRound(prepared: PreparedJobs, opts: ThroughputOptions): Promise<BaselineRound> {
  const db = await createTestDatabase();
  const client = postgres(db.url, { max: opts.concurrency, onnotice: () => {} });
  try {
    const { projectId } = await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost" });
    const statements = prepared.jobs.map((job) => {
      const receivedAt = new Date(job.receivedAt);
      return job.errors.map((raw) => prepareEvent(raw, receivedAt));
    });
    const byFingerprint = new Map<string, (typeof statements)[number][number]>();
    for (const e of statements.flat())
      if (!byFingerprint.has(e.fingerprint)) byFingerprint.set(e.fingerprint, e);
    const created = await db.handle.db
      .insert(issuesTable)
      .values(
        [...byFingerprint.values()].map((e) => ({
          projectId,
          fingerprint: e.fingerprint,
          fingerprintVersion: e.fingerprintVersion,
          title: e.title,
          exceptionType: e.exceptionType,
          message: e.message,
          culprit: e.culprit,
          eventCount: 0,
          firstSeen: e.timestamp,
          lastSeen: e.timestamp,
        })),
      )
      .returning({ id: issuesTable.id, fingerprint: issuesTable.fingerprint });
    const issueId = new Map(created.map((r) => [r.fingerprint, r.id]));
    const rows = statements.map((events) =>
      events.map((e) => ({
        project_id: projectId,
        issue_id: issueId.get(e.fingerprint)!,
        event_key: e.eventKey,
        source: e.source,
        timestamp: e.timestamp,
        trace_id: e.traceId,
        span_id: e.spanId,
        service_name: e.serviceName,
        service_version: e.serviceVersion,
        environment: e.environment,
        exception_type: e.exceptionType,
        message: e.message,
        stacktrace: e.stacktrace,
        frames: client.json(e.frames as unknown as postgres.JSONValue),
        attributes: client.json(e.attributes),
        resource: client.json(e.resource),
        span: e.span ? client.json(e.span) : null,
      })),
    );
    // Open every connection before the clock starts.
    await Promise.all(Array.from({ length: opts.concurrency }, () => client`select 1`));

    const pg0 = cpuByName("postgres");
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < rows.length) {
          const part = rows[next++]!;
          await client`insert into events ${client(part, ...EVENT_COLUMNS)}`;
        }
      }),
    );
    const ms = performance.now() - t0;
    const postgresCores = cpuDelta(pg0, cpuByName("postgres")) / (ms / 1000);
    const [{ n }] = await client<[{ n: string }]>`select count(*)::text as n from events`;
    return {
      events: prepared.events,
      statements: rows.length,
      ms: Math.round(ms),
      eventsPerSecond: Math.round(prepared.events / (ms / 1000)),
      stored: Number(n),
      postgresCores: +postgresCores.toFixed(2),
    };
  } finally {
    await client.end({ timeout: 5 });
    await db.drop();
  }
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
