import { ensureBootstrap, issueHourlyCounts, issues, rowsOf } from "@codewarden/drizzle";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { processBatch } from "./process-batch";
import { errorEvent, errorJob, nodeTrace } from "./testing";

const logger = pino({ level: "silent" });

describe("processBatch under concurrency (Postgres)", () => {
  let db: TestDatabase;
  let projectId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    projectId = (await ensureBootstrap(db.handle.db, { adminEmail: "admin@localhost" })).projectId;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates each issue once and counts each event once when batches race", async () => {
    // 8 batches at once; each carries the same two new bugs (in different orders), 5 events of
    // its own per bug, and 3 events that every batch carries (a retried request).
    const shared = [0, 1, 2].map((i) => errorEvent({ seed: `shared-${i}` }));
    const jobs = Array.from({ length: 8 }, (_, b) => {
      const own = Array.from({ length: 5 }, (_, i) => [
        errorEvent({ seed: `b${b}-a${i}` }),
        errorEvent({
          seed: `b${b}-b${i}`,
          exceptionType: "Error",
          message: "connect ECONNREFUSED",
          stacktrace: nodeTrace("Error", "x", "loadOrders", "orders.ts", 30 + i),
        }),
      ]).flat();
      const events = [...shared, ...own];
      return errorJob(projectId, b % 2 === 0 ? events : events.reverse());
    });

    const results = await Promise.all(jobs.map((j) => processBatch(db.handle.db, j, { logger })));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(8 * 10 + 3);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(7 * 3);
    expect(results.reduce((n, r) => n + r.newIssues, 0)).toBe(2);

    const rows = await db.handle.db
      .select({ id: issues.id, type: issues.exceptionType, count: issues.eventCount })
      .from(issues)
      .where(eq(issues.projectId, projectId))
      .orderBy(issues.exceptionType);
    expect(rows.map((r) => [r.type, r.count])).toEqual([
      ["Error", 40],
      ["TypeError", 43],
    ]);
    const events = rowsOf<{ n: number }>(
      await db.handle.db.execute(sql`select count(*)::int as n from events where project_id = ${projectId}`),
    );
    expect(events[0]?.n).toBe(83);
    const hourly = await db.handle.db
      .select({ count: issueHourlyCounts.count })
      .from(issueHourlyCounts)
      .where(eq(issueHourlyCounts.issueId, rows[1]!.id));
    expect(hourly.map((h) => h.count)).toEqual([43]);
  });
});
