import { listAuditLog, schema } from "@codewarden/drizzle";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loader } from "../app/routes/issue-detail";
import { seedOtherOrg, signIn, startTestWeb, type TestWeb } from "./helpers";
import {
  csrfFrom,
  getRequest,
  insertEvent,
  insertIssue,
  insertProject,
  loadContext,
  thrownStatus,
} from "./triage-context";

const NOW = new Date("2025-03-10T12:30:00.000Z");
const HOUR = 3_600_000;
const TEMPLATE = "http://openobserve:5080/web/traces?org=default&trace_id={traceId}";

let t: TestWeb;
let cookie: string;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;
let projectId: string;
let issueId: string;
/** Stored events, newest first (timestamp desc, id desc). */
let newestFirst: string[];
let secondIssueEvent: string;

type PageData = Awaited<ReturnType<typeof loader>>;

async function page(id: string, query = "", env: Record<string, string> = {}): Promise<PageData> {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  try {
    return await loader({
      request: getRequest(t, `/issues/${id}${query}`, cookie),
      params: { id },
      context: loadContext(t, env),
    });
  } finally {
    vi.useRealTimers();
  }
}

beforeAll(async () => {
  t = await startTestWeb();
  cookie = await signIn(t);
  other = await seedOtherOrg(t.db);
  projectId = await insertProject(t, "detail");
  issueId = await insertIssue(t, projectId, { title: "Error: order lookup failed", eventCount: 1234 });
  const base = Date.parse("2025-03-10T10:00:00.000Z");
  const events: string[] = [];
  events.push(await insertEvent(t, projectId, issueId, { timestamp: new Date(base), message: "e0" }));
  events.push(await insertEvent(t, projectId, issueId, { timestamp: new Date(base + 1000), message: "e1" }));
  // Two events in the same microsecond (the id decides), and one 300 µs after them.
  const same = new Date(base + 2000);
  events.push(await insertEvent(t, projectId, issueId, { timestamp: same, message: "e2" }));
  events.push(await insertEvent(t, projectId, issueId, { timestamp: same, message: "e3" }));
  const micro = await insertEvent(t, projectId, issueId, { timestamp: same, message: "e4" });
  await t.db.execute(
    sql`update events set timestamp = timestamp + interval '300 microseconds' where id = ${micro}`,
  );
  events.push(micro);
  const [e2, e3] = [events[2]!, events[3]!].sort();
  newestFirst = [micro, e3!, e2!, events[1]!, events[0]!];

  const second = await insertIssue(t, projectId, { title: "Second issue" });
  secondIssueEvent = await insertEvent(t, projectId, second, { message: "not yours" });
});

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("issue page: event navigation", () => {
  it("shows the newest stored event by default, with the ids to step through the others", async () => {
    const d = await page(issueId);
    expect(d.event?.id).toBe(newestFirst[0]);
    expect(d.nav).toEqual({
      newestId: newestFirst[0],
      oldestId: newestFirst[4],
      newerId: null,
      olderId: newestFirst[1],
      storedCount: 5,
      storedMore: false,
    });
  });

  it("steps older from the newest and newer from the oldest through every event once", async () => {
    const older: string[] = [];
    let id: string | null = newestFirst[0]!;
    while (id && older.length < 10) {
      const d: PageData = await page(issueId, `?event=${id}`);
      expect(d.event?.id).toBe(id);
      older.push(id);
      id = d.nav.olderId;
    }
    expect(older).toEqual(newestFirst);
    const newer: string[] = [];
    id = newestFirst[4]!;
    while (id && newer.length < 10) {
      const d: PageData = await page(issueId, `?event=${id}`);
      newer.push(id);
      id = d.nav.newerId;
    }
    expect(newer).toEqual([...newestFirst].reverse());
  });

  it("answers 404 for an event of another issue, an unknown or a malformed event id", async () => {
    expect(await thrownStatus(() => page(issueId, `?event=${secondIssueEvent}`))).toBe(404);
    expect(await thrownStatus(() => page(issueId, "?event=7d9c1c8e-1111-4222-8333-944444444444"))).toBe(404);
    expect(await thrownStatus(() => page(issueId, "?event=1%20or%201=1"))).toBe(404);
    expect(await thrownStatus(() => page(issueId, "?chart=1y"))).toBe(400);
  });

  it("has no event and empty navigation for an issue without stored events", async () => {
    const bare = await insertIssue(t, projectId, { title: "Bare" });
    const d = await page(bare);
    expect(d.event).toBeNull();
    expect(d.nav).toEqual({
      newestId: null,
      oldestId: null,
      newerId: null,
      olderId: null,
      storedCount: 0,
      storedMore: false,
    });
    expect(d.tags.sampled).toBe(0);
  });
});

