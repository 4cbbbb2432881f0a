import { listAuditLog, schema } from "@codewarden/drizzle";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { action, loader } from "../app/routes/project-issues";
import { seedOtherOrg, signIn, startTestWeb, type TestWeb } from "./helpers";
import {
  csrfFrom,
  getRequest,
  insertIssue,
  insertProject,
  loadContext,
  thrownStatus,
} from "./triage-context";

/** The list's clock in these tests (time ranges and sparkline windows depend on it). */
const NOW = new Date("2025-03-10T12:30:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

let t: TestWeb;
let cookie: string;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;
let projectId: string;
const ids: Record<string, string> = {};

type ListData = Awaited<ReturnType<typeof loader>>;

async function list(query: string, slug = "triage"): Promise<ListData> {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  try {
    return await loader({
      request: getRequest(t, `/projects/${slug}/issues${query}`, cookie),
      params: { slug },
      context: loadContext(t),
    });
  } finally {
    vi.useRealTimers();
  }
}

const titles = (d: ListData) => d.issues.map((i) => i.title).sort();

beforeAll(async () => {
  t = await startTestWeb();
  cookie = await signIn(t);
  other = await seedOtherOrg(t.db);
  projectId = await insertProject(t, "triage");
  ids.a = await insertIssue(t, projectId, {
    title: "TypeError: Cannot read properties of undefined",
    message: "Cannot read properties of undefined (reading 'id')",
    culprit: "src/api/users.ts in getUser",
    lastSeen: ago(HOUR),
    services: ["api"],
    environments: ["production"],
    firstRelease: "1.0.0",
    lastRelease: "2.0.0",
    eventCount: 40,
    userCount: 7,
  });
  ids.b = await insertIssue(t, projectId, {
    title: "Error: 100% of retries failed",
    status: "regressed",
    lastSeen: ago(2 * DAY),
    services: ["worker"],
    environments: ["staging"],
    firstRelease: "1.5.0",
    lastRelease: "1.5.0",
  });
  ids.c = await insertIssue(t, projectId, {
    title: "Error: rate_limit exceeded",
    status: "resolved",
    lastSeen: ago(10 * DAY),
    services: ["api", "worker"],
    environments: ["production", "staging"],
  });
  ids.d = await insertIssue(t, projectId, {
    title: "Error: ratexlimit exceeded",
    status: "ignored",
    lastSeen: ago(20 * DAY),
    services: ["billing"],
    firstRelease: "2.0.0",
    lastRelease: "2.0.0",
  });
  ids.e = await insertIssue(t, projectId, {
    title: "KeyError: 'gold'",
    message: "plan lookup",
    culprit: "billing/plans.py in load_plan",
    lastSeen: ago(40 * DAY),
    services: ["api"],
    environments: ["development"],
  });
  ids.f = await insertIssue(t, projectId, {
    title: "Error: throttled",
    message: "upstream said Rate_Limit",
    culprit: null,
    lastSeen: ago(3 * HOUR),
    services: ["api"],
  });
  ids.g = await insertIssue(t, projectId, {
    title: "Error: path C:\\temp\\x not found",
    lastSeen: ago(5 * DAY),
    services: ["files"],
  });
});

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("issue list: status tabs and filters", () => {
  it("shows unresolved and regressed issues by default, with a count per tab", async () => {
    const d = await list("");
    expect(d.state.status).toBe("unresolved");
    expect(titles(d)).toEqual(
      [
        "Error: 100% of retries failed",
        "Error: path C:\\temp\\x not found",
        "Error: throttled",
        "KeyError: 'gold'",
        "TypeError: Cannot read properties of undefined",
      ].sort(),
    );
    expect(d.counts).toEqual({ unresolved: 5, regressed: 1, resolved: 1, ignored: 1, all: 7 });
    expect((await list("?status=regressed")).issues.map((i) => i.id)).toEqual([ids.b]);
    expect((await list("?status=resolved")).issues.map((i) => i.id)).toEqual([ids.c]);
    expect((await list("?status=ignored")).issues.map((i) => i.id)).toEqual([ids.d]);
  });

  it("filters by service, environment and release; the tab counts follow the filters", async () => {
    const api = await list("?status=all&service=api");
    expect(api.issues.map((i) => i.id).sort()).toEqual([ids.a, ids.c, ids.e, ids.f].sort());
    expect(api.counts).toEqual({ unresolved: 3, regressed: 0, resolved: 1, ignored: 0, all: 4 });
    expect((await list("?status=all&env=staging")).issues.map((i) => i.id).sort()).toEqual(
      [ids.b, ids.c].sort(),
    );
    // A release matches an issue first or last seen in it.
    expect((await list("?status=all&release=2.0.0")).issues.map((i) => i.id).sort()).toEqual(
      [ids.a, ids.d].sort(),
    );
    expect((await list("?status=all&release=1.0.0")).issues.map((i) => i.id)).toEqual([ids.a]);
    expect((await list("?status=all&service=api&env=production")).issues.map((i) => i.id).sort()).toEqual(
      [ids.a, ids.c, ids.f].sort(),
    );
    expect((await list("?status=all&service=nope")).issues).toEqual([]);
  });

  it("offers the project's services, environments and releases as filter values", async () => {
    const d = await list("");
    expect(d.filterValues.services).toEqual(["api", "billing", "files", "worker"]);
    expect(d.filterValues.environments).toEqual(["development", "production", "staging"]);
    // Most recently seen release first.
    expect(d.filterValues.releases).toEqual(["2.0.0", "1.0.0", "1.5.0"]);
  });

  it("limits by last seen: 24h, 7d, 14d, 30d, any time", async () => {
    const by = async (period: string) =>
      (await list(`?status=all&period=${period}`)).issues.map((i) => i.id).sort();
    expect(await by("24h")).toEqual([ids.a, ids.f].sort());
    expect(await by("7d")).toEqual([ids.a, ids.b, ids.f, ids.g].sort());
    expect(await by("14d")).toEqual([ids.a, ids.b, ids.c, ids.f, ids.g].sort());
    expect(await by("30d")).toEqual([ids.a, ids.b, ids.c, ids.d, ids.f, ids.g].sort());
    expect(await by("all")).toHaveLength(7);
  });

  it("answers 400 to unknown status, sort or period values and to a malformed cursor", async () => {
    for (const q of ["?status=bogus", "?sort=title", "?period=1y", "?chart=1h", "?cursor=nope"]) {
      expect(await thrownStatus(() => list(q)), q).toBe(400);
    }
    // Empty values (a GET form's unset fields) are the defaults.
    const d = await list("?status=&q=&service=&env=&release=&period=&sort=&chart=");
    expect(d.state).toMatchObject({ status: "unresolved", sort: "last_seen", period: "all", chart: "24h" });
    expect(d.issues).toHaveLength(5);
  });
});

describe("issue list: search", () => {
  const search = async (q: string) =>
    (await list(`?status=all&q=${encodeURIComponent(q)}`)).issues.map((i) => i.id).sort();

  it("matches title, message and culprit, case-insensitively", async () => {
    expect(await search("gold")).toEqual([ids.e]);
    expect(await search("PLANS.PY")).toEqual([ids.e]);
    expect(await search("reading 'ID'")).toEqual([ids.a]);
    expect(await search("  throttled  ")).toEqual([ids.f]);
  });

  it("takes %, _ and \\ literally", async () => {
    expect(await search("%")).toEqual([ids.b]);
    // "load_plan" in E's culprit, "rate_limit" in C's title, "Rate_Limit" in F's message.
    expect(await search("_")).toEqual([ids.c, ids.e, ids.f].sort());
    expect(await search("RATE_LIMIT")).toEqual([ids.c, ids.f].sort());
    expect(await search("rate%limit")).toEqual([]);
    expect(await search("\\t")).toEqual([ids.g]);
  });

  it("combines with the filters and the tabs", async () => {
    const d = await list("?q=rate_limit");
    expect(d.issues.map((i) => i.id)).toEqual([ids.f]);
    expect(d.counts).toEqual({ unresolved: 1, regressed: 0, resolved: 1, ignored: 0, all: 2 });
  });
});

describe("issue list: sorting and pagination", () => {
  let pagingId: string;
  const all: string[] = [];

  beforeAll(async () => {
    pagingId = await insertProject(t, "paging");
    const base = NOW.getTime() - DAY;
    const statuses = ["unresolved", "regressed", "resolved", "ignored"] as const;
    for (let i = 0; i < 61; i++) {
      all.push(
        await insertIssue(t, pagingId, {
          title: `Paging ${i}`,
          status: statuses[i % 4],
          // Many ties in every sort column: the id must break them.
          eventCount: i % 5,
          userCount: i % 3 === 0 ? 0 : 3,
          firstSeen: new Date(base - (i % 4) * HOUR),
          lastSeen: new Date(base + (i < 10 ? 0 : i) * 60_000),
        }),
      );
    }
    // Sub-millisecond differences in last_seen: the cursor must keep Postgres's microseconds.
    await t.db.execute(
      sql`update issues set last_seen = last_seen + (interval '1 microsecond' * (ascii(right(id::text, 1)) % 7))
          where id in (${sql.join(
            all.slice(0, 10).map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`,
    );
  });

  async function walk(query: string) {
    const pages: string[][] = [];
    let d = await list(query, "paging");
    pages.push(d.issues.map((i) => i.id));
    while (d.nextCursor && pages.length < 20) {
      d = await list(`${query}&cursor=${encodeURIComponent(d.nextCursor)}`, "paging");
      pages.push(d.issues.map((i) => i.id));
      expect(d.prevCursor).not.toBeNull();
    }
    // And back to the start through the previous-page cursors.
    const back: string[][] = [d.issues.map((i) => i.id)];
    while (d.prevCursor && back.length < 20) {
      d = await list(`${query}&cursor=${encodeURIComponent(d.prevCursor)}`, "paging");
      back.unshift(d.issues.map((i) => i.id));
    }
    return { pages, back, rows: d };
  }

  const key = {
    events: (i: ListData["issues"][number]) => i.eventCount,
    users: (i: ListData["issues"][number]) => i.userCount,
    first_seen: (i: ListData["issues"][number]) => Date.parse(i.firstSeen),
    last_seen: (i: ListData["issues"][number]) => Date.parse(i.lastSeen),
  };

  it.each(Object.keys(key) as Array<keyof typeof key>)(
    "sort=%s visits every issue exactly once, in order, forwards and backwards",
    async (sort) => {
      const { pages, back } = await walk(`?status=all&sort=${sort}`);
      expect(pages.map((p) => p.length)).toEqual([25, 25, 11]);
      const visited = pages.flat();
      expect(new Set(visited).size).toBe(61);
      expect(new Set(visited)).toEqual(new Set(all));
      expect(back).toEqual(pages);
      // Largest first, ties broken by id (descending).
      const everything: ListData["issues"] = [];
      let d = await list(`?status=all&sort=${sort}`, "paging");
      everything.push(...d.issues);
      while (d.nextCursor) {
        d = await list(`?status=all&sort=${sort}&cursor=${encodeURIComponent(d.nextCursor)}`, "paging");
        everything.push(...d.issues);
      }
      for (let i = 1; i < everything.length; i++) {
        const prev = everything[i - 1]!;
        const cur = everything[i]!;
        expect(key[sort](prev)).toBeGreaterThanOrEqual(key[sort](cur));
        if (key[sort](prev) === key[sort](cur) && sort !== "last_seen") expect(prev.id > cur.id).toBe(true);
      }
    },
  );

  it("pages a filtered tab too (unresolved includes regressed)", async () => {
    const { pages, back } = await walk("?sort=events");
    expect(pages.map((p) => p.length)).toEqual([25, 6]);
    expect(back).toEqual(pages);
    const expected = all.filter((_, i) => i % 4 < 2);
    expect(new Set(pages.flat())).toEqual(new Set(expected));
  });

  it("ignores a cursor of another sort order (first page)", async () => {
    const first = await list("?status=all&sort=events", "paging");
    const d = await list(`?status=all&sort=users&cursor=${encodeURIComponent(first.nextCursor!)}`, "paging");
    expect(d.issues.map((i) => i.id)).toEqual(
      (await list("?status=all&sort=users", "paging")).issues.map((i) => i.id),
    );
    expect(d.isFirstPage).toBe(true);
    expect(d.prevCursor).toBeNull();
  });
});

describe("issue list: sparklines", () => {
  beforeAll(async () => {
    const at = (iso: string, count: number, issueId = ids.a!) => ({ issueId, hour: new Date(iso), count });
    await t.db.insert(schema.issueHourlyCounts).values([
      at("2025-03-10T12:00:00Z", 5),
      at("2025-03-10T09:00:00Z", 7),
      at("2025-03-09T13:00:00Z", 2), // first hour of the 24 h window
      at("2025-03-09T12:00:00Z", 100), // just before it; inside the 14 d window
      at("2025-02-24T23:00:00Z", 9), // before the 14 d window
      at("2025-02-25T00:00:00Z", 1), // first day of the 14 d window
      at("2025-03-10T11:00:00Z", 4, ids.f),
    ]);
  });

  it("has 24 hourly buckets from issue_hourly_counts, one query for the page", async () => {
    const d = await list("?status=all");
    expect(d.window).toEqual({ start: "2025-03-09T13:00:00.000Z", bucketMs: HOUR, buckets: 24 });
    const a = d.issues.find((i) => i.id === ids.a)!;
    const expected = new Array(24).fill(0);
    expected[0] = 2;
    expected[20] = 7;
    expected[23] = 5;
    expect(a.series).toEqual(expected);
    const f = d.issues.find((i) => i.id === ids.f)!;
    expect(f.series.indexOf(4)).toBe(22);
    expect(f.series.reduce((x, y) => x + y, 0)).toBe(4);
    // Issues without counts get zeros.
    expect(d.issues.find((i) => i.id === ids.e)!.series).toEqual(new Array(24).fill(0));
  });

  it("has 14 daily buckets with chart=14d", async () => {
    const d = await list("?status=all&chart=14d");
    expect(d.window).toEqual({ start: "2025-02-25T00:00:00.000Z", bucketMs: DAY, buckets: 14 });
    const expected = new Array(14).fill(0);
    expected[0] = 1;
    expected[12] = 102;
    expected[13] = 12;
    expect(d.issues.find((i) => i.id === ids.a)!.series).toEqual(expected);
  });

  it("renders the sparkline as inline SVG with the same numbers", async () => {
    const res = await fetch(`${t.base}/projects/triage/issues?status=all&q=Cannot`, { headers: { cookie } });
    const html = await res.text();
    const svg = /<svg class="sparkline"[^>]*data-total="(\d+)"[^>]*>(.*?)<\/svg>/s.exec(html);
    expect(svg).not.toBeNull();
    // The server renders with the real clock: whatever falls in its window, the bars add up.
    const bars = [...svg![2]!.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars.reduce((x, y) => x + y, 0)).toBe(Number(svg![1]));
  });
});

describe("issue list: bulk actions", () => {
  const post = (body: URLSearchParams, path = "/projects/triage/issues?status=all", headers = {}) =>
    fetch(`${t.base}${path}`, {
      method: "POST",
      body,
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
      redirect: "manual",
    });

  async function csrf(): Promise<string> {
    return csrfFrom(await (await fetch(`${t.base}/projects/triage/issues`, { headers: { cookie } })).text());
  }

  const statusOf = async (id: string) =>
    (await t.db.select({ s: schema.issues.status }).from(schema.issues).where(eq(schema.issues.id, id)))[0]
      ?.s;

  it("resolves the selected issues and writes one audit row per issue", async () => {
    const a = await insertIssue(t, projectId, { title: "Bulk A" });
    const b = await insertIssue(t, projectId, { title: "Bulk B", status: "regressed" });
    const untouched = await insertIssue(t, projectId, { title: "Bulk C" });
    const body = new URLSearchParams([
      ["_csrf", await csrf()],
      ["intent", "resolve"],
      ["issue", a],
      ["issue", b],
    ]);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Resolved 2 issues.");
    expect(await statusOf(a)).toBe("resolved");
    expect(await statusOf(b)).toBe("resolved");
    expect(await statusOf(untouched)).toBe("unresolved");
    const [user] = await t.db.select().from(schema.users).where(eq(schema.users.email, "admin@localhost"));
    for (const [id, from] of [
      [a, "unresolved"],
      [b, "regressed"],
    ] as const) {
      const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actorType: "user",
        actorUserId: user!.id,
        action: "issue.status_changed",
        targetType: "issue",
        metadata: { from, to: "resolved", resolution: "now", bulk: true, projectId },
      });
      expect(audit[0]?.ip).toMatch(/127\.0\.0\.1/);
    }
    const [row] = await t.db
      .select({ resolvedAt: schema.issues.resolvedAt, resolution: schema.issues.resolution })
      .from(schema.issues)
      .where(eq(schema.issues.id, a));
    expect(row?.resolvedAt).toBeInstanceOf(Date);
    expect(row?.resolution).toBe("now");

    // Ignore, then reopen.
    await post(
      new URLSearchParams([
        ["_csrf", await csrf()],
        ["intent", "ignore"],
        ["issue", a],
      ]),
    );
    expect(await statusOf(a)).toBe("ignored");
    await post(
      new URLSearchParams([
        ["_csrf", await csrf()],
        ["intent", "reopen"],
        ["issue", a],
      ]),
    );
    expect(await statusOf(a)).toBe("unresolved");
    expect(await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: a })).toHaveLength(3);
  });

  it("refuses a POST without the CSRF token, or from another site (403), and changes nothing", async () => {
    const id = await insertIssue(t, projectId, { title: "Bulk no CSRF" });
    const noToken = await post(
      new URLSearchParams([
        ["intent", "resolve"],
        ["issue", id],
      ]),
    );
    expect(noToken.status).toBe(403);
    const wrongToken = await post(
      new URLSearchParams([
        ["_csrf", "x".repeat(43)],
        ["intent", "resolve"],
        ["issue", id],
      ]),
    );
    expect(wrongToken.status).toBe(403);
    const crossSite = await post(
      new URLSearchParams([
        ["_csrf", await csrf()],
        ["intent", "resolve"],
        ["issue", id],
      ]),
      undefined,
      { origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    expect(await statusOf(id)).toBe("unresolved");
    expect(await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id })).toHaveLength(0);
  });

  it("skips issues of other projects and organisations; another organisation's project is a 404", async () => {
    const mine = await insertIssue(t, projectId, { title: "Bulk mine" });
    const res = await post(
      new URLSearchParams([
        ["_csrf", await csrf()],
        ["intent", "resolve"],
        ["issue", mine],
        ["issue", other.issueId],
        ["issue", "7d9c1c8e-1111-4222-8333-944444444444"],
      ]),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Resolved 1 issue.");
    expect(await statusOf(mine)).toBe("resolved");
    expect(await statusOf(other.issueId)).toBe("unresolved");
    expect(await listAuditLog(t.db, { orgId: other.orgId, targetId: other.issueId })).toHaveLength(0);

    const theirs = await post(
      new URLSearchParams([
        ["_csrf", await csrf()],
        ["intent", "resolve"],
        ["issue", other.issueId],
      ]),
      `/projects/${other.project.slug}/issues`,
    );
    expect(theirs.status).toBe(404);
    expect(await statusOf(other.issueId)).toBe("unresolved");
  });

  it("answers a bad intent or malformed ids with 400, and an empty selection with a message", async () => {
    const ctx = loadContext(t);
    const token = await csrf();
    const call = (pairs: string[][]) =>
      action({
        request: new Request(`${t.base}/projects/triage/issues`, {
          method: "POST",
          headers: { cookie },
          body: new URLSearchParams([["_csrf", token], ...pairs]),
        }),
        params: { slug: "triage" },
        context: ctx,
      });
    expect(
      await thrownStatus(() =>
        call([
          ["intent", "delete"],
          ["issue", ids.a!],
        ]),
      ),
    ).toBe(400);
    expect(
      await thrownStatus(() =>
        call([
          ["intent", "resolve"],
          ["issue", "1 or 1=1"],
        ]),
      ),
    ).toBe(400);
    const tooMany = Array.from({ length: 101 }, () => ["issue", crypto.randomUUID()]);
    expect(await thrownStatus(() => call([["intent", "resolve"], ...tooMany]))).toBe(400);
    expect(await call([["intent", "resolve"]])).toEqual({
      ok: false,
      message: "Select at least one issue first.",
    });
    const rows = await t.db
      .select({ s: schema.issues.status })
      .from(schema.issues)
      .where(inArray(schema.issues.id, [ids.a!]));
    expect(rows[0]?.s).toBe("unresolved");
  });
});

describe("issue list: empty project", () => {
  it("points to the project's setup page instead of empty tabs", async () => {
    await insertProject(t, "fresh");
    const html = await (await fetch(`${t.base}/projects/fresh/issues`, { headers: { cookie } })).text();
    expect(html).toContain('href="/projects/fresh/setup"');
    expect(html).not.toContain('aria-label="Issue status"');
    // Filters that match nothing keep the list's controls.
    const filtered = await (
      await fetch(`${t.base}/projects/fresh/issues?q=x`, { headers: { cookie } })
    ).text();
    expect(filtered).toContain("No issues match these filters.");
    expect(filtered).toContain('aria-label="Issue status"');
  });
});

describe("issue list: access", () => {
  it("answers 404 for another organisation's project, and sends signed-out users to /login", async () => {
    const theirs = await fetch(`${t.base}/projects/${other.project.slug}/issues`, { headers: { cookie } });
    expect(theirs.status).toBe(404);
    expect(await thrownStatus(() => list("", other.project.slug))).toBe(404);
    const anonymous = await fetch(`${t.base}/projects/triage/issues`, { redirect: "manual" });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toBe("/login");
  });
});
