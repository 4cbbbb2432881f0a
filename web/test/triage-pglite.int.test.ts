import {
  countIssuesByListStatus,
  type DbHandle,
  decodeIssueCursor,
  ensureBootstrap,
  getIssueEventNavigation,
  issueCountSeries,
  issueTagBreakdown,
  listAuditLog,
  listIssueFilterValues,
  schema,
  searchIssues,
  updateIssuesStatus,
} from "@codewarden/drizzle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../drizzle/src/testing";

/** The triage queries on embedded PGlite (the all-in-one mode), not only on Postgres. */

let handle: DbHandle;
let projectId: string;
let orgId: string;
let adminUserId: string;
const ids: string[] = [];

beforeAll(async () => {
  handle = await createTestPglite();
  const boot = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" });
  projectId = boot.projectId;
  orgId = boot.orgId;
  adminUserId = boot.adminUserId;
  const base = Date.parse("2025-03-10T12:00:00.000Z");
  for (let i = 0; i < 7; i++) {
    const [row] = await handle.db
      .insert(schema.issues)
      .values({
        projectId,
        fingerprint: `fp-${i}`,
        fingerprintVersion: 1,
        title: i === 3 ? "Error: 100% broken" : `Error: number_${i}`,
        exceptionType: "Error",
        message: "m",
        status: i === 6 ? "resolved" : "unresolved",
        eventCount: i % 3,
        userCount: i,
        firstSeen: new Date(base - 86_400_000),
        lastSeen: new Date(base - (i % 2) * 60_000),
        services: i % 2 ? ["api"] : ["worker"],
        environments: ["production"],
        lastRelease: i < 2 ? "1.2.0" : null,
      })
      .returning({ id: schema.issues.id });
    ids.push(row!.id);
  }
  await handle.db.insert(schema.issueHourlyCounts).values([
    { issueId: ids[0]!, hour: new Date("2025-03-10T11:00:00Z"), count: 4 },
    { issueId: ids[0]!, hour: new Date("2025-03-09T01:00:00Z"), count: 9 },
  ]);
  for (let i = 0; i < 3; i++) {
    await handle.db.insert(schema.events).values({
      projectId,
      issueId: ids[0]!,
      eventKey: `k-${i}`,
      source: "span_event",
      timestamp: new Date(base - i * 1000),
      serviceName: i < 2 ? "api" : "worker",
      serviceVersion: "1.2.0",
      environment: "production",
      exceptionType: "Error",
      message: `e${i}`,
      frames: [],
      attributes: { "http.route": "/x", "user.id": `u${i % 2}` },
      resource: { hostName: "h1" },
    });
  }
});

afterAll(async () => {
  await handle?.close();
});

describe("triage queries on PGlite", () => {
  it("searches with escaped wildcards, filters and pages by every sort", async () => {
    const found = await searchIssues(handle.db, {
      projectId,
      status: "all",
      sort: "lastSeen",
      limit: 10,
      search: "%",
    });
    expect(found.issues.map((i) => i.title)).toEqual(["Error: 100% broken"]);
    const underscore = await searchIssues(handle.db, {
      projectId,
      status: "all",
      sort: "lastSeen",
      limit: 10,
      search: "r_",
    });
    expect(underscore.issues).toHaveLength(6);
    for (const sort of ["lastSeen", "firstSeen", "events", "users"] as const) {
      const seen: string[] = [];
      let cursor = null;
      for (let page = 0; page < 10; page++) {
        const p = await searchIssues(handle.db, { projectId, status: "all", sort, limit: 3, cursor });
        seen.push(...p.issues.map((i) => i.id));
        if (!p.nextCursor) break;
        cursor = decodeIssueCursor(p.nextCursor);
      }
      expect(seen.sort(), sort).toEqual([...ids].sort());
    }
    const api = await searchIssues(handle.db, {
      projectId,
      status: "unresolved",
      sort: "users",
      limit: 10,
      service: "api",
      release: "1.2.0",
    });
    expect(api.issues.map((i) => i.id)).toEqual([ids[1]]);
  });

  it("counts per tab and lists filter values", async () => {
    expect(await countIssuesByListStatus(handle.db, { projectId })).toEqual({
      unresolved: 6,
      regressed: 0,
      resolved: 1,
      ignored: 0,
      all: 7,
    });
    expect(await listIssueFilterValues(handle.db, { projectId })).toEqual({
      services: ["api", "worker"],
      environments: ["production"],
      releases: ["1.2.0"],
    });
  });

  it("buckets hourly counts, breaks down tags and steps through events", async () => {
    const series = await issueCountSeries(handle.db, {
      issueIds: [ids[0]!, ids[1]!],
      window: { start: new Date("2025-02-25T00:00:00Z"), bucketMs: 86_400_000, buckets: 14 },
    });
    expect(series.get(ids[0]!)?.slice(12)).toEqual([9, 4]);
    expect(series.get(ids[1]!)).toEqual(new Array(14).fill(0));
    const tags = await issueTagBreakdown(handle.db, { issueId: ids[0]! });
    expect(tags.sampled).toBe(3);
    expect(tags.tags.find((t) => t.key === "service")?.values).toEqual([
      { value: "api", count: 2 },
      { value: "worker", count: 1 },
    ]);
    expect(tags.tags.find((t) => t.key === "host")?.values).toEqual([{ value: "h1", count: 3 }]);
    const nav = await getIssueEventNavigation(handle.db, { issueId: ids[0]!, eventId: null });
    expect(nav.event?.message).toBe("e0");
    expect(nav.storedCount).toBe(3);
    const older = await getIssueEventNavigation(handle.db, { issueId: ids[0]!, eventId: nav.olderId });
    expect(older.event?.message).toBe("e1");
    expect(older.newerId).toBe(nav.event?.id);
  });

  it("changes statuses in bulk with audit rows", async () => {
    const changed = await updateIssuesStatus(handle.db, {
      projectId,
      issueIds: [ids[2]!, ids[3]!],
      scope: { orgId },
      status: "ignored",
      actor: { type: "user", userId: adminUserId },
      ip: null,
    });
    expect(changed.sort()).toEqual([ids[2]!, ids[3]!].sort());
    expect(await listAuditLog(handle.db, { orgId, targetId: ids[2]! })).toHaveLength(1);
  });
});