describe("issue page: stored event count", () => {
  it("counts stored events up to 10,000 and says when there are more", async () => {
    const hot = await insertIssue(t, projectId, { title: "Hot" });
    await t.db.execute(sql`
      insert into events (project_id, issue_id, event_key, source, timestamp, exception_type, message, frames,
        attributes, resource)
      select ${projectId}::uuid, ${hot}::uuid, 'hot-' || g, 'span_event', now() - g * interval '1 second', 'Error',
        'hot', '[]'::jsonb, '{}'::jsonb, '{}'::jsonb
      from generate_series(1, 10001) g`);
    const d = await page(hot);
    expect(d.nav.storedCount).toBe(10_000);
    expect(d.nav.storedMore).toBe(true);
    expect(d.tags.sampled).toBe(1000);
  });
});

describe("issue page: another organisation", () => {
  it("answers 404 for another organisation's issue and its events", async () => {
    expect(await thrownStatus(() => page(other.issueId))).toBe(404);
    const res = await fetch(`${t.base}/issues/${other.issueId}`, { headers: { cookie } });
    expect(res.status).toBe(404);
    const theirEvent = await insertEvent(t, other.project.id, other.issueId);
    expect(await thrownStatus(() => page(issueId, `?event=${theirEvent}`))).toBe(404);
  });
});

describe("issue page: occurrences", () => {
  let id: string;
  beforeAll(async () => {
    id = await insertIssue(t, projectId, { title: "Charted" });
    const at = (iso: string, count: number) => ({ issueId: id, hour: new Date(iso), count });
    await t.db
      .insert(schema.issueHourlyCounts)
      .values([
        at("2025-03-10T12:00:00Z", 3),
        at("2025-03-10T00:00:00Z", 11),
        at("2025-03-09T13:00:00Z", 1),
        at("2025-03-09T12:00:00Z", 50),
        at("2025-02-25T05:00:00Z", 6),
        at("2025-02-24T23:00:00Z", 1000),
      ]);
  });

  it("counts events per hour over 24 h from issue_hourly_counts", async () => {
    const d = await page(id);
    expect(d.occurrences.chart).toBe("24h");
    expect(d.occurrences.window).toEqual({ start: "2025-03-09T13:00:00.000Z", bucketMs: HOUR, buckets: 24 });
    const expected = new Array(24).fill(0);
    expected[0] = 1;
    expected[11] = 11;
    expected[23] = 3;
    expect(d.occurrences.counts).toEqual(expected);
  });

  it("counts events per day over 14 days with chart=14d", async () => {
    const d = await page(id, "?chart=14d");
    expect(d.occurrences.window).toEqual({
      start: "2025-02-25T00:00:00.000Z",
      bucketMs: 24 * HOUR,
      buckets: 14,
    });
    const expected = new Array(14).fill(0);
    expected[0] = 6;
    expected[12] = 51;
    expected[13] = 14;
    expect(d.occurrences.counts).toEqual(expected);
  });
});

describe("issue page: tags", () => {
  it("breaks down service, version, environment, host, route and user over the stored events", async () => {
    const id = await insertIssue(t, projectId, { title: "Tagged" });
    const ev = (o: Parameters<typeof insertEvent>[3]) => insertEvent(t, projectId, id, o);
    for (let i = 0; i < 6; i++) {
      await ev({
        serviceName: i < 4 ? "api" : "worker",
        serviceVersion: i < 3 ? "2.0.0" : "1.9.0",
        environment: "production",
        resource: { serviceName: "api", hostName: i % 2 ? "web-1" : "web-2" },
        attributes: {
          "http.route": "/orders/:id",
          ...(i < 2 ? { "user.id": "u-1" } : i < 3 ? { "enduser.id": 42 } : {}),
        },
      });
    }
    const d = await page(id);
    expect(d.tags.sampled).toBe(6);
    const tag = (key: string) => d.tags.tags.find((x) => x.key === key);
    expect(tag("service")).toEqual({
      key: "service",
      total: 6,
      values: [
        { value: "api", count: 4 },
        { value: "worker", count: 2 },
      ],
    });
    expect(tag("version")?.values).toEqual([
      { value: "1.9.0", count: 3 },
      { value: "2.0.0", count: 3 },
    ]);
    expect(tag("environment")?.values).toEqual([{ value: "production", count: 6 }]);
    expect(tag("host")?.values).toEqual([
      { value: "web-1", count: 3 },
      { value: "web-2", count: 3 },
    ]);
    expect(tag("route")?.values).toEqual([{ value: "/orders/:id", count: 6 }]);
    expect(tag("user")).toEqual({
      key: "user",
      total: 3,
      values: [
        { value: "u-1", count: 2 },
        { value: "42", count: 1 },
      ],
    });
  });
});

