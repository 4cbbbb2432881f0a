import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type DbHandle, ensureBootstrap, getSummary, issues } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, createTestPglite, type TestDatabase } from "../../../drizzle/src/testing";
import { processBatch } from "../process-batch";
import { errorEvent, errorJob, nodeTrace } from "../testing";
import { createLlmSummariser, type LlmConfig } from "./llm";

const logger = pino({ level: "silent" });

/** A stand-in OpenAI-compatible endpoint: records requests, answers as told. */
function fakeLlmServer() {
  const requests: Array<{
    auth: string | undefined;
    body: { model: string; messages: Array<{ content: string }> };
  }> = [];
  let mode: "ok" | "fail" = "ok";
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      if (req.url !== "/v1/chat/completions" || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw);
      requests.push({ auth: req.headers.authorization, body });
      if (mode === "fail") {
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"boom"}');
        return;
      }
      const content = JSON.stringify({
        summary: `LLM summary #${requests.length}`,
        likelyCause: "cause from the model",
        suggestedFix: "fix from the model",
      });
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
    });
  });
  return {
    requests,
    setMode: (m: "ok" | "fail") => {
      mode = m;
    },
    start: () =>
      new Promise<string>((r) =>
        server.listen(0, "127.0.0.1", () =>
          r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`),
        ),
      ),
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const backends = [
  {
    name: "postgres",
    async open() {
      const t: TestDatabase = await createTestDatabase();
      return { handle: t.handle, close: () => t.drop() };
    },
  },
  {
    name: "pglite",
    async open() {
      const handle = await createTestPglite();
      return { handle, close: () => handle.close() };
    },
  },
];

for (const backend of backends) {
  describe(`LLM summaries on ${backend.name}`, () => {
    const llm = fakeLlmServer();
    let handle: DbHandle;
    let close: () => Promise<void>;
    let projectId: string;
    let config: LlmConfig;

    beforeAll(async () => {
      const baseUrl = await llm.start();
      config = {
        baseUrl,
        apiKey: "sk-test-key",
        model: "test-model",
        timeoutMs: 5000,
        dailyBudgetPerProject: 3,
      };
      ({ handle, close } = await backend.open());
      projectId = (await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" })).projectId;
    });
    afterAll(async () => {
      await llm.stop();
      await close?.();
    });
    beforeEach(() => {
      llm.setMode("ok");
    });

    const bug = (seed: string, fn: string) =>
      errorEvent({
        seed,
        message: "user alice@example.com missing",
        stacktrace: nodeTrace("TypeError", "x", fn, "a.ts", 3),
      });
    const issueId = async (fn: string) => {
      const [row] = await handle.db
        .select({ id: issues.id })
        .from(issues)
        .where(eq(issues.culprit, `${fn} (a.ts)`));
      return row!.id;
    };

    it("calls the model once per new issue, not per event, and stores its summary", async () => {
      const summariser = createLlmSummariser(config, { logger });
      const job = errorJob(projectId, [
        bug("l1", "alpha"),
        bug("l2", "alpha"),
        bug("l3", "alpha"),
        bug("l4", "beta"),
      ]);
      expect(await processBatch(handle.db, job, { logger, summariser })).toMatchObject({
        inserted: 4,
        newIssues: 2,
      });
      expect(llm.requests).toHaveLength(2);
      expect(llm.requests[0]?.auth).toBe("Bearer sk-test-key");
      expect(llm.requests[0]?.body.model).toBe("test-model");
      const prompt = llm.requests.map((r) => r.body.messages[1]?.content).join("\n");
      expect(prompt).not.toContain("alice@example.com");

      const s = await getSummary(handle.db, await issueId("alpha"));
      expect(s).toMatchObject({ source: "llm", model: "test-model", likelyCause: "cause from the model" });

      // A retried job creates nothing and calls nothing.
      await processBatch(handle.db, job, { logger, summariser });
      expect(llm.requests).toHaveLength(2);
    });

    it("keeps the heuristic summary when the model fails", async () => {
      llm.setMode("fail");
      const summariser = createLlmSummariser(config, { logger });
      const before = llm.requests.length;
      await processBatch(handle.db, errorJob(projectId, [bug("f1", "gamma")]), { logger, summariser });
      expect(llm.requests.length).toBe(before + 1);
      expect(await getSummary(handle.db, await issueId("gamma"))).toMatchObject({
        source: "heuristic",
        model: null,
      });
    });

    it("summarises a regression once, within the daily budget", async () => {
      const summariser = createLlmSummariser(config, { logger });
      const alpha = await issueId("alpha");
      await handle.db.update(issues).set({ status: "resolved" }).where(eq(issues.id, alpha));
      const before = llm.requests.length;
      await processBatch(handle.db, errorJob(projectId, [bug("r1", "alpha"), bug("r2", "alpha")]), {
        logger,
        summariser,
      });
      expect(llm.requests.length).toBe(before + 1);
      expect(llm.requests.at(-1)?.body.messages[1]?.content).toContain("has occurred again");
      expect((await getSummary(handle.db, alpha))?.text).toBe(`LLM summary #${llm.requests.length}`);

      // Budget 3 counts issues with an LLM summary written today: alpha, beta, then delta fits;
      // epsilon stays heuristic.
      await processBatch(handle.db, errorJob(projectId, [bug("d1", "delta")]), { logger, summariser });
      expect((await getSummary(handle.db, await issueId("delta")))?.source).toBe("llm");
      const after = llm.requests.length;
      await processBatch(handle.db, errorJob(projectId, [bug("e1", "epsilon")]), { logger, summariser });
      expect(llm.requests.length).toBe(after);
      expect((await getSummary(handle.db, await issueId("epsilon")))?.source).toBe("heuristic");
    });
  });
}
