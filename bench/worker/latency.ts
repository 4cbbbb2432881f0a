/**
 * Worker latency: time from the collector's 200 to the error being visible in Postgres, under a
 * steady open-loop load through the production collector process and the Bun worker.
 *
 * The sender prebuilds every request (so building them costs nothing during the run), then fires
 * request i at t0 + i / rate, whatever happened to the earlier ones (no coordinated omission).
 * Each error's natural key is known beforehand from the collector's own `processExport` on the
 * same bytes; a poller asks Postgres every few milliseconds which of the pending keys are
 * committed (`event_keys`, which holds every counted event, or `events` on a schema without it).
 * An error counts as visible at the start of the first poll that returns it, so a figure is at
 * most one poll interval (plus one query) late, never early.
 */
import { randomBytes } from "node:crypto";
import { processExport } from "@codewarden/collector";
import { QUEUE_ERRORS } from "@codewarden/common";
import { ensureBootstrap } from "@codewarden/drizzle";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import postgres from "postgres";
import { createTestDatabase } from "../../drizzle/src/testing";
import { createErrorRequestBuilder } from "./payload";
import {
  cpuByName,
  cpuDelta,
  cpuSeconds,
  startCollectorProcess,
  startWorkerProcess,
  stopHard,
} from "./processes";

export interface LatencyOptions {
  errorsPerSecond: number;
  errorsPerRequest: number;
  durationSeconds: number;
  issues: number;
  concurrency: number;
  redisUrl: string;
  redisPid?: number;
  pollIntervalMs: number;
  drainTimeoutMs: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LatencyResult {
  requests: number;
  errors: number;
  /** Requests that were answered 503/429 at least once (then retried after Retry-After). */
  retriedRequests: number;
  /** Errors visible in Postgres at the end (must equal `errors`). */
  visible: number;
  /** Errors per second actually offered (requests sent / time to send them). */
  offeredErrorsPerSecond: number;
  /** Collector's 200 → visible in Postgres, per error, in ms. */
  ackToVisibleMs: Percentiles;
  /** Request sent → collector's 200, per request, in ms. */
  responseMs: Percentiles;
  /** Request sent → visible in Postgres, per error, in ms. */
  sendToVisibleMs: Percentiles;
  /** p50 of 200 → visible by second of the run (a growing series means a growing backlog). */
  ackToVisibleP50BySecond: number[];
  keyTable: string;
  collectorCores: number;
  workerCores: number;
  postgresCores: number;
  redisCores: number;
}

export function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(s[s.length - 1] ?? Number.NaN) };
}

