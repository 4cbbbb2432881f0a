import {
  type DbHandle,
  ensureBootstrap,
  eventKeys,
  events,
  issueHourlyCounts,
  issues,
  NoReleaseError,
  pruneExpired,
  setInAppRules,
  updateIssueStatus,
} from "@codewarden/drizzle";
import { and, asc, eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_BACKENDS } from "../../drizzle/src/testing";
import { computeFingerprint } from "./fingerprint";
import { processBatch } from "./process-batch";
import { createScrubber } from "./scrub";
import { errorEvent, errorJob } from "./testing";

const logger = pino({ level: "silent" });

const backends = TEST_BACKENDS;

/** `n` events of one issue (fixed fingerprint) at `minute` past 10:00 and onward, one per second. */
function occurrences(
  fingerprint: string,
  n: number,
  opts: { seed?: string; at?: string; version?: string | null } = {},
) {
  const base = Date.parse(opts.at ?? "2026-03-01T10:00:00.000Z");
  return Array.from({ length: n }, (_, i) => {
    const e = errorEvent({ seed: `${opts.seed ?? fingerprint}-${i}` });
    return {
      ...e,
      fingerprint,
      timestamp: new Date(base + i * 1000).toISOString(),
      resource: { ...e.resource, serviceVersion: opts.version === undefined ? "1.0.0" : opts.version },
    };
  });
}

