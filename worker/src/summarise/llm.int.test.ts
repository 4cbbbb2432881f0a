/**
 * LLM summaries end to end: the real `openai` client against a loopback OpenAI-compatible stub,
 * processBatch enqueueing summary jobs, and the summaries queue — BullMQ on real Redis with
 * Postgres, and the all-in-one in-process queue with PGlite. Calls are counted at the stub.
 */
import { randomBytes } from "node:crypto";
import { type ErrorEvent, QUEUE_SUMMARIES } from "@codewarden/common";
import {
  type Db,
  ensureBootstrap,
  getSummary,
  issues,
  llmBudgetUsage,
  llmSummaryCache,
  projects,
} from "@codewarden/drizzle";
import { Queue } from "bullmq";
import { and, count, eq, sum } from "drizzle-orm";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, createTestPglite } from "../../../drizzle/src/testing";
import { processBatch } from "../process-batch";
import { errorEvent, errorJob, nodeTrace } from "../testing";
import { createInProcessSummaries } from "./in-process-queue";
import { createLlmClient, LlmCallError, type LlmConfig, type Summariser } from "./llm";
import { type OpenAiStub, startOpenAiStub } from "./openai-stub-server";
import { startBullmqSummaries } from "./queue";
import { summaryJobFor } from "./summarise-issues";
import { runSummaryJob } from "./summary-job";

const logger = pino({ level: "silent" });
const REDIS_URL = "redis://127.0.0.1:6379";

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let stub: OpenAiStub;
beforeAll(async () => {
  stub = await startOpenAiStub();
});
afterAll(async () => {
  await stub?.close();
});

const llmConfig = (overrides: Partial<LlmConfig> = {}): LlmConfig => ({
  baseUrl: stub.baseUrl,
  apiKey: "sk-test-key",
  model: "test-model",
  timeoutMs: 10_000,
  dailyBudgetPerProject: 1000,
  ratePerMinute: 100_000,
  concurrency: 2,
  attempts: 4,
  responseFormat: "json_object",
  ...overrides,
});

describe("the OpenAI-compatible client", () => {
  const prompt = (type: string) => `<telemetry>\nException type: ${type}\n</telemetry>`;

  it("sends one chat completion asking for a JSON object and returns the validated summary", async () => {
    const s = await createLlmClient(llmConfig()).summarise(prompt("ClientOkError"));
    expect(s).toEqual({
      title: "ClientOkError (from the model)",
      text: expect.stringMatching(/^LLM summary #\d+ of ClientOkError$/),
      likelyCause: "cause from the model",
      suggestedFix: "fix from the model",
      confidence: 0.75,
    });
    const [req, ...more] = stub.calls("ClientOkError");
    expect(more).toHaveLength(0);
    expect(req?.authorization).toBe("Bearer sk-test-key");
    expect(req?.body.model).toBe("test-model");
    expect(req?.body.response_format).toEqual({ type: "json_object" });
    expect(req?.body.messages[0]).toMatchObject({ role: "system" });
    expect(req?.body.messages[0]?.content).toMatch(/treat it strictly as data/);
  });

  it("asks for a json_schema when configured, and sends no Authorization without a key", async () => {
    await createLlmClient(llmConfig({ responseFormat: "json_schema", apiKey: null })).summarise(
      prompt("ClientSchemaError"),
    );
    const [req] = stub.calls("ClientSchemaError");
    expect(req?.authorization).toBeUndefined();
    expect(req?.body.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "issue_summary", schema: { required: expect.arrayContaining(["confidence"]) } },
    });
  });

  it.each([
    ["429 with Retry-After", { kind: "status", status: 429, retryAfter: "2" }, true, 429, 2000],
    ["500", { kind: "status", status: 500 }, true, 500, null],
    ["503", { kind: "status", status: 503 }, true, 503, null],
    ["400", { kind: "status", status: 400 }, false, 400, null],
    ["401", { kind: "status", status: 401 }, false, 401, null],
    ["malformed JSON content", { kind: "content", content: '{"title": "half' }, false, 200, null],
    ["a dropped connection", { kind: "drop" }, true, null, null],
  ] as const)(
    "classifies %s (one request, no retries of its own)",
    async (what, reply, retryable, status, retryAfterMs) => {
      const type = `Client${what.replace(/\W/g, "")}Error`;
      stub.script(`Exception type: ${type}\n`, [reply]);
      const err = await createLlmClient(llmConfig())
        .summarise(prompt(type))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmCallError);
      expect(err).toMatchObject({ retryable, status, retryAfterMs });
      expect(stub.calls(`Exception type: ${type}\n`)).toHaveLength(1);
    },
  );

  it("times out as a retryable error", async () => {
    stub.hold();
    try {
      const err = await createLlmClient(llmConfig({ timeoutMs: 300 }))
        .summarise(prompt("ClientSlowError"))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "LlmCallError", retryable: true, status: null });
    } finally {
      stub.release();
    }
  });
});