interface Request {
  body: Uint8Array;
  keys: string[];
  sentAt?: number;
  ackAt?: number;
  retried?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function latencyRun(opts: LatencyOptions): Promise<LatencyResult> {
  const requestsTotal = Math.ceil((opts.errorsPerSecond * opts.durationSeconds) / opts.errorsPerRequest);
  const builder = createErrorRequestBuilder({ issues: opts.issues });
  const requests: Request[] = [];
  for (let i = 0; i < requestsTotal; i++) {
    const { body } = builder.build(i * opts.errorsPerRequest, opts.errorsPerRequest);
    const keys = processExport("traces", "protobuf", body, new Date().toISOString()).errors.map(
      (e) => e.eventKey,
    );
    if (keys.length !== opts.errorsPerRequest) throw new Error(`request ${i}: ${keys.length} errors`);
    requests.push({ body, keys });
  }
  await builder.shutdown();

  const db = await createTestDatabase();
  const prefix = `cw-bench-l-${randomBytes(4).toString("hex")}`;
  const ingestKey = `cw_ik_bench_${randomBytes(12).toString("hex")}`;
  const client = postgres(db.url, { max: 2, onnotice: () => {} });
  let collector: Awaited<ReturnType<typeof startCollectorProcess>> | undefined;
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  try {
    const { projectId } = await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost", ingestKey });
    const [{ t }] = await client<[{ t: string | null }]>`select to_regclass('event_keys')::text as t`;
    const keyTable = t ? "event_keys" : "events";
    collector = await startCollectorProcess({
      databaseUrl: db.url,
      redisUrl: opts.redisUrl,
      queuePrefix: prefix,
    });
    worker = await startWorkerProcess({
      databaseUrl: db.url,
      redisUrl: opts.redisUrl,
      queuePrefix: prefix,
      env: { WORKER_CONCURRENCY: String(opts.concurrency) },
    });

    // Keys sent and not yet seen, with the request that carries each.
    const pending = new Map<string, Request>();
    const seenAt = new Map<string, number>();
    let polling = true;
    const poller = (async () => {
      while (polling || pending.size > 0) {
        const started = performance.now();
        if (pending.size > 0) {
          const keys = [...pending.keys()];
          const rows = await client.unsafe<Array<{ event_key: string }>>(
            `select event_key from ${keyTable} where project_id = $1 and event_key = any($2::text[])`,
            [projectId, keys],
          );
          for (const r of rows) {
            if (!pending.delete(r.event_key)) continue;
            seenAt.set(r.event_key, started);
          }
        }
        const spent = performance.now() - started;
        if (spent < opts.pollIntervalMs) await sleep(opts.pollIntervalMs - spent);
      }
    })();

    const url = `${collector.url}/v1/traces`;
    const headers = { "content-type": "application/x-protobuf", authorization: `Bearer ${ingestKey}` };
    const post = async (r: Request) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: r.body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          r.ackAt = performance.now();
          return;
        }
        if ((res.status !== 503 && res.status !== 429) || Date.now() > deadline)
          throw new Error(`collector answered ${res.status}`);
        r.retried = true;
        await sleep(Math.max(1, Number(res.headers.get("retry-after")) || 1) * 1000);
      }
    };

    const collectorPid = collector.proc.child.pid!;
    const workerPid = worker.child.pid!;
    const pg0 = cpuByName("postgres");
    const c0 = cpuSeconds(collectorPid);
    const w0 = cpuSeconds(workerPid);
    const r0 = cpuSeconds(opts.redisPid ?? -1);
    const t0 = performance.now();
    const intervalMs = (1000 * opts.errorsPerRequest) / opts.errorsPerSecond;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < requests.length; i++) {
      const due = t0 + i * intervalMs;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      const r = requests[i]!;
      r.sentAt = performance.now();
      for (const k of r.keys) pending.set(k, r);
      inFlight.push(post(r));
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    await Promise.all(inFlight);
    const drainDeadline = Date.now() + opts.drainTimeoutMs;
    while (pending.size > 0 && Date.now() < drainDeadline) await sleep(50);
    const wall = (performance.now() - t0) / 1000;
    const cores = {
      collectorCores: +((cpuSeconds(collectorPid) - c0) / wall).toFixed(2),
      workerCores: +((cpuSeconds(workerPid) - w0) / wall).toFixed(2),
      postgresCores: +(cpuDelta(pg0, cpuByName("postgres")) / wall).toFixed(2),
      redisCores: +((cpuSeconds(opts.redisPid ?? -1) - r0) / wall).toFixed(2),
    };
    polling = false;
    const left = pending.size;
    pending.clear();
    await poller;

    const ackToVisible: number[] = [];
    const sendToVisible: number[] = [];
    const bySecond: number[][] = [];
    for (const r of requests) {
      for (const k of r.keys) {
        const seen = seenAt.get(k);
        if (seen === undefined) continue;
        const ms = Math.max(0, seen - r.ackAt!);
        ackToVisible.push(ms);
        sendToVisible.push(seen - r.sentAt!);
        const second = Math.floor((r.sentAt! - t0) / 1000);
        bySecond[second] ??= [];
        bySecond[second].push(ms);
      }
    }
    if (left > 0) console.error(`latency: ${left} errors not visible after ${opts.drainTimeoutMs} ms`);
    return {
      requests: requests.length,
      errors: requests.length * opts.errorsPerRequest,
      retriedRequests: requests.filter((r) => r.retried).length,
      visible: seenAt.size,
      offeredErrorsPerSecond: Math.round((requests.length * opts.errorsPerRequest) / sendSeconds),
      ackToVisibleMs: percentiles(ackToVisible),
      responseMs: percentiles(requests.map((r) => r.ackAt! - r.sentAt!)),
      sendToVisibleMs: percentiles(sendToVisible),
      ackToVisibleP50BySecond: [...bySecond].map((xs) => (xs ? Math.round(percentiles(xs).p50) : Number.NaN)),
      keyTable,
      ...cores,
    };
  } finally {
    if (worker) await stopHard(worker);
    if (collector) await stopHard(collector.proc);
    await obliterate(opts.redisUrl, prefix);
    await client.end({ timeout: 5 });
    await db.drop();
  }
}

/** Removes the run's queue keys (bounded: a benchmark never hangs on Redis). */
export async function obliterate(redisUrl: string, prefix: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  connection.on("error", () => {});
  const queue = new Queue(QUEUE_ERRORS, { connection, prefix });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.obliterate({ force: true }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("obliterate timed out")), 30_000);
      }),
    ]);
  } catch (err) {
    console.error(`could not remove queue ${prefix}:`, (err as Error).message);
  } finally {
    clearTimeout(timer);
    await queue.close().catch(() => {});
    connection.disconnect();
  }
}