describe("issue page: event details", () => {
  it("links the trace through CODEWARDEN_TRACE_URL_TEMPLATE, with the id URL-encoded", async () => {
    const id = await insertIssue(t, projectId, { title: "Traced" });
    await insertEvent(t, projectId, id, { traceId: "0af7651916cd43dd8448eb211c80319c" });
    const withTemplate = await page(id, "", { CODEWARDEN_TRACE_URL_TEMPLATE: TEMPLATE });
    expect(withTemplate.event?.traceUrl).toBe(
      "http://openobserve:5080/web/traces?org=default&trace_id=0af7651916cd43dd8448eb211c80319c",
    );
    expect((await page(id)).event?.traceUrl).toBeNull();

    const odd = await insertIssue(t, projectId, { title: "Odd trace id" });
    await insertEvent(t, projectId, odd, { traceId: 'a&b=c/../"><x' });
    expect((await page(odd, "", { CODEWARDEN_TRACE_URL_TEMPLATE: TEMPLATE })).event?.traceUrl).toBe(
      "http://openobserve:5080/web/traces?org=default&trace_id=a%26b%3Dc%2F..%2F%22%3E%3Cx",
    );
  });

  it("renders in-app frames, collapses library runs and shows chained causes as text", async () => {
    const id = await insertIssue(t, projectId, { title: "Chained" });
    await insertEvent(t, projectId, id, {
      exceptionType: "java.lang.RuntimeException",
      message: "checkout failed",
      stacktrace: [
        "java.lang.RuntimeException: checkout failed",
        "\tat com.acme.Checkout.run(Checkout.java:10)",
        "\tat org.springframework.web.Servlet.service(Servlet.java:1)",
        "\tat org.apache.catalina.Valve.invoke(Valve.java:2)",
        "Caused by: java.sql.SQLException: <b>connection</b> refused",
        "\tat org.postgresql.Driver.connect(Driver.java:3)",
        "\t... 3 more",
      ].join("\n"),
      frames: [
        {
          function: "run",
          module: "com.acme.Checkout",
          file: "Checkout.java",
          line: 10,
          column: null,
          inApp: true,
        },
        {
          function: "service",
          module: "org.springframework.web.Servlet",
          file: "Servlet.java",
          line: 1,
          column: null,
          inApp: false,
        },
        {
          function: "invoke",
          module: "org.apache.catalina.Valve",
          file: "Valve.java",
          line: 2,
          column: null,
          inApp: false,
        },
      ],
    });
    const html = await (await fetch(`${t.base}/issues/${id}`, { headers: { cookie } })).text();
    expect(html).toContain(
      '<details class="library-run"><summary class="library-summary">2 library frames</summary>',
    );
    expect(html).toMatch(/<li class="frame in-app"><span class="frame-fn">run<\/span>/);
    expect(html).toContain('<span class="chain-relation">Caused by</span>');
    expect(html).toContain("java.sql.SQLException: &lt;b&gt;connection&lt;/b&gt; refused");
    expect(html).not.toContain("<b>connection</b>");
  });

  it("labels an LLM summary with its model and confidence", async () => {
    const id = await insertIssue(t, projectId, { title: "Summarised" });
    await t.db.insert(schema.summaries).values({
      issueId: id,
      source: "llm",
      title: "Session expires mid-request",
      text: "The handler reads the session after it expired.",
      confidence: 0.82,
      model: "gpt-4o-mini",
    });
    const d = await page(id);
    expect(d.issue.summary).toMatchObject({
      source: "llm",
      title: "Session expires mid-request",
      confidence: 0.82,
    });
    expect(d.issue.summaryModel).toBe("gpt-4o-mini");
    // React separates adjacent text nodes with empty comments.
    const html = (await (await fetch(`${t.base}/issues/${id}`, { headers: { cookie } })).text()).replaceAll(
      "<!-- -->",
      "",
    );
    expect(html).toContain("AI summary");
    expect(html).toContain("confidence 82%");
    expect(html).toContain("Session expires mid-request");
  });
});

describe("issue page: actions", () => {
  it("resolves with the CSRF token (audit-logged) and returns to the same event and chart", async () => {
    const id = await insertIssue(t, projectId, { title: "Act on me" });
    const ev = await insertEvent(t, projectId, id);
    const view = `/issues/${id}?event=${ev}&chart=14d`;
    const html = await (await fetch(`${t.base}${view}`, { headers: { cookie } })).text();
    const post = (body: URLSearchParams) =>
      fetch(`${t.base}${view}`, { method: "POST", body, headers: { cookie }, redirect: "manual" });
    const refused = await post(new URLSearchParams({ intent: "resolve" }));
    expect(refused.status).toBe(403);
    const res = await post(new URLSearchParams({ _csrf: csrfFrom(html), intent: "resolve" }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(view);
    const [row] = await t.db
      .select({ s: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, id));
    expect(row?.s).toBe("resolved");
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: "user", metadata: { from: "unresolved", to: "resolved" } });
  });
});
