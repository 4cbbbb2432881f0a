import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_EMAIL,
  linkFrom,
  seedEvent,
  seedIssue,
  seedSummary,
  startTestWeb,
  type TestWeb,
} from "./helpers";

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const XSS_MESSAGE = "<img src=x onerror=alert(1)>";
const XSS_TRACE =
  "Error: <img src=x onerror=alert(1)>\n    at render (<script>alert(2)</script>:1:1)\n    at main (src/main.ts:3:9)";

/** Waits until the (first) element is visible; playwright-core has no `expect`. */
const visible = (locator: Locator) => locator.first().waitFor({ state: "visible", timeout: 10_000 });

let t: TestWeb;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const consoleErrors: string[] = [];
let issueId: string;
let xssIssueId: string;

beforeAll(async () => {
  t = await startTestWeb();
  const now = Date.now();
  issueId = await seedIssue(t.db, t.boot.projectId, {
    title: "TypeError: Cannot read properties of undefined (reading 'id')",
    message: "Cannot read properties of undefined (reading 'id')",
    culprit: "src/checkout/handler.ts in handleCheckout",
    eventCount: 1284,
    lastSeen: new Date(now - 4 * 60_000),
    firstSeen: new Date(now - 3 * 86_400_000),
    services: ["checkout", "api-gateway"],
    environments: ["production"],
  });
  await seedSummary(t.db, issueId, {
    text: "Checkout requests fail when the session expires mid-request: the handler reads `session.user.id` after the session store returned undefined.",
    likelyCause:
      "loadSession() resolves to undefined for expired sessions and the handler does not check it.",
    suggestedFix: "Return 401 when loadSession() yields no session, before reading user.id.",
  });
  await seedEvent(t.db, t.boot.projectId, issueId, {
    frames: [
      {
        function: "handleCheckout",
        module: null,
        file: "src/checkout/handler.ts",
        line: 42,
        column: 17,
        inApp: true,
      },
      {
        function: "withSession",
        module: null,
        file: "src/middleware/session.ts",
        line: 18,
        column: 5,
        inApp: true,
      },
      {
        function: "Layer.handle [as handle_request]",
        module: "express",
        file: "node_modules/express/lib/router/layer.js",
        line: 95,
        column: 5,
        inApp: false,
      },
      {
        function: "next",
        module: "express",
        file: "node_modules/express/lib/router/route.js",
        line: 149,
        column: 13,
        inApp: false,
      },
    ],
    stacktrace:
      "TypeError: Cannot read properties of undefined (reading 'id')\n    at handleCheckout (src/checkout/handler.ts:42:17)\n    at withSession (src/middleware/session.ts:18:5)\n    at Layer.handle [as handle_request] (node_modules/express/lib/router/layer.js:95:5)\n    at next (node_modules/express/lib/router/route.js:149:13)",
    attributes: {
      "http.route": "/api/checkout",
      "http.request.method": "POST",
      "http.response.status_code": 500,
    },
  });
  await seedIssue(t.db, t.boot.projectId, {
    title: "ConnectionError: connect ECONNREFUSED 10.0.0.12:5432",
    exceptionType: "ConnectionError",
    message: "connect ECONNREFUSED 10.0.0.12:5432",
    culprit: "db/pool.py in acquire",
    status: "regressed",
    eventCount: 37,
    lastSeen: new Date(now - 2 * 3_600_000),
    services: ["billing-worker"],
    environments: ["production", "staging"],
  });
  xssIssueId = await seedIssue(t.db, t.boot.projectId, {
    title: `Error: ${XSS_MESSAGE}`,
    exceptionType: "Error",
    message: XSS_MESSAGE,
    culprit: "<script>alert(3)</script>",
    lastSeen: new Date(now - 26 * 3_600_000),
    services: ["<b>svc</b>"],
  });
  await seedSummary(t.db, xssIssueId, {
    source: "heuristic",
    text: `Error thrown: ${XSS_MESSAGE}`,
    likelyCause: null,
    suggestedFix: null,
  });
  await seedEvent(t.db, t.boot.projectId, xssIssueId, {
    message: XSS_MESSAGE,
    exceptionType: "Error",
    stacktrace: XSS_TRACE,
    frames: [
      {
        function: "<script>alert(2)</script>",
        module: null,
        file: "src/main.ts",
        line: 3,
        column: 9,
        inApp: true,
      },
    ],
    attributes: { "user.note": "<script>alert(4)</script>" },
  });

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
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
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
  await t?.close();
});

