import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../client";
import { TEST_BACKENDS } from "../testing";
import { ensureBootstrap } from "./bootstrap";
import { pruneExpired } from "./retention";
import { cacheLlmSummary, getCachedLlmSummary, releaseLlmCall, reserveLlmCall } from "./summaries";

describe.each(TEST_BACKENDS)("the LLM daily budget on $name", (backend) => {
  let close: () => Promise<void>;
  let db: Db;
  let projectId: string;

  beforeAll(async () => {
    const opened = await backend.open();
    close = opened.close;
    db = opened.handle.db;
    ({ projectId } = await ensureBootstrap(db, { adminEmail: "admin@example.com" }));
  });
  afterAll(async () => {
    await close?.();
  });

  it("grants exactly the budget to concurrent reservations, per day, and takes back a released call", async () => {
    const day = "2026-11-02";
    const granted = await Promise.all(
      Array.from({ length: 8 }, () => reserveLlmCall(db, { projectId, day, budget: 3 })),
    );
    expect(granted.filter(Boolean)).toHaveLength(3);
    expect(await reserveLlmCall(db, { projectId, day, budget: 3 })).toBe(false);
    // Another day has a budget of its own; a budget of 0 grants nothing.
    expect(await reserveLlmCall(db, { projectId, day: "2026-11-03", budget: 3 })).toBe(true);
    expect(await reserveLlmCall(db, { projectId, day: "2026-11-04", budget: 0 })).toBe(false);
    // A call that failed is given back and may be made again, once.
    await releaseLlmCall(db, { projectId, day });
    expect(await reserveLlmCall(db, { projectId, day, budget: 3 })).toBe(true);
    expect(await reserveLlmCall(db, { projectId, day, budget: 3 })).toBe(false);
  });

  it("prunes budget days and cached answers older than the retention period", async () => {
    expect(await reserveLlmCall(db, { projectId, day: "2020-01-01", budget: 1 })).toBe(true);
    const answer = {
      model: "m",
      title: "t",
      text: "x",
      likelyCause: null,
      suggestedFix: null,
      confidence: 0.5,
    };
    await cacheLlmSummary(db, { projectId, promptDigest: "old-digest", ...answer });
    await db.execute(
      sql`update llm_summary_cache set created_at = '2020-01-01T00:00:00Z' where prompt_digest = 'old-digest'`,
    );
    await cacheLlmSummary(db, { projectId, promptDigest: "recent-digest", ...answer });
    const pruned = await pruneExpired(db, {
      eventRetentionDays: 30,
      eventKeyWindowHours: 24,
      now: new Date("2026-11-05T00:00:00Z"),
    });
    expect(pruned).toMatchObject({ ran: true, llmBudgetDays: 1, llmCachedAnswers: 1 });
    expect(await getCachedLlmSummary(db, { projectId, promptDigest: "old-digest" })).toBeNull();
    expect(await getCachedLlmSummary(db, { projectId, promptDigest: "recent-digest" })).not.toBeNull();
    // The days inside the period stay: their budget is still spent.
    expect(await reserveLlmCall(db, { projectId, day: "2026-11-02", budget: 3 })).toBe(false);
  });
});
