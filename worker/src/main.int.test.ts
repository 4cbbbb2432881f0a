import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_JOB_OPTIONS } from "@codewarden/collector";
import { JOB_ERROR_BATCH, QUEUE_ERRORS } from "@codewarden/common";
import { ensureBootstrap, issues } from "@codewarden/drizzle";
import { Queue } from "bullmq";
import { eq, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { errorEvent, errorJob } from "./testing";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const REDIS_URL = "redis://127.0.0.1:6379";

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the Bun worker process", () => {
  let db: TestDatabase;
  let projectId: string;
  let redis: Redis;
  let queue: Queue;
  let child: ChildProcess | null = null;
  let output = "";
  const prefix = `cw-test-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    projectId = (await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost" })).projectId;
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, connectTimeout: 5_000 });
    queue = new Queue(QUEUE_ERRORS, { connection: redis, prefix });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await queue?.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    await redis?.quit();
    await db?.drop();
  });

  it("consumes BullMQ jobs into Postgres and exits 0 on SIGTERM", async () => {
    child = spawn(BUN, [join(ROOT, "worker", "src", "main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        DATABASE_URL: db.url,
        REDIS_URL,
        CODEWARDEN_QUEUE_PREFIX: prefix,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | string>((resolve) =>
      child!.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
    );

    await until("the worker ready line", 30_000, async () =>
      output.includes('"msg":"worker ready"') ? true : undefined,
    ).catch((err) => {
      throw new Error(`${err.message}\n--- worker output ---\n${output}`);
    });
    const ready = output.split("\n").find((l) => l.includes('"msg":"worker ready"'))!;
    expect(JSON.parse(ready)).toMatchObject({ msg: "worker ready", queuePrefix: prefix });

    const job = errorJob(projectId, [
      errorEvent({ seed: `bun-${prefix}-1`, exceptionType: "BunWorkerError" }),
      errorEvent({ seed: `bun-${prefix}-2`, exceptionType: "BunWorkerError" }),
    ]);
    await queue.add(JOB_ERROR_BATCH, job, { attempts: 3, backoff: { type: "fixed", delay: 100 } });
    const invalid = await queue.add(
      JOB_ERROR_BATCH,
      { v: 1, projectId: "nope", errors: [] },
      { attempts: 3 },
    );

    const issue = await until("the issue in Postgres", 30_000, async () => {
      const [row] = await db.handle.db
        .select({ eventCount: issues.eventCount, title: issues.title })
        .from(issues)
        .where(eq(issues.exceptionType, "BunWorkerError"));
      return row && row.eventCount === 2 ? row : undefined;
    });
    expect(issue.title).toBe("BunWorkerError: Cannot read properties of undefined (reading 'id')");

    // An invalid job fails once, without retries (UnrecoverableError).
    const failed = await until("the invalid job to fail", 15_000, async () => {
      const j = await queue.getJob(invalid.id!);
      return j && (await j.getState()) === "failed" ? j : undefined;
    });
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/invalid error batch job/);

    // A job that fails while the database is broken is retried with the collector's job options
    // (the worker's capped exponential backoff) and stored once the database is back.
    await db.handle.db.execute(sql`alter table event_keys rename to event_keys_away`);
    const retried = await queue.add(
      JOB_ERROR_BATCH,
      errorJob(projectId, [errorEvent({ seed: `bun-${prefix}-retry`, exceptionType: "RetriedError" })]),
      ERROR_JOB_OPTIONS,
    );
    const afterFailure = await until("a failed attempt", 15_000, async () => {
      const j = await queue.getJob(retried.id!);
      return j && j.attemptsMade >= 1 ? j : undefined;
    });
    expect(await afterFailure.getState()).toBe("delayed");
    await db.handle.db.execute(sql`alter table event_keys_away rename to event_keys`);
    await until("the retried job's issue", 30_000, async () => {
      const [row] = await db.handle.db
        .select({ eventCount: issues.eventCount })
        .from(issues)
        .where(eq(issues.exceptionType, "RetriedError"));
      return row?.eventCount === 1 ? row : undefined;
    });
    expect(await (await queue.getJob(retried.id!))?.getState()).toBe("completed");

    child.kill("SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r("still running after 15 s"), 15_000).unref()),
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain('"msg":"worker stopped"');
  });

  it("refuses to start without DATABASE_URL and REDIS_URL, naming them", async () => {
    const p = spawn(BUN, [join(ROOT, "worker", "src", "main.ts")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    p.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => p.once("exit", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/DATABASE_URL: required/);
    expect(err).toMatch(/REDIS_URL: required/);
  });
});
