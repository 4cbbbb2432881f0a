import { generateSecret, hashSecret, secretHint } from "@codewarden/common";
import { listAuditLog, schema } from "@codewarden/drizzle";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedEvent, seedIssue, seedOtherOrg, seedSummary, startTestWeb, type TestWeb } from "./helpers";

let t: TestWeb;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

/** DESIGN.md's issue fields, plus the lifecycle fields added with issue 4 (additive). */
const ISSUE_KEYS = [
  "culprit",
  "environments",
  "eventCount",
  "exceptionType",
  "firstRelease",
  "firstSeen",
  "id",
  "ignoreUntilCount",
  "lastRelease",
  "lastSeen",
  "message",
  "resolution",
  "resolvedInRelease",
  "services",
  "status",
  "summary",
  "title",
  "userCount",
];
const EVENT_KEYS = [
  "environment",
  "exceptionType",
  "frames",
  "id",
  "message",
  "serviceName",
  "serviceVersion",
  "spanId",
  "stacktrace",
  "timestamp",
  "traceId",
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function api(path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = t.boot.apiTokenValue, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const res = await fetch(`${t.base}${path}`, { ...rest, headers });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies; the assertions check their shape
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

beforeAll(async () => {
  t = await startTestWeb();
  other = await seedOtherOrg(t.db);
});

afterAll(async () => {
  await t?.close();
});

describe("authentication", () => {
  it.each([
    ["no header", null],
    ["an unknown token", "cw_at_thisTokenDoesNotExist0000000000000"],
    ["a malformed header value", "not a token at all"],
  ])("answers 401 with a JSON error for %s", async (_name, token) => {
    const res = await api("/api/v1/projects", { token });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });

  it("refuses a revoked token", async () => {
    const token = generateSecret("cw_at_");
    await t.db.insert(schema.apiTokens).values({
      orgId: t.boot.orgId,
      name: "revoked",
      tokenHash: hashSecret(token),
      tokenHint: secretHint(token),
      revokedAt: new Date(),
    });
    expect((await api("/api/v1/projects", { token })).status).toBe(401);
  });

  it("records when a token was last used", async () => {
    await api("/api/v1/projects");
    const [row] = await t.db
      .select({ lastUsedAt: schema.apiTokens.lastUsedAt })
      .from(schema.apiTokens)
      .where(eq(schema.apiTokens.tokenHash, hashSecret(t.boot.apiTokenValue)));
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });

  it("answers unknown API paths with a JSON 404", async () => {
    const res = await api("/api/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});

describe("GET /api/v1/projects", () => {
  it("lists only the token's organisation's projects", async () => {
    const res = await api("/api/v1/projects");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({ projects: [{ slug: "default", name: "Default" }] });
    const theirs = await api("/api/v1/projects", { token: other.token });
    expect(theirs.body).toEqual({ projects: [{ slug: other.project.slug, name: "Secret project" }] });
  });

  it("answers 405 to other methods", async () => {
    const res = await api("/api/v1/projects", { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
  });
});

describe("GET /api/v1/projects/:slug/issues", () => {
  let projectId: string;
  const open: string[] = [];
  let regressedId: string;
  let resolvedId: string;
  let ignoredId: string;

  beforeAll(async () => {
    const [p] = await t.db
      .insert(schema.projects)
      .values({ orgId: t.boot.orgId, slug: "paging", name: "Paging" })
      .returning();
    projectId = p!.id;
    const base = Date.parse("2025-01-01T12:00:00.000Z");
    // 30 open issues; several share one last_seen so the id tie-break matters.
    for (let i = 0; i < 30; i++) {
      const lastSeen = new Date(base - (i < 6 ? 0 : i) * 60_000);
      open.push(await seedIssue(t.db, projectId, { lastSeen, title: `Open ${i}` }));
    }
    regressedId = await seedIssue(t.db, projectId, {
      status: "regressed",
      lastSeen: new Date(base - 3_600_000),
    });
    resolvedId = await seedIssue(t.db, projectId, { status: "resolved" });
    ignoredId = await seedIssue(t.db, projectId, { status: "ignored" });
    await seedSummary(t.db, open[0]!, {
      source: "heuristic",
      likelyCause: null,
      suggestedFix: null,
      text: "TypeError in handler",
    });
    // Sub-millisecond differences: the cursor must keep Postgres's microseconds.
    await t.db.execute(
      sql`update issues set last_seen = last_seen + (interval '1 microsecond' * (ascii(right(id::text, 1)) % 7)) where id in (${sql.join(
        open.slice(0, 6).map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
  });

  it("returns unresolved (and regressed) issues, newest first, 25 by default, with the documented fields", async () => {
    const res = await api("/api/v1/projects/paging/issues");
    expect(res.status).toBe(200);
    expect(res.body.issues).toHaveLength(25);
    expect(typeof res.body.nextCursor).toBe("string");
    for (const issue of res.body.issues) {
      expect(Object.keys(issue).sort()).toEqual(ISSUE_KEYS);
      expect(issue.firstSeen).toMatch(ISO);
      expect(issue.lastSeen).toMatch(ISO);
      expect(["unresolved", "regressed"]).toContain(issue.status);
    }
    const seen = res.body.issues.map((i: { lastSeen: string }) => Date.parse(i.lastSeen));
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("pages through every open issue exactly once with the cursor", async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const res = await api(`/api/v1/projects/paging/issues?limit=4${q}`);
      expect(res.status).toBe(200);
      expect(res.body.issues.length).toBeLessThanOrEqual(4);
      ids.push(...res.body.issues.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...open, regressedId]));
    expect(pages).toBe(8); // 31 issues in pages of 4
  });

  it("filters by status", async () => {
    const ids = async (status: string) =>
      (await api(`/api/v1/projects/paging/issues?status=${status}&limit=100`)).body.issues.map(
        (i: { id: string }) => i.id,
      );
    expect(await ids("resolved")).toEqual([resolvedId]);
    expect(await ids("ignored")).toEqual([ignoredId]);
    expect(await ids("all")).toHaveLength(33);
    expect(await ids("unresolved")).toContain(regressedId);
  });

  it("includes the summary, or null", async () => {
    const res = await api("/api/v1/projects/paging/issues?limit=100");
    const byId = new Map(res.body.issues.map((i: { id: string }) => [i.id, i]));
    expect((byId.get(open[0]!) as { summary: unknown }).summary).toEqual({
      source: "heuristic",
      title: null,
      text: "TypeError in handler",
      likelyCause: null,
      suggestedFix: null,
      confidence: null,
    });
    expect((byId.get(open[1]!) as { summary: unknown }).summary).toBeNull();
  });

  it("caps limit at 100", async () => {
    const rows = Array.from({ length: 101 }, (_, i) => ({
      projectId,
      fingerprint: `bulk-${i}`,
      fingerprintVersion: 1,
      title: `Bulk ${i}`,
      exceptionType: "Error",
      message: "bulk",
      status: "ignored" as const,
      firstSeen: new Date(0),
      lastSeen: new Date(1_000 * i),
    }));
    await t.db.insert(schema.issues).values(rows);
    const res = await api("/api/v1/projects/paging/issues?status=ignored&limit=500");
    expect(res.status).toBe(200);
    expect(res.body.issues).toHaveLength(100);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  it.each([
    ["status=bogus"],
    ["limit=0"],
    ["limit=abc"],
    ["limit=-1"],
    ["cursor=not-a-cursor"],
    [`cursor=${Buffer.from("2025-01-01|x").toString("base64url")}`],
  ])("answers 400 to %s", async (query) => {
    const res = await api(`/api/v1/projects/paging/issues?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
  });

  it("answers 404 for an unknown project and for another organisation's", async () => {
    expect((await api("/api/v1/projects/nope/issues")).status).toBe(404);
    const res = await api(`/api/v1/projects/${other.project.slug}/issues`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: "Not found" } });
  });
});

describe("issues and events", () => {
  let issueId: string;
  const eventIds: string[] = [];

  beforeAll(async () => {
    issueId = await seedIssue(t.db, t.boot.projectId, { title: "Detail issue" });
    await seedSummary(t.db, issueId);
    for (let i = 0; i < 5; i++) {
      eventIds.push(
        await seedEvent(t.db, t.boot.projectId, issueId, {
          timestamp: new Date(Date.parse("2025-02-01T00:00:00Z") + i * 1000),
          message: `event ${i}`,
        }),
      );
    }
  });

  it("GET /api/v1/issues/:id returns the issue plus its latest event", async () => {
    const res = await api(`/api/v1/issues/${issueId}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...ISSUE_KEYS, "latestEvent"].sort());
    expect(res.body).toMatchObject({
      id: issueId,
      title: "Detail issue",
      status: "unresolved",
      summary: {
        source: "llm",
        text: expect.any(String),
        likelyCause: expect.any(String),
        suggestedFix: expect.any(String),
      },
    });
    expect(Object.keys(res.body.latestEvent).sort()).toEqual(EVENT_KEYS);
    expect(res.body.latestEvent.id).toBe(eventIds[4]);
    expect(res.body.latestEvent.message).toBe("event 4");
    expect(res.body.latestEvent.timestamp).toBe("2025-02-01T00:00:04.000Z");
    expect(res.body.latestEvent.frames[0]).toEqual({
      function: "handler",
      module: null,
      file: "src/app.ts",
      line: 42,
      column: 7,
      inApp: true,
    });
  });

  it("latestEvent is null for an issue without stored events", async () => {
    const bare = await seedIssue(t.db, t.boot.projectId);
    const res = await api(`/api/v1/issues/${bare}`);
    expect(res.status).toBe(200);
    expect(res.body.latestEvent).toBeNull();
  });

  it.each([
    ["another organisation's issue", () => other.issueId],
    ["an unknown id", () => "7d9c1c8e-1111-4222-8333-944444444444"],
    ["a malformed id", () => "not-a-uuid"],
  ])("GET answers 404 for %s", async (_name, id) => {
    const res = await api(`/api/v1/issues/${id()}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await api(`/api/v1/issues/${id()}/events`)).status).toBe(404);
  });

  it("GET /api/v1/issues/:id/events pages newest first", async () => {
    const first = await api(`/api/v1/issues/${issueId}/events?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.events.map((e: { id: string }) => e.id)).toEqual([eventIds[4], eventIds[3]]);
    for (const e of first.body.events) expect(Object.keys(e).sort()).toEqual(EVENT_KEYS);
    const second = await api(`/api/v1/issues/${issueId}/events?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.events.map((e: { id: string }) => e.id)).toEqual([eventIds[2], eventIds[1]]);
    const third = await api(`/api/v1/issues/${issueId}/events?limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body.events.map((e: { id: string }) => e.id)).toEqual([eventIds[0]]);
    expect(third.body.nextCursor).toBeNull();
    const all = await api(`/api/v1/issues/${issueId}/events`);
    expect(all.body.events).toHaveLength(5);
    expect(all.body.nextCursor).toBeNull();
  });

  it("GET events answers 400 to a bad limit", async () => {
    expect((await api(`/api/v1/issues/${issueId}/events?limit=x`)).status).toBe(400);
  });
});

describe("PATCH /api/v1/issues/:id", () => {
  const patch = (id: string, body: unknown, token?: string) =>
    api(`/api/v1/issues/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      token,
    });

  it("updates the status, returns the issue and writes an audit row", async () => {
    const id = await seedIssue(t.db, t.boot.projectId);
    const res = await patch(id, { status: "resolved" });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(ISSUE_KEYS);
    expect(res.body).toMatchObject({ id, status: "resolved" });
    const [row] = await t.db
      .select({ status: schema.issues.status, resolvedAt: schema.issues.resolvedAt })
      .from(schema.issues)
      .where(eq(schema.issues.id, id));
    expect(row?.status).toBe("resolved");
    expect(row?.resolvedAt).toBeInstanceOf(Date);

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorType: "api_token",
      actorUserId: null,
      action: "issue.status_changed",
      targetType: "issue",
      targetId: id,
      metadata: { from: "unresolved", to: "resolved", apiTokenId: expect.any(String) },
    });
    expect(audit[0]?.ip).toMatch(/127\.0\.0\.1/);

    const reopened = await patch(id, { status: "unresolved" });
    expect(reopened.body.status).toBe("unresolved");
    const [after] = await t.db
      .select({ resolvedAt: schema.issues.resolvedAt })
      .from(schema.issues)
      .where(eq(schema.issues.id, id));
    expect(after?.resolvedAt).toBeNull();
    expect(await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id })).toHaveLength(2);
  });

  it("resolves in the next release (the issue's last release) and ignores until N more events", async () => {
    const id = await seedIssue(t.db, t.boot.projectId, { eventCount: 7 });
    const noRelease = await patch(id, { status: "resolved", resolution: "next_release" });
    expect(noRelease.status).toBe(409);
    expect(noRelease.body.error.code).toBe("no_release");

    await t.db.update(schema.issues).set({ lastRelease: "2.4.1" }).where(eq(schema.issues.id, id));
    const resolved = await patch(id, { status: "resolved", resolution: "next_release" });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: "resolved",
      resolution: "next_release",
      resolvedInRelease: "2.4.1",
      lastRelease: "2.4.1",
      ignoreUntilCount: null,
    });
    const ignored = await patch(id, { status: "ignored", ignoreMoreEvents: 100 });
    expect(ignored.body).toMatchObject({
      status: "ignored",
      ignoreUntilCount: 107,
      resolution: null,
      resolvedInRelease: null,
    });
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id });
    expect(audit.map((a) => a.metadata)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: "resolved", resolution: "next_release", release: "2.4.1" }),
        expect.objectContaining({ to: "ignored", ignoreUntilCount: 107 }),
      ]),
    );
  });

  it.each([
    ["an unknown status", { status: "fixed" }],
    ["regressed (set by the worker only)", { status: "regressed" }],
    ["a missing status", {}],
    ["a body that is not JSON", "status=resolved"],
    ["a resolution without status resolved", { status: "ignored", resolution: "next_release" }],
    ["an unknown resolution", { status: "resolved", resolution: "someday" }],
    ["ignoreMoreEvents without status ignored", { status: "resolved", ignoreMoreEvents: 10 }],
    ["ignoreMoreEvents of 0", { status: "ignored", ignoreMoreEvents: 0 }],
    ["a fractional ignoreMoreEvents", { status: "ignored", ignoreMoreEvents: 1.5 }],
  ])("answers 400 to %s", async (_name, body) => {
    const id = await seedIssue(t.db, t.boot.projectId);
    const res = await patch(id, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
  });

  it("answers 404 for another organisation's issue and changes nothing", async () => {
    const res = await patch(other.issueId, { status: "ignored" });
    expect(res.status).toBe(404);
    const [row] = await t.db
      .select({ status: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, other.issueId));
    expect(row?.status).toBe("unresolved");
    expect(await listAuditLog(t.db, { orgId: other.orgId })).toHaveLength(0);
  });

  it("needs the write scope", async () => {
    const token = generateSecret("cw_at_");
    await t.db.insert(schema.apiTokens).values({
      orgId: t.boot.orgId,
      name: "read-only",
      tokenHash: hashSecret(token),
      tokenHint: secretHint(token),
      scopes: ["read"],
    });
    const id = await seedIssue(t.db, t.boot.projectId);
    expect((await api(`/api/v1/issues/${id}`, { token })).status).toBe(200);
    const res = await patch(id, { status: "resolved" }, token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
  });

  it("answers 401 without a token and 405 to PUT", async () => {
    const id = await seedIssue(t.db, t.boot.projectId);
    expect((await api(`/api/v1/issues/${id}`, { method: "PATCH", body: "{}", token: null })).status).toBe(
      401,
    );
    expect((await api(`/api/v1/issues/${id}`, { method: "PUT", body: "{}" })).status).toBe(405);
  });
});

