/**
 * Scale-out: the Bun worker process runs the error consumer and the summaries consumer, the
 * official `openai` client included, against a loopback OpenAI-compatible stub.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JOB_ERROR_BATCH, QUEUE_ERRORS, QUEUE_SUMMARIES } from "@codewarden/common";
import { ensureBootstrap, getSummary, issues } from "@codewarden/drizzle";
import { Queue } from "bullmq";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../drizzle/src/testing";
import { errorEvent, errorJob, nodeTrace } from "../testing";
import { type OpenAiStub, startOpenAiStub } from "./openai-stub-server";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const REDIS = { host: "127.0.0.1", port: 6379, connectTimeout: 5_000, maxRetriesPerRequest: 3 };

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the Bun worker with an LLM configured", () => {
  let db: TestDatabase;
  let stub: OpenAiStub;
  let errors: Queue;
  let child: ChildProcess | null = null;
  let output = "";
  const prefix = `cw-test-bunllm-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    stub = await startOpenAiStub();
    errors = new Queue(QUEUE_ERRORS, { connection: REDIS, prefix });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    const summaries = new Queue(QUEUE_SUMMARIES, { connection: REDIS, prefix });
    for (const q of [errors, summaries]) {
      await q?.obliterate({ force: true }).catch(() => {});
      await q?.close();
    }
    await stub?.close();
    await db?.drop();
  });

  it("summarises each new issue once through the summaries queue, then exits 0 on SIGTERM", async () => {
    const { projectId } = await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost" });
    child = spawn(BUN, [join(ROOT, "worker", "src", "main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        DATABASE_URL: db.url,
        REDIS_URL: "redis://127.0.0.1:6379",
        CODEWARDEN_QUEUE_PREFIX: prefix,
        CODEWARDEN_LLM_BASE_URL: stub.baseUrl,
        CODEWARDEN_LLM_API_KEY: "sk-bun-test",
        CODEWARDEN_LLM_MODEL: "bun-model",
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

    const type = `BunLlm${randomBytes(3).toString("hex")}Error`;
    const events = Array.from({ length: 40 }, (_, i) =>
      errorEvent({
        seed: `${prefix}-${i}`,
        exceptionType: type,
        stacktrace: nodeTrace(type, "x", i % 2 === 0 ? "even" : "odd", "parity.ts", 3),
      }),
    );
    await errors.add(JOB_ERROR_BATCH, errorJob(projectId, events.slice(0, 20)));
    await errors.add(JOB_ERROR_BATCH, errorJob(projectId, events.slice(20)));

    const rows = await until("two LLM summaries", 30_000, async () => {
      const list = await db.handle.db
        .select({ id: issues.id })
        .from(issues)
        .where(eq(issues.exceptionType, type));
      const summaries = await Promise.all(list.map((r) => getSummary(db.handle.db, r.id)));
      return list.length === 2 && summaries.every((s) => s?.source === "llm") ? summaries : undefined;
    }).catch((err) => {
      throw new Error(`${err.message}\n--- worker output ---\n${output}`);
    });
    expect(rows.map((s) => s?.model)).toEqual(["bun-model", "bun-model"]);
    const calls = stub.calls(`Exception type: ${type}\n`);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.authorization).toBe("Bearer sk-bun-test");

    child.kill("SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r("still running after 15 s"), 15_000).unref()),
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain('"msg":"worker stopped"');
  });
});
