/**
 * No error is lost or counted twice on the scale-out path (collector → BullMQ on Redis → Bun
 * worker → Postgres) when a worker is killed mid-job, when Redis crashes and comes back, and
 * when a worker is stopped with SIGTERM while it holds jobs.
 *
 * Everything is real and spawned: a redis-server of the test's own with AOF persistence
 * (`appendfsync always`, so an acknowledged enqueue survives a crash — BullMQ needs a
 * persistent Redis in production), the production collector process, the Bun worker, a fresh
 * Postgres database. The sender is an OTLP/HTTP protobuf client that retries on 503/429
 * honouring Retry-After and on connection errors, as the OpenTelemetry exporters do (but
 * without their attempt limit, so that only the server side can lose data).
 *
 * Jobs that are "in flight" are made so deterministically: the worker is frozen with SIGSTOP
 * and the test checks in Redis that it holds active jobs before it kills or stops it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processExport } from "@codewarden/collector";
import { JOB_ERROR_BATCH, QUEUE_ERRORS } from "@codewarden/common";
import { ensureBootstrap } from "@codewarden/drizzle";
import { Queue } from "bullmq";
import { sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createErrorRequestBuilder } from "../../bench/worker/payload";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import {
  BUN,
  eventually,
  freePort,
  type RedisServer,
  ROOT,
  type Spawned,
  spawnProcess,
  startRedisServer,
} from "./harness";

const INGEST_KEY = `cw_ik_noloss_${randomBytes(12).toString("hex")}`;
const PREFIX = `cw-noloss-${randomBytes(4).toString("hex")}`;
/** Errors per OTLP request (one BullMQ job each) and distinct issues they group into. */
const ERRORS_PER_REQUEST = 10;
const ISSUES = 60;
/** Short locks so that a killed worker's jobs come back within seconds (production default: 30 s). */
const LOCK_DURATION_MS = 2000;
const STALLED_INTERVAL_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A status the exporter must not retry: the test fails. */
class FatalResponse extends Error {}

interface Sent {
  /** `traceId:spanId` of every error sent (and acknowledged). */
  ids: Set<string>;
  requests: number;
  /** Attempts answered 503 or 429 (retried after Retry-After) and attempts that failed to connect. */
  retriedStatus: number;
  retriedNetwork: number;
}