describe("errors are JSON everywhere", () => {
  const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String) } };

  it.each([
    ["GET", "/api"],
    ["GET", "/api/"],
    ["GET", "/api/v1"],
    ["GET", "/api/v2/projects"],
    ["GET", "/api/v1/projects/default/issues/extra"],
    ["POST", "/api/v1/nothing-here"],
    ["DELETE", "/api/v1/nothing-here"],
  ])("%s %s: a JSON 404, never cached", async (method, path) => {
    const res = await api(path, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({ error: { code: "not_found", message: "Not found" } });
  });

  it.each([["/api/v1/issues/%ZZ"], ["/api/v1/projects/%E0%A4%A/issues"]])(
    "%s: a malformed URL is a JSON 400",
    async (path) => {
      const res = await api(path);
      expect(res.status).toBe(400);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.body).toEqual({ error: { code: "bad_request", message: expect.any(String) } });
    },
  );

  it("405 names the allowed methods", async () => {
    const res = await api("/api/v1/issues/7d9c1c8e-1111-4222-8333-944444444444/events", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({ error: { code: "method_not_allowed", message: "Use GET" } });
    const put = await api("/api/v1/issues/7d9c1c8e-1111-4222-8333-944444444444", {
      method: "PUT",
      body: "{}",
    });
    expect(put.headers.get("allow")).toBe("GET, PATCH");
  });

  it("413 for a body over the limit, announced by Content-Length", async () => {
    const id = await seedIssue(t.db, t.boot.projectId);
    for (const size of [70_000, 300_000]) {
      const res = await api(`/api/v1/issues/${id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "resolved", padding: "x".repeat(size) }),
      });
      expect(res.status).toBe(413);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.body).toEqual({ error: { code: "payload_too_large", message: expect.any(String) } });
    }
    const [row] = await t.db
      .select({ status: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, id));
    expect(row?.status).toBe("unresolved");
  });

  it("413 for a streamed body without Content-Length that grows over the limit", async () => {
    const id = await seedIssue(t.db, t.boot.projectId);
    const chunk = new TextEncoder().encode(`{"status":"resolved","padding":"${"x".repeat(16_000)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else {
          controller.enqueue(new TextEncoder().encode(`"}`));
          controller.close();
        }
      },
    });
    const res = await fetch(`${t.base}/api/v1/issues/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${t.boot.apiTokenValue}`, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    // The rest of the body is never read: the connection closes after the answer.
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toEqual(ERROR_SHAPE);
  });

  it("a small streamed body is read as usual", async () => {
    const id = await seedIssue(t.db, t.boot.projectId);
    const res = await fetch(`${t.base}/api/v1/issues/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${t.boot.apiTokenValue}`, "content-type": "application/json" },
      body: new Blob(['{"status":"ignored"}']).stream(),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe("ignored");
  });

  it("an unexpected failure is a logged JSON 500, not an HTML page", async () => {
    await t.db.execute(sql`alter table issues rename to issues_unreadable`);
    try {
      const res = await api("/api/v1/projects/default/issues");
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.body).toEqual({ error: { code: "internal_error", message: "Internal server error" } });
    } finally {
      await t.db.execute(sql`alter table issues_unreadable rename to issues`);
    }
  });
});
