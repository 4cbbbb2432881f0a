import {
  type DbHandle,
  ensureBootstrap,
  events,
  getSummary,
  issueHourlyCounts,
  issues,
  rowsOf,
} from "@codewarden/drizzle";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, createTestPglite, type TestDatabase } from "../../drizzle/src/testing";
import { InvalidJobError, processBatch } from "./process-batch";
import { errorEvent, errorJob, nodeTrace } from "./testing";

const logger = pino({ level: "silent" });

interface Backend {
  name: string;
  open(): Promise<{ handle: DbHandle; close(): Promise<void> }>;
}

const backends: Backend[] = [
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

/** Three distinct bugs, six occurrences: A×3 (different deploys, lines, ids), B×2, C×1 (no stack). */
function threeBugs() {
  return [
    errorEvent({
      seed: "a1",
      message: "Cannot read properties of undefined (reading 'id')",
      stacktrace: nodeTrace("TypeError", "x", "getUser", "users.ts", 12),
    }),
    errorEvent({
      seed: "a2",
      timestamp: "2026-03-01T11:05:00.000Z",
      message: "Cannot read properties of undefined (reading 'id')",
      stacktrace: nodeTrace("TypeError", "x", "getUser", "users.ts", 14),
      resource: { ...errorEvent({ seed: "r" }).resource, serviceName: "api-canary", environment: "staging" },
    }),
    errorEvent({
      seed: "a3",
      timestamp: "2026-03-01T09:59:59.000Z",
      stacktrace: nodeTrace("TypeError", "x", "getUser", "users.ts", 99),
    }),
    errorEvent({
      seed: "b1",
      exceptionType: "Error",
      message: "connect ECONNREFUSED 10.0.0.5:5432",
      stacktrace: nodeTrace("Error", "x", "loadOrders", "orders.ts", 30),
    }),
    errorEvent({
      seed: "b2",
      exceptionType: "Error",
      message: "connect ECONNREFUSED 10.0.0.6:5432",
      stacktrace: nodeTrace("Error", "x", "loadOrders", "orders.ts", 31),
    }),
    errorEvent({
      seed: "c1",
      exceptionType: "ValueError",
      message: "user jane@example.com has invalid plan 'gold-42'",
      stacktrace: null,
      resource: { ...errorEvent({ seed: "r" }).resource, sdkLanguage: "python", serviceName: "billing" },
    }),
  ];
}

for (const backend of backends) {
  describe(`processBatch on ${backend.name}`, () => {
    let handle: DbHandle;
    let close: () => Promise<void>;
    let projectId: string;

    beforeAll(async () => {
      ({ handle, close } = await backend.open());
      projectId = (await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" })).projectId;
    });
    afterAll(async () => {
      await close?.();
    });

    const issueRows = () =>
      handle.db
        .select({
          id: issues.id,
          title: issues.title,
          culprit: issues.culprit,
          status: issues.status,
          eventCount: issues.eventCount,
          firstSeen: issues.firstSeen,
          lastSeen: issues.lastSeen,
          services: issues.services,
          environments: issues.environments,
          message: issues.message,
        })
        .from(issues)
        .where(eq(issues.projectId, projectId))
        .orderBy(issues.title);

    it("groups three distinct errors into three issues with exact counts", async () => {
      const result = await processBatch(handle.db, errorJob(projectId, threeBugs()), { logger });
      expect(result).toEqual({ inserted: 6, duplicates: 0, newIssues: 3 });

      const rows = await issueRows();
      expect(rows.map((r) => [r.title, r.eventCount])).toEqual([
        ["Error: connect ECONNREFUSED [ip]:5432", 2],
        ["TypeError: Cannot read properties of undefined (reading 'id')", 3],
        ["ValueError: user [email] has invalid plan 'gold-42'", 1],
      ]);
      const typeError = rows[1]!;
      expect(typeError.culprit).toBe("getUser (users.ts)");
      expect(typeError.firstSeen.toISOString()).toBe("2026-03-01T09:59:59.000Z");
      expect(typeError.lastSeen.toISOString()).toBe("2026-03-01T11:05:00.000Z");
      expect(typeError.services).toEqual(["api", "api-canary"]);
      expect(typeError.environments).toEqual(["production", "staging"]);
      expect(rows[2]!.culprit).toBeNull();

      const hours = await handle.db
        .select({ hour: issueHourlyCounts.hour, count: issueHourlyCounts.count })
        .from(issueHourlyCounts)
        .where(eq(issueHourlyCounts.issueId, typeError.id))
        .orderBy(issueHourlyCounts.hour);
      expect(hours.map((h) => [h.hour.toISOString(), h.count])).toEqual([
        ["2026-03-01T09:00:00.000Z", 1],
        ["2026-03-01T10:00:00.000Z", 1],
        ["2026-03-01T11:00:00.000Z", 1],
      ]);
    });

    it("stores events scrubbed, with frames as a JSON array, and a heuristic summary per new issue", async () => {
      const stored = rowsOf<{ message: string; kind: string; n: number; fn: string | null }>(
        await handle.db.execute(sql`
          select message, jsonb_typeof(frames) as kind, jsonb_array_length(frames)::int as n,
                 frames->0->>'function' as fn
          from events where project_id = ${projectId} order by message`),
      );
      expect(stored).toHaveLength(6);
      expect(stored.every((r) => r.kind === "array")).toBe(true);
      expect(stored.some((r) => r.message.includes("jane@example.com"))).toBe(false);
      expect(stored.find((r) => r.message.startsWith("user"))?.message).toBe(
        "user [email] has invalid plan 'gold-42'",
      );
      expect(stored.find((r) => r.message.startsWith("Cannot"))).toMatchObject({ n: 3, fn: "getUser" });

      for (const row of await issueRows()) {
        const summary = await getSummary(handle.db, row.id);
        expect(summary?.source).toBe("heuristic");
        expect(summary?.text.length).toBeGreaterThan(20);
      }
      const refused = (await issueRows()).find((r) => r.title.includes("ECONNREFUSED"))!;
      expect((await getSummary(handle.db, refused.id))?.likelyCause).toMatch(/not accepting connections/);
    });

    it("counts a retried job once", async () => {
      const before = await issueRows();
      const result = await processBatch(handle.db, errorJob(projectId, threeBugs()), { logger });
      expect(result).toEqual({ inserted: 0, duplicates: 6, newIssues: 0 });
      expect(await issueRows()).toEqual(before);
      const total = rowsOf<{ n: number }>(
        await handle.db.execute(sql`select coalesce(sum(count), 0)::int as n from issue_hourly_counts`),
      );
      expect(total[0]?.n).toBe(6);
    });

    it("counts an event repeated inside one job once", async () => {
      const e = errorEvent({
        seed: "dup-in-batch",
        exceptionType: "RangeError",
        message: "Invalid array length",
      });
      const result = await processBatch(handle.db, errorJob(projectId, [e, e]), { logger });
      expect(result).toEqual({ inserted: 1, duplicates: 1, newIssues: 1 });
      const row = (await issueRows()).find((r) => r.title.startsWith("RangeError"))!;
      expect(row.eventCount).toBe(1);
    });

    it("reopens a resolved issue as regressed on a new event, and leaves ignored issues ignored", async () => {
      const rows = await issueRows();
      const typeError = rows.find((r) => r.title.startsWith("TypeError"))!;
      const refused = rows.find((r) => r.title.includes("ECONNREFUSED"))!;
      await handle.db
        .update(issues)
        .set({ status: "resolved", resolvedAt: new Date() })
        .where(eq(issues.id, typeError.id));
      await handle.db.update(issues).set({ status: "ignored" }).where(eq(issues.id, refused.id));

      const again = [
        errorEvent({ seed: "a-after-resolve", timestamp: "2026-03-02T08:00:00.000Z" }),
        errorEvent({
          seed: "b-after-ignore",
          exceptionType: "Error",
          message: "connect ECONNREFUSED 10.0.0.7:5432",
          stacktrace: nodeTrace("Error", "x", "loadOrders", "orders.ts", 33),
        }),
      ];
      const result = await processBatch(handle.db, errorJob(projectId, again), { logger });
      expect(result).toEqual({ inserted: 2, duplicates: 0, newIssues: 0 });

      const after = await issueRows();
      const te = after.find((r) => r.id === typeError.id)!;
      expect(te.status).toBe("regressed");
      expect(te.eventCount).toBe(4);
      expect(te.lastSeen.toISOString()).toBe("2026-03-02T08:00:00.000Z");
      const [resolvedAt] = await handle.db
        .select({ resolvedAt: issues.resolvedAt })
        .from(issues)
        .where(eq(issues.id, typeError.id));
      expect(resolvedAt?.resolvedAt).toBeNull();
      expect(after.find((r) => r.id === refused.id)).toMatchObject({ status: "ignored", eventCount: 3 });
    });

    it("groups by codewarden.fingerprint when the application sets one", async () => {
      const result = await processBatch(
        handle.db,
        errorJob(projectId, [
          errorEvent({
            seed: "custom-1",
            exceptionType: "PaymentError",
            fingerprint: "payments-provider-down",
          }),
          errorEvent({
            seed: "custom-2",
            exceptionType: "TimeoutError",
            message: "provider timed out",
            fingerprint: "payments-provider-down",
          }),
        ]),
        { logger },
      );
      expect(result).toEqual({ inserted: 2, duplicates: 0, newIssues: 1 });
    });

    it("takes the receive time for events stamped in the future (clock skew)", async () => {
      const job = errorJob(projectId, [
        errorEvent({ seed: "future", exceptionType: "SkewError", timestamp: "2030-01-01T00:00:00.000Z" }),
      ]);
      await processBatch(handle.db, job, { logger });
      const row = (await issueRows()).find((r) => r.title.startsWith("SkewError"))!;
      expect(row.lastSeen.toISOString()).toBe(job.receivedAt);
    });

    it("stores NUL and lone surrogates in untrusted strings as U+FFFD instead of failing the batch", async () => {
      const bad = "bad \u0000 byte and lone \uD800 surrogate";
      await processBatch(
        handle.db,
        errorJob(projectId, [
          errorEvent({
            seed: "unsafe-strings",
            exceptionType: "UnsafeStringsError",
            message: bad,
            stacktrace: null,
            attributes: { [`key \uDC00`]: bad },
          }),
        ]),
        { logger },
      );
      const [row] = await handle.db
        .select({ message: events.message, attributes: events.attributes })
        .from(events)
        .where(eq(events.exceptionType, "UnsafeStringsError"));
      expect(row?.message).toBe("bad \uFFFD byte and lone \uFFFD surrogate");
      expect(row?.attributes).toEqual({ "key \uFFFD": "bad \uFFFD byte and lone \uFFFD surrogate" });
    });

    it("rejects an invalid job with InvalidJobError and stores nothing", async () => {
      const before = await issueRows();
      await expect(
        processBatch(handle.db, { v: 1, projectId, errors: [] }, { logger }),
      ).rejects.toBeInstanceOf(InvalidJobError);
      await expect(processBatch(handle.db, "not a job", { logger })).rejects.toBeInstanceOf(InvalidJobError);
      const bad = errorJob(projectId, [errorEvent({ seed: "bad", eventKey: "not-hex" })]);
      await expect(processBatch(handle.db, bad, { logger })).rejects.toThrow(/eventKey/);
      expect(await issueRows()).toEqual(before);
    });

    it("rejects a job for a project that no longer exists as unrecoverable", async () => {
      const job = errorJob("00000000-0000-4000-8000-000000000000", [errorEvent({ seed: "ghost" })]);
      await expect(processBatch(handle.db, job, { logger })).rejects.toThrow(InvalidJobError);
    });
  });
}