describe("no loss, no double count on the scale-out path", () => {
  let dir: string;
  let redis: RedisServer;
  let db: TestDatabase;
  let collector: Spawned;
  let collectorUrl: string;
  let projectId: string;
  let queueConnection: Redis;
  let queue: Queue;
  const workers: Spawned[] = [];
  const builder = createErrorRequestBuilder({ issues: ISSUES, serviceName: "noloss-api" });
  const sent: Sent = { ids: new Set(), requests: 0, retriedStatus: 0, retriedNetwork: 0 };
  let serial = 0;

  const startWorker = async (): Promise<Spawned> => {
    const w = spawnProcess(BUN, [join(ROOT, "worker", "src", "main.ts")], {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      CODEWARDEN_QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: "info",
      WORKER_CONCURRENCY: "4",
      WORKER_LOCK_DURATION_MS: String(LOCK_DURATION_MS),
      WORKER_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      WORKER_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    workers.push(w);
    await w.waitFor(/"msg":"worker ready"/, 30_000);
    return w;
  };

  const alive = (p: Spawned) => p.child.exitCode === null && p.child.signalCode === null;

  /** Posts one request until it is answered 200, like an OTLP exporter (503/429: Retry-After). */
  const post = async (body: Uint8Array, deadline: number): Promise<void> => {
    for (;;) {
      if (Date.now() > deadline) throw new Error("a request was not accepted before the deadline");
      let waitMs: number;
      try {
        const res = await fetch(`${collectorUrl}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${INGEST_KEY}` },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) return;
        if (res.status !== 503 && res.status !== 429)
          throw new FatalResponse(`collector answered ${res.status}`);
        sent.retriedStatus++;
        const retryAfter = Number(res.headers.get("retry-after"));
        waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000;
      } catch (err) {
        if (err instanceof FatalResponse) throw err;
        sent.retriedNetwork++;
        waitMs = 250;
      }
      await sleep(waitMs);
    }
  };

  /** Sends `requests` requests of ERRORS_PER_REQUEST new errors, `ratePerSecond` at most, 4 at a time. */
  const send = async (requests: number, ratePerSecond: number, deadline: number): Promise<void> => {
    const bodies = Array.from({ length: requests }, () => {
      const r = builder.build(serial, ERRORS_PER_REQUEST);
      serial += ERRORS_PER_REQUEST;
      return r;
    });
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const i = next++;
          const due = started + (i * 1000) / ratePerSecond;
          if (due > Date.now()) await sleep(due - Date.now());
          await post(bodies[i]!.body, deadline);
          for (const s of bodies[i]!.errorSpans) sent.ids.add(`${s.traceId}:${s.spanId}`);
          sent.requests++;
        }
      }),
    );
  };

  const counts = async () => {
    const one = async (query: ReturnType<typeof sql>) =>
      Number(((await db.handle.db.execute(query)) as unknown as Array<{ n: string | number }>)[0]?.n ?? 0);
    return {
      issueCounts: await one(sql`select coalesce(sum(event_count), 0) as n from issues`),
      hourlyCounts: await one(sql`select coalesce(sum(count), 0) as n from issue_hourly_counts`),
      eventRows: await one(sql`select count(*) as n from events`),
    };
  };

  const storedIds = async (): Promise<string[]> =>
    (
      (await db.handle.db.execute(sql`select trace_id, span_id from events`)) as unknown as Array<{
        trace_id: string;
        span_id: string;
      }>
    ).map((r) => `${r.trace_id}:${r.span_id}`);

  const jobCounts = () =>
    queue.getJobCounts("wait", "active", "delayed", "prioritized", "waiting-children", "failed");

  /** Waits until every sent error is counted and the queue holds no unfinished job, then checks exactly. */
  const expectExactlyOnce = async (timeoutMs: number) => {
    await eventually(
      async () => {
        const c = await jobCounts();
        const { issueCounts } = await counts();
        const unfinished = c.wait! + c.active! + c.delayed! + c.prioritized! + c["waiting-children"]!;
        return issueCounts >= sent.ids.size && unfinished === 0;
      },
      timeoutMs,
      `all ${sent.ids.size} errors stored and the queue drained`,
    );
    const c = await counts();
    expect(c).toEqual({ issueCounts: sent.ids.size, hourlyCounts: sent.ids.size, eventRows: sent.ids.size });
    const stored = await storedIds();
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(sent.ids);
    expect((await jobCounts()).failed).toBe(0);
  };

  /** Freezes `worker` at a moment when it holds at least one active job (checked in Redis). */
  const freezeHoldingJobs = async (worker: Spawned): Promise<number> => {
    for (let attempt = 0; attempt < 500; attempt++) {
      worker.child.kill("SIGSTOP");
      const active = await queue.getActiveCount();
      if (active > 0) return active;
      worker.child.kill("SIGCONT");
      await sleep(10);
    }
    throw new Error("the worker never held an active job");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cw-noloss-"));
    redis = await startRedisServer({ dir });
    db = await createTestDatabase();
    projectId = (
      await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost", ingestKey: INGEST_KEY })
    ).projectId;
    const port = await freePort();
    collectorUrl = `http://127.0.0.1:${port}`;
    collector = spawnProcess(
      process.execPath,
      ["--import", "tsx", join(ROOT, "collector", "src", "main.ts")],
      {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        CODEWARDEN_QUEUE_PREFIX: PREFIX,
        COLLECTOR_PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
      },
    );
    await eventually(
      async () => (await fetch(`${collectorUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).ok,
      30_000,
      "collector /readyz",
    );
    queueConnection = new Redis(redis.url, { maxRetriesPerRequest: null, connectTimeout: 2000 });
    queueConnection.on("error", () => {}); // reconnects by itself while the test restarts Redis
    queue = new Queue(QUEUE_ERRORS, { connection: queueConnection, prefix: PREFIX });
    queue.on("error", () => {});
  });

  afterAll(async () => {
    for (const w of workers) {
      if (alive(w)) {
        w.child.kill("SIGKILL");
        await w.exited(5000).catch(() => {});
      }
    }
    if (collector && alive(collector))
      await collector.stop(15_000).catch(() => collector.child.kill("SIGKILL"));
    await queue?.close().catch(() => {});
    queueConnection?.disconnect();
    await builder.shutdown();
    await redis?.stop({ hard: true }).catch(() => {});
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stores every error exactly once across a worker SIGKILL mid-job and a Redis crash", async () => {
    expect(projectId).toMatch(/^[0-9a-f-]{36}$/);
    const deadline = Date.now() + 45_000;
    const first = await startWorker();
    const sending = send(200, 25, deadline); // 2,000 errors over ~8 s

    // 1. Kill the worker while it holds jobs; a new worker takes them over once their lock expires.
    await eventually(async () => sent.requests >= 40, 20_000, "40 requests acknowledged");
    const activeAtKill = await freezeHoldingJobs(first);
    first.child.kill("SIGKILL");
    expect(await first.exited(5000)).toBe("SIGKILL");
    expect(activeAtKill).toBeGreaterThan(0);
    const second = await startWorker();
    // Its jobs come back through the stalled check (lock 2 s, checked every second) before Redis is
    // crashed below: otherwise, on a slow run, a crash that loses the last writes could put them
    // back in the queue by itself, and the stalled path would go untested.
    await eventually(
      async () => /error batch stalled/.test(second.output()),
      20_000,
      "the killed worker's jobs back through the stalled check",
    );

    // 2. Crash Redis (SIGKILL: no shutdown save) with jobs waiting, and start it again on the same
    // port and directory; the worker is frozen meanwhile, so the waiting jobs can only come back
    // from the append-only file.
    await eventually(async () => sent.requests >= 100, 20_000, "100 requests acknowledged");
    await freezeHoldingJobs(second);
    await sleep(500); // traffic keeps arriving: a backlog of waiting jobs builds up
    const waitingBeforeCrash = await queue.getWaitingCount();
    expect(waitingBeforeCrash).toBeGreaterThan(0);
    await redis.stop({ hard: true });
    await sleep(300);
    redis = await startRedisServer({ port: redis.port, dir });
    const waitingAfterRestart = await queue.getWaitingCount();
    expect(waitingAfterRestart).toBeGreaterThanOrEqual(waitingBeforeCrash);
    second.child.kill("SIGCONT");

    await sending;
    expect(sent.ids.size).toBe(2000);
    await expectExactlyOnce(40_000);
    // The killed worker's jobs came back through the stalled check (not by luck of timing).
    expect(second.output()).toMatch(/error batch stalled/);
    expect(sent.retriedStatus + sent.retriedNetwork).toBeGreaterThan(0); // the crash was felt
  }, 90_000);

  it("on SIGTERM, finishes the jobs it holds, exits 0 within WORKER_SHUTDOWN_TIMEOUT_MS, and the next worker takes the rest", async () => {
    const worker = workers.find(alive) ?? (await startWorker());
    // A backlog while the worker is frozen, then let it take jobs and freeze it holding some.
    worker.child.kill("SIGSTOP");
    await send(100, 1000, Date.now() + 30_000);
    worker.child.kill("SIGCONT");
    const held = await freezeHoldingJobs(worker);
    expect(held).toBeGreaterThan(0);
    worker.child.kill("SIGTERM");
    worker.child.kill("SIGCONT");
    // Exit code 0 also means before the deadline: past WORKER_SHUTDOWN_TIMEOUT_MS it exits 1.
    expect(await worker.exited(SHUTDOWN_TIMEOUT_MS)).toBe(0);
    // Nothing is left locked by the stopped worker: each job it held finished or went back.
    const after = await jobCounts();
    expect(after.active).toBe(0);
    expect(after.failed).toBe(0);
    expect(worker.output()).toMatch(/"msg":"worker stopped"/);

    await startWorker();
    await expectExactlyOnce(30_000);
    expect(sent.ids.size).toBe(3000);
    // The backlog was stored in merged batches (group commit), and still exactly once.
    const completed = await queue.getCompleted(0, 999);
    const batched = completed.filter(
      (j) => ((j.returnvalue as { jobsInBatch?: number } | null)?.jobsInBatch ?? 1) > 1,
    );
    expect(batched.length).toBeGreaterThan(0);
  }, 60_000);

  it("fails a job that can never be stored on its own, without retries, and stores the jobs held with it", async () => {
    const worker = workers.find(alive) ?? (await startWorker());
    worker.child.kill("SIGSTOP");
    const before = sent.ids.size;
    await send(10, 1000, Date.now() + 30_000);
    // A job the collector would never produce (an event key that is not hex), between valid ones.
    const { body } = builder.build(1_000_000, 1);
    const [bad] = processExport("traces", "protobuf", body, new Date().toISOString()).errors;
    const poison = await queue.add(JOB_ERROR_BATCH, {
      v: 1,
      projectId,
      receivedAt: new Date().toISOString(),
      errors: [{ ...bad!, eventKey: "not-a-natural-key" }],
    });
    await send(10, 1000, Date.now() + 30_000);
    worker.child.kill("SIGCONT");

    await eventually(
      async () => (await queue.getJobState(poison.id!)) === "failed",
      20_000,
      "the job to fail",
    );
    const failed = (await queue.getJob(poison.id!))!;
    expect(failed.failedReason).toMatch(/invalid error batch job/);
    expect(failed.attemptsMade).toBe(1);
    expect(sent.ids.size).toBe(before + 200);
    await eventually(
      async () => (await counts()).issueCounts === sent.ids.size,
      20_000,
      "the held jobs stored",
    );
    expect(await counts()).toEqual({
      issueCounts: sent.ids.size,
      hourlyCounts: sent.ids.size,
      eventRows: sent.ids.size,
    });
    expect(new Set(await storedIds())).toEqual(sent.ids);
  }, 60_000);
});