interface Runner {
  summariser: Summariser;
  /** Resolves when no summary job is waiting, delayed or running. */
  idle(): Promise<void>;
  /** Jobs the queue holds (BullMQ: in any state, finished ones retained; in-process: pending). */
  jobs(): Promise<number>;
  /** Attempts made by a failed job, null when it did not fail (BullMQ only). */
  failedAttempts?(jobId: string): Promise<number | null>;
  close(): Promise<void>;
}

interface Variant {
  name: string;
  openDb(): Promise<{ db: Db; close(): Promise<void> }>;
  start(db: Db, llm: LlmConfig, opts?: { rateLimit?: { max: number; durationMs: number } }): Promise<Runner>;
  /** Whether error batches may be processed concurrently (Postgres; PGlite is one connection). */
  parallel: boolean;
}

const variants: Variant[] = [
  {
    name: "BullMQ summaries queue on Redis, Postgres",
    parallel: true,
    async openDb() {
      const t = await createTestDatabase();
      return { db: t.handle.db, close: () => t.drop() };
    },
    async start(db, llm, opts = {}) {
      const prefix = `cw-test-sum-${randomBytes(4).toString("hex")}`;
      const s = await startBullmqSummaries(
        llm,
        { redisUrl: REDIS_URL, prefix, backoffMs: 100, rateLimit: opts.rateLimit },
        { db, logger },
      );
      const q = s.queue.queue;
      return {
        summariser: s.queue,
        idle: async () => {
          await until("the summaries queue to be idle", 45_000, async () => {
            const c = await q.getJobCounts("wait", "active", "delayed", "prioritized", "waiting-children");
            return Object.values(c).every((n) => n === 0) ? true : undefined;
          });
        },
        jobs: async () => Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0),
        failedAttempts: async (jobId) => {
          const job = await q.getJob(jobId);
          return job && (await job.getState()) === "failed" ? job.attemptsMade : null;
        },
        close: async () => {
          await s.close();
          const cleanup = new Queue(QUEUE_SUMMARIES, {
            connection: { host: "127.0.0.1", port: 6379, connectTimeout: 5_000, maxRetriesPerRequest: 3 },
            prefix,
          });
          await cleanup.obliterate({ force: true }).catch(() => {});
          await cleanup.close();
        },
      };
    },
  },
  {
    name: "in-process summaries queue, PGlite (all-in-one)",
    parallel: false,
    async openDb() {
      const handle = await createTestPglite();
      return { db: handle.db, close: () => handle.close() };
    },
    async start(db, llm, opts = {}) {
      const q = createInProcessSummaries(llm, { db, logger, backoffMs: 100, rateLimit: opts.rateLimit });
      return { summariser: q, idle: () => q.drain(), jobs: async () => q.pending, close: () => q.close() };
    },
  },
];

