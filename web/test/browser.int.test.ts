import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ErrorQueue } from "@codewarden/common";
import { type Db, schema } from "@codewarden/drizzle";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, linkFrom, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

/**
 * The dashboard in Chromium, on telemetry that went through the real pipeline: OTLP/JSON posted
 * to the collector, stored by the worker's processBatch (in-process queue, as in `npm start`).
 */

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const XSS_MESSAGE = "<img src=x onerror=alert(1)>";
const XSS_TRACE =
  "Error: <img src=x onerror=alert(1)>\n    at render (/srv/app/src/<script>alert(2)</script>.ts:1:1)\n    at main (/srv/app/src/main.ts:3:9)";
const TRACE_TEMPLATE = "http://openobserve:5080/web/traces?trace_id={traceId}";
const CHECKOUT = "Cannot read properties of undefined (reading 'id')";

/** Waits until the (first) element is visible; playwright-core has no `expect`. */
const visible = (locator: Locator) => locator.first().waitFor({ state: "visible", timeout: 10_000 });

let t: TestWeb;
let collector: RunningCollector;
let queue: ErrorQueue & { close(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const consoleErrors: string[] = [];
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

/**
 * The collector and the worker core, loaded through non-literal specifiers: their sources are
 * type-checked with their own (Node, non-DOM) settings, not with the web app's.
 */
const COLLECTOR: string = "@codewarden/collector";
const WORKER: string = "@codewarden/worker";
interface RunningCollector {
  port: number;
  close(): Promise<void>;
}
interface CollectorModule {
  loadCollectorConfig(env: Record<string, string>): unknown;
  startCollector(
    config: unknown,
    deps: { db: Db; queue: ErrorQueue; logger: pino.Logger },
  ): Promise<RunningCollector>;
  createInProcessErrorQueue(
    handler: (job: unknown) => Promise<void>,
    opts: { logger: pino.Logger; lingerMs?: number },
  ): ErrorQueue & { close(): Promise<void> };
}
interface WorkerModule {
  processBatch(db: Db, job: unknown, deps: { logger: pino.Logger }): Promise<unknown>;
}

// ---- OTLP/JSON ------------------------------------------------------------------------------

type AttrValue = string | number | boolean;
const attrs = (o: Record<string, AttrValue>) =>
  Object.entries(o).map(([key, v]) => ({
    key,
    value:
      typeof v === "string"
        ? { stringValue: v }
        : typeof v === "boolean"
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));

interface Occurrence {
  minutesAgo: number;
  type: string;
  message: string;
  stacktrace: string;
  span: string;
  attributes?: Record<string, AttrValue>;
}

function span(o: Occurrence) {
  const at = BigInt(Date.now() - o.minutesAgo * 60_000) * 1_000_000n;
  return {
    traceId: randomBytes(16).toString("hex"),
    spanId: randomBytes(8).toString("hex"),
    name: o.span,
    kind: 2,
    startTimeUnixNano: String(at - 5_000_000n),
    endTimeUnixNano: String(at),
    attributes: attrs(o.attributes ?? {}),
    status: { code: 2 },
    events: [
      {
        timeUnixNano: String(at),
        name: "exception",
        attributes: attrs({
          "exception.type": o.type,
          "exception.message": o.message,
          "exception.stacktrace": o.stacktrace,
        }),
      },
    ],
  };
}

function resourceSpans(resource: Record<string, AttrValue>, occurrences: Occurrence[]) {
  return {
    resource: { attributes: attrs(resource) },
    scopeSpans: [{ scope: { name: "browser-test" }, spans: occurrences.map(span) }],
  };
}

const NODE_TRACE = `TypeError: ${CHECKOUT}
    at handleCheckout (/srv/app/src/checkout/handler.ts:42:17)
    at withSession (/srv/app/src/middleware/session.ts:18:5)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at next (/srv/app/node_modules/express/lib/router/route.js:149:13)
    at Route.dispatch (/srv/app/node_modules/express/lib/router/route.js:119:3)
    at async loadCart (/srv/app/src/checkout/cart.ts:12:3) {
  [cause]: Error: Redis connection to cache.internal:6379 was refused
      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)
}`;

const PY_TRACE = `Traceback (most recent call last):
  File "/srv/billing/src/billing/plans.py", line 31, in load_plan
    return PLANS[name]
KeyError: 'gold'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 1473, in wsgi_app
    response = self.full_dispatch_request()
  File "/srv/billing/src/billing/views.py", line 12, in checkout
    plan = load_plan(request.json["plan"])
  File "/srv/billing/src/billing/plans.py", line 33, in load_plan
    raise ValueError(f"unknown plan {name!r}")
ValueError: unknown plan 'gold'`;

const JAVA_TRACE = `java.lang.IllegalStateException: stock is negative for SKU 4711
\tat com.acme.orders.Inventory.reserve(Inventory.java:88)
\tat com.acme.orders.OrderService.place(OrderService.java:41)
\tat org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:186)
\tat com.acme.orders.OrderController.create(OrderController.java:27)
Caused by: java.sql.SQLException: deadlock detected
\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2713)
\t... 4 more`;

/** Four problems, 67 occurrences over the last days; one of them carries attacker-controlled markup. */
function telemetry() {
  const checkout: Occurrence[] = Array.from({ length: 40 }, (_, i) => ({
    minutesAgo: 4 + ((i * 37) % (20 * 60)),
    type: "TypeError",
    message: CHECKOUT,
    stacktrace: NODE_TRACE,
    span: "POST /api/checkout",
    attributes: {
      "http.route": i % 4 === 0 ? "/api/checkout/retry" : "/api/checkout",
      "http.request.method": "POST",
      "http.response.status_code": 500,
      "user.id": `u-${i % 5}`,
    },
  }));
  const billing: Occurrence[] = Array.from({ length: 18 }, (_, i) => ({
    minutesAgo: 120 + i * 9 * 60,
    type: "ValueError",
    message: "unknown plan 'gold'",
    stacktrace: PY_TRACE,
    span: "POST /billing/checkout",
    attributes: { "http.route": "/billing/checkout", "enduser.id": `acct-${i % 3}` },
  }));
  const orders: Occurrence[] = Array.from({ length: 8 }, (_, i) => ({
    minutesAgo: 30 + i * 170,
    type: "java.lang.IllegalStateException",
    message: "stock is negative for SKU 4711",
    stacktrace: JAVA_TRACE,
    span: "POST /orders",
    attributes: { "http.route": "/orders" },
  }));
  const xss: Occurrence = {
    minutesAgo: 26 * 60,
    type: "Error",
    message: XSS_MESSAGE,
    stacktrace: XSS_TRACE,
    span: "GET /render",
    attributes: { "user.note": "<script>alert(4)</script>", "http.route": "/render" },
  };
  const node = (service: string, version: string, host: string) => ({
    "service.name": service,
    "service.version": version,
    "deployment.environment.name": "production",
    "telemetry.sdk.language": "nodejs",
    "host.name": host,
  });
  return {
    resourceSpans: [
      resourceSpans(node("checkout", "1.4.2", "web-1"), checkout.slice(0, 28)),
      resourceSpans(node("checkout", "1.4.1", "web-2"), checkout.slice(28)),
      resourceSpans(
        {
          "service.name": "billing-worker",
          "service.version": "2025.03.1",
          "deployment.environment.name": "staging",
          "telemetry.sdk.language": "python",
          "host.name": "worker-7",
        },
        billing,
      ),
      resourceSpans(
        {
          "service.name": "orders",
          "service.version": "3.2.0",
          "deployment.environment.name": "production",
          "telemetry.sdk.language": "java",
        },
        orders,
      ),
      resourceSpans({ ...node("<b>svc</b>", "0.0.1", "web-3"), "deployment.environment.name": "staging" }, [
        xss,
      ]),
    ],
  };
}

async function waitForIssues(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(schema.issues)
      .where(eq(schema.issues.projectId, t.boot.projectId));
    if (Number(row?.n) >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} issues were ingested`);
}

async function issueIdWith(title: RegExp): Promise<string> {
  const rows = await t.db
    .select({ id: schema.issues.id, title: schema.issues.title })
    .from(schema.issues)
    .where(eq(schema.issues.projectId, t.boot.projectId));
  const row = rows.find((r) => title.test(r.title));
  if (!row) throw new Error(`no issue titled ${title}`);
  return row.id;
}

async function signInAs(p: Page, email: string): Promise<string> {
  await p.goto(`${t.base}/login`);
  await p.fill("input[name=email]", email);
  const before = t.mail.length;
  await p.click("button[type=submit]");
  await p.getByText("Check your email").waitFor();
  const link = linkFrom(t.mail[before]);
  await p.goto(link);
  return new URL(link).origin;
}

beforeAll(async () => {
  t = await startTestWeb({ CODEWARDEN_TRACE_URL_TEMPLATE: TRACE_TEMPLATE });
  other = await seedOtherOrg(t.db);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const { createInProcessErrorQueue, loadCollectorConfig, startCollector } = (await import(
    COLLECTOR
  )) as CollectorModule;
  const { processBatch } = (await import(WORKER)) as WorkerModule;
  queue = createInProcessErrorQueue(
    async (job) => {
      await processBatch(t.db, job, { logger });
    },
    { logger, lingerMs: 20 },
  );
  collector = await startCollector(loadCollectorConfig({ COLLECTOR_PORT: "0" }), { db: t.db, queue, logger });
  const res = await fetch(`http://127.0.0.1:${collector.port}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.boot.ingestKey.value}` },
    body: JSON.stringify(telemetry()),
  });
  if (res.status !== 200) throw new Error(`collector answered ${res.status}: ${await res.text()}`);
  await waitForIssues(4);

  browser = await chromium.launch({
    // Debian's Chromium here and in .ci/run; CHROMIUM_PATH elsewhere (e.g. Chrome on GitHub runners).
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  await queue?.close();
  await t?.close();
});

describe("dashboard in Chromium", () => {
  let base: string;

  it("signs in through the printed magic link", async () => {
    base = await signInAs(page, ADMIN_EMAIL);
    await page.waitForURL(`${base}/projects/default/issues`);
  });

  it("lists the ingested issues with sparklines, users and filters", async () => {
    await visible(page.getByRole("link", { name: /Cannot read properties of undefined/ }));
    await visible(page.getByRole("link", { name: /unknown plan 'gold'/ }));
    await visible(page.getByRole("link", { name: /stock is negative/ }));
    const row = page.locator("tr", { has: page.getByRole("link", { name: /Cannot read properties/ }) });
    // 40 events, 5 users, all in the last 24 hours: the sparkline adds up to the event count.
    expect(await row.locator("td[data-label=Events]").textContent()).toBe("40");
    expect(await row.locator("td[data-label=Users]").textContent()).toBe("5");
    expect(await row.locator("svg.sparkline").getAttribute("data-total")).toBe("40");
    await page.screenshot({ path: `${SCREENSHOTS}issue-list.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SCREENSHOTS}issue-list-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("filters and searches through the URL", async () => {
    await page.getByLabel("Service").selectOption("billing-worker");
    await page.waitForURL(`${base}/projects/default/issues?service=billing-worker`);
    await visible(page.getByRole("link", { name: /unknown plan 'gold'/ }));
    await expect.poll(() => page.locator("table.issues tbody tr").count()).toBe(1);
    await page.getByRole("link", { name: "Clear" }).click();
    await page.waitForURL(`${base}/projects/default/issues`);
    await page.getByLabel("Search").fill("STOCK is");
    await page.getByLabel("Search").press("Enter");
    await page.waitForURL(`${base}/projects/default/issues?q=STOCK+is`);
    await expect.poll(() => page.locator("table.issues tbody tr").count()).toBe(1);
    await visible(page.getByRole("link", { name: /stock is negative/ }));
    await page.getByRole("link", { name: "Events" }).click();
    await page.waitForURL(`${base}/projects/default/issues?q=STOCK+is&sort=events`);
    await page.goto(`${base}/projects/default/issues`);
  });

  it("opens an issue: summary, collapsed library frames, chained cause, chart, tags, trace link", async () => {
    const id = await issueIdWith(/Cannot read properties/);
    await page.getByRole("link", { name: /Cannot read properties of undefined/ }).click();
    await page.waitForURL(`${base}/issues/${id}`);
    await visible(page.getByRole("heading", { name: "Heuristic summary" }));
    // In-app frames are shown; the run of three express frames is one closed <details>.
    await expect.poll(() => page.locator(".frame.in-app").count()).toBe(3);
    const run = page.locator("details.library-run");
    await expect.poll(() => run.count()).toBe(1);
    expect(await run.locator("summary").textContent()).toBe("3 library frames");
    expect(await page.locator(".frame.library").first().isVisible()).toBe(false);
    // The [cause] of the Node error, as its own block.
    await visible(
      page.getByText("Error: Redis connection to cache.internal:6379 was refused", { exact: true }),
    );
    expect(await page.locator(".chain-relation").first().textContent()).toBe("Caused by");
    // Occurrences: exact counts; tags over stored events.
    expect(await page.locator(".chart-total").textContent()).toBe("40");
    await visible(page.getByText("Based on 40 stored events", { exact: false }));
    await visible(page.locator(".tag-value", { hasText: "/api/checkout/retry" }));
    const traceLink = page.locator("a.trace-link");
    const traceId = (await traceLink.textContent())!.replace(" (opens the trace in a new tab)", "");
    expect(await traceLink.getAttribute("href")).toBe(
      `http://openobserve:5080/web/traces?trace_id=${traceId}`,
    );
    await page.screenshot({ path: `${SCREENSHOTS}issue.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SCREENSHOTS}issue-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await run.locator("summary").click();
    await visible(page.locator(".frame.library"));
    expect(await page.locator(".frame.library").count()).toBe(3);
  });

  it("steps through the stored events", async () => {
    const id = await issueIdWith(/Cannot read properties/);
    await visible(page.getByRole("heading", { name: "Latest event" }));
    await page.getByRole("link", { name: "‹ Older" }).click();
    await page.waitForURL(new RegExp(`/issues/${id}\\?event=[0-9a-f-]{36}$`));
    await visible(page.getByRole("heading", { name: "Event", exact: true }));
    await page.getByRole("link", { name: "« Oldest" }).click();
    await expect
      .poll(() => page.locator(".event-nav .disabled").allTextContents())
      .toEqual(["« Oldest", "‹ Older"]);
    await page.getByRole("link", { name: "Newest »" }).click();
    await page.waitForURL(`${base}/issues/${id}`);
    await visible(page.getByRole("heading", { name: "Latest event" }));
  });

  it("resolves the issue; it moves from the Unresolved to the Resolved tab", async () => {
    await page.getByRole("button", { name: "Resolve", exact: true }).click();
    await expect.poll(() => page.locator(".issue-actions .badge").textContent()).toBe("Resolved");
    await visible(page.getByRole("button", { name: "Reopen" }));
    await page.getByRole("link", { name: /Default issues/ }).click();
    await page.waitForURL(`${base}/projects/default/issues`);
    await visible(page.getByRole("link", { name: /unknown plan 'gold'/ }));
    await expect
      .poll(() => page.getByRole("link", { name: /Cannot read properties of undefined/ }).count())
      .toBe(0);
    await page.getByRole("link", { name: /^Resolved/ }).click();
    await page.waitForURL(`${base}/projects/default/issues?status=resolved`);
    await visible(page.getByRole("link", { name: /Cannot read properties of undefined/ }));
  });

  it("ignores selected issues in bulk", async () => {
    await page.goto(`${base}/projects/default/issues`);
    // The select-all box appears once the page is hydrated (selection counting needs React).
    await visible(page.getByRole("checkbox", { name: "Select all issues on this page" }));
    await page.getByRole("checkbox", { name: /Select .*unknown plan/ }).check();
    await page.getByRole("checkbox", { name: /Select .*stock is negative/ }).check();
    await visible(page.getByText("2 selected"));
    await page.getByRole("button", { name: "Ignore" }).click();
    await visible(page.getByText("Ignored 2 issues."));
    await expect.poll(() => page.getByRole("link", { name: /unknown plan 'gold'/ }).count()).toBe(0);
    await page.getByRole("link", { name: /^Ignored/ }).click();
    await visible(page.getByRole("link", { name: /unknown plan 'gold'/ }));
    await visible(page.getByRole("link", { name: /stock is negative/ }));
  });

  it("renders attacker-controlled strings as text and runs none of them", async () => {
    await page.goto(`${base}/projects/default/issues`);
    await visible(page.getByText(XSS_MESSAGE, { exact: true }));
    const id = await issueIdWith(/onerror/);
    await page.goto(`${base}/issues/${id}`);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe(`Error: ${XSS_MESSAGE}`);
    await page.getByText("Raw stack trace").click();
    await expect.poll(() => page.locator(".raw-trace pre").textContent()).toBe(XSS_TRACE);
    await visible(page.getByText("/srv/app/src/<script>alert(2)</script>.ts:1:1", { exact: true }));
    await visible(page.getByText("<script>alert(4)</script>", { exact: true }));
    await visible(page.locator(".tag-value", { hasText: "<b>svc</b>" }));
    await page.screenshot({ path: `${SCREENSHOTS}issue-untrusted-text.png`, fullPage: true });
    expect(await page.locator("img[src=x]").count()).toBe(0);
    expect(await page.locator("b", { hasText: "svc" }).count()).toBe(0);
    const injectedScripts = await page.evaluate(
      () =>
        [...document.querySelectorAll("script")].filter((s) =>
          /^alert\(\d\)$/.test((s.textContent ?? "").trim()),
        ).length,
    );
    expect(injectedScripts).toBe(0);
    const html = await page.content();
    expect(html).not.toContain("<script>alert(");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>svc</b>");
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it("refuses a state-changing POST without the CSRF token (403)", async () => {
    const id = await issueIdWith(/onerror/);
    const res = await page.request.post(`${base}/issues/${id}`, { form: { intent: "resolve" } });
    expect(res.status()).toBe(403);
    const bulk = await page.request.post(`${base}/projects/default/issues`, {
      form: { intent: "resolve", issue: id },
    });
    expect(bulk.status()).toBe(403);
    const [row] = await t.db
      .select({ s: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, id));
    expect(row?.s).toBe("unresolved");
  });

  it("does not show one organisation's issue to a member of another (404)", async () => {
    const theirs = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const p = await theirs.newPage();
      await signInAs(p, other.email);
      await p.waitForURL(`${base}/projects/${other.project.slug}/issues`);
      await visible(p.getByRole("link", { name: "Other org issue" }));
      const id = await issueIdWith(/Cannot read properties/);
      const res = await p.goto(`${base}/issues/${id}`);
      expect(res?.status()).toBe(404);
      await visible(p.getByRole("heading", { name: "Not found" }));
      expect(await p.content()).not.toContain(CHECKOUT);
      const list = await p.goto(`${base}/projects/default/issues`);
      expect(list?.status()).toBe(404);
    } finally {
      await theirs.close();
    }
  });

  it("hydrated without errors or CSP violations", () => {
    expect(consoleErrors).toEqual([]);
  });
});