describe("dashboard in Chromium", () => {
  let base: string;

  it("signs in through the printed magic link", async () => {
    await page.goto(`${t.base}/login`);
    await page.fill("input[name=email]", ADMIN_EMAIL);
    const before = t.mail.length;
    await page.click("button[type=submit]");
    await page.getByText("Check your email").waitFor();
    const link = linkFrom(t.mail[before]);
    base = new URL(link).origin;
    await page.goto(link);
    await page.waitForURL(`${base}/projects/default/issues`);
  });

  it("lists the seeded issues", async () => {
    await visible(page.getByRole("link", { name: /Cannot read properties of undefined/ }));
    await visible(page.getByRole("link", { name: /ECONNREFUSED/ }));
    await page.screenshot({ path: `${SCREENSHOTS}issue-list.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SCREENSHOTS}issue-list-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("opens an issue and resolves it; it moves to the resolved tab", async () => {
    await page.getByRole("link", { name: /Cannot read properties of undefined/ }).click();
    await page.waitForURL(`${base}/issues/${issueId}`);
    await visible(page.getByRole("heading", { name: "AI summary" }));
    await expect.poll(() => page.locator(".frame.in-app").count()).toBe(2);
    await expect.poll(() => page.locator(".frame.library").count()).toBe(2);
    await visible(page.getByText("/api/checkout"));
    await page.screenshot({ path: `${SCREENSHOTS}issue.png`, fullPage: true });

    await page.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => page.locator(".issue-actions .badge").textContent()).toBe("Resolved");
    await visible(page.getByRole("button", { name: "Reopen" }));

    await page.getByRole("link", { name: /Default issues/ }).click();
    await page.waitForURL(`${base}/projects/default/issues`);
    await visible(page.getByRole("link", { name: /ECONNREFUSED/ }));
    await expect
      .poll(() => page.getByRole("link", { name: /Cannot read properties of undefined/ }).count())
      .toBe(0);
    await page.getByRole("link", { name: /^Resolved/ }).click();
    await page.waitForURL(`${base}/projects/default/issues?status=resolved`);
    await visible(page.getByRole("link", { name: /Cannot read properties of undefined/ }));
  });

  it("renders attacker-controlled strings as text and runs none of them", async () => {
    await page.goto(`${base}/projects/default/issues`);
    await visible(page.getByText(XSS_MESSAGE, { exact: true }));
    await page.goto(`${base}/issues/${xssIssueId}`);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe(`Error: ${XSS_MESSAGE}`);
    await page.getByText("Raw stack trace").click();
    await expect.poll(() => page.locator("pre").textContent()).toBe(XSS_TRACE);
    await visible(page.getByText("<script>alert(2)</script>", { exact: true }));
    await visible(page.getByText("<script>alert(4)</script>", { exact: true }));
    await visible(page.getByRole("heading", { name: "Heuristic summary" }));
    await page.screenshot({ path: `${SCREENSHOTS}issue-untrusted-text.png`, fullPage: true });
    expect(await page.locator("img[src=x]").count()).toBe(0);
    // No element was made from the payloads: no script whose code is theirs, and the markup never
    // contains them unescaped (the hydration data carries them JSON-escaped).
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

  it("hydrated without errors or CSP violations", () => {
    expect(consoleErrors).toEqual([]);
  });
});