for (const variant of variants) {
  describe(`LLM summaries through the ${variant.name}`, () => {
    let db: Db;
    let closeDb: () => Promise<void>;
    let orgId: string;
    const runners: Runner[] = [];

    beforeAll(async () => {
      ({ db, close: closeDb } = await variant.openDb());
      const { projectId } = await ensureBootstrap(db, { adminEmail: "admin@localhost" });
      const [p] = await db.select({ orgId: projects.orgId }).from(projects).where(eq(projects.id, projectId));
      orgId = p!.orgId;
    });
    afterEach(async () => {
      for (const r of runners.splice(0)) await r.close();
    });
    afterAll(async () => {
      await closeDb?.();
    });

    /** A project of its own per test: budgets and caches are per project. */
    async function newProject(): Promise<string> {
      const [row] = await db
        .insert(projects)
        .values({ orgId, slug: `p-${randomBytes(4).toString("hex")}`, name: "test" })
        .returning({ id: projects.id });
      return row!.id;
    }
    async function start(llm: Partial<LlmConfig> = {}, opts?: Parameters<Variant["start"]>[2]) {
      const r = await variant.start(db, llmConfig(llm), opts);
      runners.push(r);
      return r;
    }
    const tag = randomBytes(3).toString("hex");
    /** An exception type unique to this run, so stub calls are counted per test. */
    const type = (name: string) => `${name}${tag}Error`;
    const calls = (t: string) => stub.calls(`Exception type: ${t}\n`).length;

    function event(seed: string, exceptionType: string, fn: string, extra: Partial<ErrorEvent> = {}) {
      return errorEvent({
        seed: `${tag}-${seed}`,
        exceptionType,
        message: `${exceptionType} while loading order for alice@example.com`,
        stacktrace: nodeTrace(exceptionType, "x", fn, `${fn}.ts`, 7),
        attributes: { "http.route": "/orders/:id", "app.note": "platinum-marker-123" },
        ...extra,
      });
    }
    async function issueOf(projectId: string, exceptionType: string) {
      const [row] = await db
        .select({ id: issues.id })
        .from(issues)
        .where(and(eq(issues.projectId, projectId), eq(issues.exceptionType, exceptionType)));
      if (!row) throw new Error(`no issue of type ${exceptionType}`);
      return { id: row.id, summary: await getSummary(db, row.id) };
    }
    /** One batch with an event of each exception type in `kinds` (new issues), for `runner` to summarise. */
    async function newIssues(runner: Runner, projectId: string, seed: string, kinds: string[]) {
      await processBatch(
        db,
        errorJob(
          projectId,
          kinds.map((t, i) => event(`${seed}-${i}`, t, `${seed}${i}`)),
        ),
        { logger, summariser: runner.summariser },
      );
    }
    /** The summary source of each issue of `kinds`, sorted. */
    async function summarySources(projectId: string, kinds: string[]) {
      const sources = await Promise.all(
        kinds.map(async (t) => (await issueOf(projectId, t)).summary?.source),
      );
      return sources.sort();
    }
    /** LLM calls the project's daily budget has counted (all days). */
    async function budgetUsed(projectId: string) {
      const [row] = await db
        .select({ n: sum(llmBudgetUsage.calls) })
        .from(llmBudgetUsage)
        .where(eq(llmBudgetUsage.projectId, projectId));
      return Number(row?.n ?? 0);
    }
    async function cacheRows(projectId: string) {
      const [row] = await db
        .select({ n: count() })
        .from(llmSummaryCache)
        .where(eq(llmSummaryCache.projectId, projectId));
      return Number(row?.n ?? 0);
    }

    it("10,000 events over 50 issues make at most 50 calls, after an immediate heuristic summary", async () => {
      const runner = await start();
      const projectId = await newProject();
      const ISSUES = 50;
      const types = Array.from({ length: ISSUES }, (_, k) => type(`Bulk${k}x`));
      const batches = Array.from({ length: 10 }, (_, b) =>
        errorJob(
          projectId,
          Array.from({ length: 1000 }, (_, i) => {
            const n = b * 1000 + i;
            return event(`bulk-${n}`, types[n % ISSUES]!, `handle${n % ISSUES}`);
          }),
        ),
      );
      const deps = { logger, summariser: runner.summariser };

      // The model answers nothing yet: processBatch must not wait for it, and every new issue
      // already has its heuristic summary.
      stub.hold();
      try {
        expect(await processBatch(db, batches[0], deps)).toMatchObject({ inserted: 1000, newIssues: ISSUES });
        for (const t of types) {
          expect((await issueOf(projectId, t)).summary).toMatchObject({ source: "heuristic", model: null });
        }
      } finally {
        stub.release();
      }
      const rest = batches.slice(1);
      if (variant.parallel) {
        for (let i = 0; i < rest.length; i += 3) {
          await Promise.all(rest.slice(i, i + 3).map((job) => processBatch(db, job, deps)));
        }
      } else {
        for (const job of rest) await processBatch(db, job, deps);
      }
      await runner.idle();

      const perIssue = types.map(calls);
      const total = perIssue.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(ISSUES);
      expect(perIssue.every((n) => n === 1)).toBe(true);
      for (const t of types) {
        expect((await issueOf(projectId, t)).summary).toMatchObject({
          source: "llm",
          model: "test-model",
          title: `${t} (from the model)`,
          text: expect.stringContaining(`of ${t}`),
          likelyCause: "cause from the model",
          suggestedFix: "fix from the model",
          confidence: 0.75,
        });
      }
      expect(await cacheRows(projectId)).toBe(ISSUES);

      // Prompts hold scrubbed text and the route, never raw attributes.
      const prompts = types.flatMap((t) => stub.calls(`Exception type: ${t}\n`).map((r) => r.prompt));
      expect(prompts.join("\n")).not.toMatch(/alice@example\.com|platinum-marker-123/);
      expect(prompts.every((p) => p.includes("route: /orders/:id") && p.includes("version: 1.0.0"))).toBe(
        true,
      );

      // OTLP retries of whole batches, and duplicate jobs, cost nothing.
      await processBatch(db, batches[3], deps);
      await processBatch(db, batches[7], deps);
      await runner.idle();
      const duplicates = await Promise.all(
        types.map(async (t, k) =>
          summaryJobFor(projectId, {
            id: (await issueOf(projectId, t)).id,
            reason: "new",
            event: {
              eventKey: batches[0]!.errors[k]!.eventKey,
              exceptionType: t,
              message: "m",
              frames: [],
              language: null,
              serviceName: null,
              serviceVersion: null,
              spanName: null,
              route: null,
            },
          }),
        ),
      );
      const jobsBefore = await runner.jobs();
      await runner.summariser.enqueue(duplicates);
      expect(await runner.jobs()).toBe(jobsBefore);
      await runner.idle();
      // And a duplicate that does get through (its twin no longer retained) makes no call either.
      expect(
        await runSummaryJob(db, duplicates[0], {
          llm: createLlmClient(llmConfig()),
          dailyBudgetPerProject: 1000,
          logger,
        }),
      ).toBe("already-summarised");
      expect(types.map(calls).reduce((a, b) => a + b, 0)).toBe(total);
      process.stdout.write(`[${variant.name}] 10,000 events / ${ISSUES} issues -> ${total} LLM calls\n`);
    });

    it("a regression makes one more call, once", async () => {
      const runner = await start();
      const projectId = await newProject();
      const t = type("Regress");
      const deps = { logger, summariser: runner.summariser };
      await processBatch(db, errorJob(projectId, [event("reg-1", t, "pay"), event("reg-2", t, "pay")]), deps);
      await runner.idle();
      expect(calls(t)).toBe(1);
      const { id, summary: first } = await issueOf(projectId, t);
      expect(first?.source).toBe("llm");

      await db.update(issues).set({ status: "resolved", resolvedAt: new Date() }).where(eq(issues.id, id));
      const base = errorEvent({ seed: "r" }).resource;
      const comeback = errorJob(projectId, [
        event("reg-3", t, "pay", { resource: { ...base, serviceVersion: "2.0.0" } }),
        event("reg-4", t, "pay", { resource: { ...base, serviceVersion: "2.0.0" } }),
      ]);
      await processBatch(db, comeback, deps);
      await processBatch(db, comeback, deps);
      await runner.idle();
      expect(calls(t)).toBe(2);
      const last = stub.calls(`Exception type: ${t}\n`).at(-1)!.prompt;
      expect(last).toContain("has occurred again");
      expect(last).toContain("version: 2.0.0");
      const second = (await issueOf(projectId, t)).summary;
      expect(second?.source).toBe("llm");
      expect(second?.text).not.toBe(first?.text);
    });

    it("retries 429 (after Retry-After), 5xx and dropped connections until they succeed", async () => {
      const runner = await start();
      const projectId = await newProject();
      const limited = type("RateLimited");
      const flaky = type("Flaky");
      const dropped = type("Dropped");
      stub.script(`Exception type: ${limited}\n`, [{ kind: "status", status: 429, retryAfter: "1" }]);
      stub.script(`Exception type: ${flaky}\n`, [
        { kind: "status", status: 500 },
        { kind: "status", status: 503 },
      ]);
      stub.script(`Exception type: ${dropped}\n`, [{ kind: "drop" }]);
      await processBatch(
        db,
        errorJob(projectId, [event("rl", limited, "a"), event("fl", flaky, "b"), event("dr", dropped, "c")]),
        { logger, summariser: runner.summariser },
      );
      await runner.idle();

      expect([calls(limited), calls(flaky), calls(dropped)]).toEqual([2, 3, 2]);
      const [first, second] = stub.calls(`Exception type: ${limited}\n`);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
      for (const t of [limited, flaky, dropped]) {
        expect((await issueOf(projectId, t)).summary?.source).toBe("llm");
      }
      // The attempts that got no answer were given back to the budget: one call per issue counts.
      expect(await budgetUsed(projectId)).toBe(3);
    });

    it("does not retry other 4xx, and never stores a malformed reply (the heuristic stays)", async () => {
      const runner = await start();
      const projectId = await newProject();
      const rejected = type("Rejected");
      const garbled = type("Garbled");
      const incomplete = type("Incomplete");
      const unsure = type("Unsure");
      stub.script(`Exception type: ${rejected}\n`, [{ kind: "status", status: 400 }]);
      stub.script(`Exception type: ${garbled}\n`, [
        { kind: "content", content: '{"title": "Oops", "whatHapp' },
      ]);
      stub.script(`Exception type: ${incomplete}\n`, [
        { kind: "content", content: JSON.stringify({ title: "t", whatHappened: "w", likelyCause: "c" }) },
      ]);
      stub.script(`Exception type: ${unsure}\n`, [
        {
          kind: "content",
          content: JSON.stringify({
            title: "t",
            whatHappened: "w",
            likelyCause: "c",
            suggestedFix: "f",
            confidence: 12,
          }),
        },
      ]);
      const kinds = [rejected, garbled, incomplete, unsure];
      await newIssues(runner, projectId, "bad", kinds);
      await runner.idle();

      expect(kinds.map(calls)).toEqual([1, 1, 1, 1]);
      for (const t of kinds) {
        const { id, summary } = await issueOf(projectId, t);
        expect(summary).toMatchObject({ source: "heuristic", model: null, title: null, confidence: null });
        if (runner.failedAttempts) expect(await runner.failedAttempts(`summary-${id}-new`)).toBe(1);
      }
      expect(await cacheRows(projectId)).toBe(0);
      // The 400 got no answer; the three malformed replies were answered, and paid for: they count.
      expect(await budgetUsed(projectId)).toBe(3);
    });

    it("makes no call once the project's daily budget is spent (the heuristic stays)", async () => {
      const runner = await start({ dailyBudgetPerProject: 2, concurrency: 1 });
      const projectId = await newProject();
      const kinds = [0, 1, 2, 3].map((i) => type(`Budget${i}x`));
      await newIssues(runner, projectId, "budget", kinds);
      await runner.idle();
      expect(kinds.map(calls).reduce((a, b) => a + b, 0)).toBe(2);
      // The other two keep their heuristic summary.
      expect(await summarySources(projectId, kinds)).toEqual(["heuristic", "heuristic", "llm", "llm"]);

      // Another project has its own budget.
      const other = await newProject();
      const elsewhere = type("BudgetElsewhere");
      await processBatch(db, errorJob(other, [event("budget-x", elsewhere, "h")]), {
        logger,
        summariser: runner.summariser,
      });
      await runner.idle();
      expect(calls(elsewhere)).toBe(1);
    });

    it("keeps to the daily budget when jobs run concurrently (no call beyond it while others are in flight)", async () => {
      const runner = await start({ dailyBudgetPerProject: 2, concurrency: 4 });
      const projectId = await newProject();
      const kinds = [0, 1, 2, 3, 4, 5].map((i) => type(`Parallel${i}x`));
      // The model answers nothing until every job has had the chance to pass the budget check.
      stub.hold();
      try {
        await newIssues(runner, projectId, "parallel", kinds);
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        stub.release();
      }
      await runner.idle();
      expect(kinds.map(calls).reduce((a, b) => a + b, 0)).toBe(2);
      expect(await summarySources(projectId, kinds)).toEqual([
        "heuristic",
        "heuristic",
        "heuristic",
        "heuristic",
        "llm",
        "llm",
      ]);
    });

    it("answers the same prompt from the cache without a call", async () => {
      const runner = await start();
      const projectId = await newProject();
      const t = type("Cached");
      const deps = { logger, summariser: runner.summariser };
      // Two issues (fingerprints set by the app) whose events read exactly the same.
      await processBatch(
        db,
        errorJob(projectId, [event("cache-a", t, "same", { fingerprint: "cache-a" })]),
        deps,
      );
      await runner.idle();
      expect(calls(t)).toBe(1);
      await processBatch(
        db,
        errorJob(projectId, [event("cache-b", t, "same", { fingerprint: "cache-b" })]),
        deps,
      );
      await runner.idle();
      expect(calls(t)).toBe(1);
      const rows = await db
        .select({ id: issues.id })
        .from(issues)
        .where(and(eq(issues.projectId, projectId), eq(issues.exceptionType, t)));
      expect(rows).toHaveLength(2);
      const [a, b] = await Promise.all(rows.map((r) => getSummary(db, r.id)));
      expect(a).toMatchObject({ source: "llm", model: "test-model" });
      expect(b).toMatchObject({ source: "llm", text: a?.text, title: a?.title });

      // The cache is per project: the same prompt elsewhere is paid for once there.
      const other = await newProject();
      await processBatch(
        db,
        errorJob(other, [event("cache-c", t, "same", { fingerprint: "cache-a" })]),
        deps,
      );
      await runner.idle();
      expect(calls(t)).toBe(2);
    });

    it("starts at most the rate limit's calls per window", async () => {
      const runner = await start({ concurrency: 2 }, { rateLimit: { max: 2, durationMs: 500 } });
      const projectId = await newProject();
      const kinds = [0, 1, 2, 3, 4, 5].map((i) => type(`Rate${i}x`));
      await processBatch(
        db,
        errorJob(
          projectId,
          kinds.map((t, i) => event(`rate-${i}`, t, `r${i}`)),
        ),
        { logger, summariser: runner.summariser },
      );
      await runner.idle();
      const at = kinds
        .flatMap((t) => stub.calls(`Exception type: ${t}\n`).map((r) => r.at))
        .sort((x, y) => x - y);
      expect(at).toHaveLength(6);
      // Six calls at two per 500 ms need three windows.
      expect(at[5]! - at[0]!).toBeGreaterThanOrEqual(900);
    });
  });
}