for (const backend of backends) {
  describe(`bounded storage and issue lifecycle on ${backend.name}`, () => {
    let handle: DbHandle;
    let close: () => Promise<void>;
    let projectId: string;
    let orgId: string;

    beforeAll(async () => {
      ({ handle, close } = await backend.open());
      ({ projectId, orgId } = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" }));
    });
    afterAll(async () => {
      await close?.();
    });

    const issueOf = async (fingerprint: string) => {
      const [row] = await handle.db
        .select()
        .from(issues)
        .where(
          and(
            eq(issues.projectId, projectId),
            eq(
              issues.fingerprint,
              computeFingerprint({ exceptionType: "", message: "", frames: [], fingerprint }),
            ),
          ),
        );
      if (!row) throw new Error(`no issue for ${fingerprint}`);
      return row;
    };
    const storedBodies = async (issueId: string) =>
      (await handle.db.select({ id: events.id }).from(events).where(eq(events.issueId, issueId))).length;
    const setStatus = (
      issueId: string,
      status: "resolved" | "ignored" | "unresolved",
      extra: { resolution?: "now" | "next_release"; ignoreMoreEvents?: number } = {},
    ) =>
      updateIssueStatus(handle.db, {
        issueId,
        scope: { orgId },
        status,
        ...extra,
        actor: { type: "api_token", tokenId: "00000000-0000-0000-0000-000000000000" },
        ip: null,
      });
    const store = (errors: ReturnType<typeof occurrences>, eventsPerIssueHour = 100) =>
      processBatch(handle.db, errorJob(projectId, errors), { logger, eventsPerIssueHour });

    it("keeps full bodies up to the per-issue hourly cap and counts every event exactly", async () => {
      const tenAt10 = occurrences("cap", 10);
      const twoAt11 = occurrences("cap", 2, { seed: "cap-11", at: "2026-03-01T11:30:00.000Z" });
      expect(await store([...tenAt10, ...twoAt11], 3)).toMatchObject({ inserted: 12, duplicates: 0 });
      const issue = await issueOf("cap");
      expect(issue.eventCount).toBe(12);
      expect(await storedBodies(issue.id)).toBe(5); // 3 of 10:00, 2 of 11:00
      const hours = await handle.db
        .select({ hour: issueHourlyCounts.hour, count: issueHourlyCounts.count })
        .from(issueHourlyCounts)
        .where(eq(issueHourlyCounts.issueId, issue.id))
        .orderBy(asc(issueHourlyCounts.hour));
      expect(hours.map((h) => h.count)).toEqual([10, 2]);

      // The first bodies of the hour are the ones kept.
      const kept = await handle.db
        .select({ t: events.timestamp })
        .from(events)
        .where(eq(events.issueId, issue.id))
        .orderBy(asc(events.timestamp));
      expect(kept.slice(0, 3).map((r) => r.t.toISOString())).toEqual(
        tenAt10.slice(0, 3).map((e) => e.timestamp),
      );

      // A later batch in a full hour is counted, not stored; a retry of everything counts nothing.
      expect(
        await store(occurrences("cap", 4, { seed: "cap-late", at: "2026-03-01T10:40:00.000Z" }), 3),
      ).toMatchObject({
        inserted: 4,
      });
      expect(await store([...tenAt10, ...twoAt11], 3)).toMatchObject({ inserted: 0, duplicates: 12 });
      expect((await issueOf("cap")).eventCount).toBe(16);
      expect(await storedBodies(issue.id)).toBe(5);
      const keys = await handle.db
        .select({ n: sql<number>`count(*)::int` })
        .from(eventKeys)
        .where(eq(eventKeys.projectId, projectId));
      expect(Number(keys[0]!.n)).toBeGreaterThanOrEqual(16);
    });

    it("tracks first and last release and distinct affected users", async () => {
      const [a, b, c, d] = occurrences("users", 4);
      const batch: ReturnType<typeof occurrences> = [
        { ...a!, attributes: { "user.id": "u-1" }, resource: { ...a!.resource, serviceVersion: "1.0.0" } },
        { ...c!, attributes: { "user.id": "u-2" }, resource: { ...c!.resource, serviceVersion: "1.2.0" } },
        { ...b!, attributes: { "user.id": "u-1" }, resource: { ...b!.resource, serviceVersion: "1.1.0" } },
        { ...d!, attributes: { "enduser.id": "u-3" }, resource: { ...d!.resource, serviceVersion: null } },
      ];
      await store(batch);
      let issue = await issueOf("users");
      expect(issue.userCount).toBe(3);
      expect(issue.firstRelease).toBe("1.0.0");
      expect(issue.lastRelease).toBe("1.2.0"); // the latest event without a release does not erase it
      const later = occurrences("users", 1, {
        seed: "users-later",
        at: "2026-03-02T00:00:00.000Z",
        version: "2.0.0",
      });
      await store([{ ...later[0]!, attributes: { "user.id": "u-1" } }]);
      issue = await issueOf("users");
      expect(issue.userCount).toBe(3);
      expect(issue.lastRelease).toBe("2.0.0");
      expect(issue.firstRelease).toBe("1.0.0");
    });

    it("resolved now: any new event reopens the issue as regressed", async () => {
      await store(occurrences("now", 1));
      const issue = await issueOf("now");
      const updated = await setStatus(issue.id, "resolved");
      expect(updated).toMatchObject({ status: "resolved", resolution: "now", resolvedInRelease: null });
      const result = await store(occurrences("now", 1, { seed: "now-again", version: "1.0.0" }));
      expect(result.inserted).toBe(1);
      expect(await issueOf("now")).toMatchObject({ status: "regressed", resolution: null, resolvedAt: null });
    });

    it("resolved in next release: events of the old release (or none) do not reopen, a new release does", async () => {
      await store(occurrences("next", 2, { version: "1.0.0" }));
      const issue = await issueOf("next");
      const updated = await setStatus(issue.id, "resolved", { resolution: "next_release" });
      expect(updated).toMatchObject({
        status: "resolved",
        resolution: "next_release",
        resolvedInRelease: "1.0.0",
      });

      // Hour full (cap 2): old-release events are counted, the issue stays resolved.
      await store(
        occurrences("next", 3, { seed: "next-old", version: "1.0.0", at: "2026-03-01T10:10:00.000Z" }),
        2,
      );
      await store(
        occurrences("next", 1, { seed: "next-none", version: null, at: "2026-03-01T10:20:00.000Z" }),
        2,
      );
      expect(await issueOf("next")).toMatchObject({ status: "resolved", eventCount: 6 });
      expect(await storedBodies(issue.id)).toBe(2);

      // A new release reopens it, and that event's body is kept although the hour is full.
      const fresh = await store(
        occurrences("next", 2, { seed: "next-new", version: "1.1.0", at: "2026-03-01T10:30:00.000Z" }),
        2,
      );
      expect(fresh.inserted).toBe(2);
      expect(await issueOf("next")).toMatchObject({
        status: "regressed",
        resolution: null,
        resolvedInRelease: null,
        eventCount: 8,
        lastRelease: "1.1.0",
      });
      expect(await storedBodies(issue.id)).toBe(3);
    });

    it("resolve in next release needs a release", async () => {
      await store(occurrences("no-release", 1, { version: null }));
      const issue = await issueOf("no-release");
      await expect(setStatus(issue.id, "resolved", { resolution: "next_release" })).rejects.toBeInstanceOf(
        NoReleaseError,
      );
      expect((await issueOf("no-release")).status).toBe("unresolved");
    });

    it("ignored until N more events: comes back unresolved when they arrive", async () => {
      await store(occurrences("ignore", 5));
      const issue = await issueOf("ignore");
      expect(await setStatus(issue.id, "ignored", { ignoreMoreEvents: 3 })).toMatchObject({
        status: "ignored",
        ignoreUntilCount: 8,
      });
      await store(occurrences("ignore", 2, { seed: "ignore-b" }));
      expect(await issueOf("ignore")).toMatchObject({ status: "ignored", eventCount: 7 });
      await store(occurrences("ignore", 1, { seed: "ignore-c" }));
      expect(await issueOf("ignore")).toMatchObject({
        status: "unresolved",
        eventCount: 8,
        ignoreUntilCount: null,
      });

      // Ignored without a count stays ignored.
      await setStatus(issue.id, "ignored");
      await store(occurrences("ignore", 20, { seed: "ignore-d" }));
      expect(await issueOf("ignore")).toMatchObject({ status: "ignored", eventCount: 28 });
    });

    it("scrubs with the configured rules", async () => {
      const [e] = occurrences("scrub", 1);
      const event = {
        ...e!,
        message: "no plan for jane@example.com at 10.0.0.7",
        attributes: { "user.ssn": "1" },
      };
      await processBatch(handle.db, errorJob(projectId, [event]), {
        logger,
        scrubber: createScrubber({ rules: ["ip"], extraKeys: ["ssn"] }),
      });
      const [row] = await handle.db
        .select({ message: events.message, attributes: events.attributes })
        .from(events)
        .where(eq(events.issueId, (await issueOf("scrub")).id));
      expect(row).toEqual({
        message: "no plan for jane@example.com at [ip]",
        attributes: { "user.ssn": "[redacted]" },
      });
    });

    it("applies the project's in-app overrides to frames and grouping", async () => {
      const actor = {
        userId: (await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" })).adminUserId,
        ip: null,
      };
      const trace = `TypeError: boom
    at render (/srv/app/node_modules/@acme/ui/dist/render.js:10:5)
    at handle (/srv/app/src/routes/orders.ts:20:3)`;
      const event = (seed: string) => ({ ...errorEvent({ seed }), message: "boom", stacktrace: trace });
      await processBatch(handle.db, errorJob(projectId, [event("inapp-1")]), { logger });
      await setInAppRules(handle.db, {
        orgId,
        projectId,
        rules: { include: ["@acme/*"], exclude: [] },
        actor,
      });
      await processBatch(handle.db, errorJob(projectId, [event("inapp-2")]), { logger });
      await setInAppRules(handle.db, { orgId, projectId, rules: { include: [], exclude: [] }, actor });
      const rows = await handle.db
        .select({ key: events.eventKey, frames: events.frames, issueId: events.issueId })
        .from(events)
        .where(eq(events.message, "boom"));
      const byKey = new Map(rows.map((r) => [r.key, r]));
      const before = byKey.get(errorEvent({ seed: "inapp-1" }).eventKey)!;
      const after = byKey.get(errorEvent({ seed: "inapp-2" }).eventKey)!;
      expect(before.frames.map((f) => f.inApp)).toEqual([false, true]);
      expect(after.frames.map((f) => f.inApp)).toEqual([true, true]);
      // The top in-app frame is now the library's: a different issue.
      expect(after.issueId).not.toBe(before.issueId);
    });

    it("prunes bodies past retention and keys past the retry window, keeping issues and counts", async () => {
      await store(occurrences("old", 4));
      const issue = await issueOf("old");
      await handle.db.execute(
        sql`update ${events} set received_at = now() - interval '40 days' where issue_id = ${issue.id}`,
      );
      await handle.db.execute(
        sql`update ${eventKeys} set seen_at = now() - interval '3 days' where project_id = ${projectId}`,
      );
      const keysBefore = (await handle.db.select({ k: eventKeys.eventKey }).from(eventKeys)).length;
      const result = await pruneExpired(handle.db, {
        eventRetentionDays: 30,
        eventKeyWindowHours: 48,
        batchSize: 3,
      });
      expect(result.ran).toBe(true);
      expect(result.events).toBe(4);
      expect(result.eventKeys).toBe(keysBefore);
      expect(await storedBodies(issue.id)).toBe(0);
      expect((await issueOf("old")).eventCount).toBe(4);
      // Events of other issues are younger than the retention period: still there.
      expect(await storedBodies((await issueOf("cap")).id)).toBe(5);
    });
  });
}
