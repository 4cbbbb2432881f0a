import type { AlertQueue } from "@codewarden/common";
import pino from "pino";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProcessAlerts, type Receiver, startWebhookReceiver } from "./alerts-helpers";
import { ADMIN_EMAIL, linkFrom, startTestWeb, type TestWeb } from "./helpers";

const logger = pino({ level: "silent" });
let t: TestWeb;
let browser: Browser;
let page: Page;
let hook: Receiver;
let queue: AlertQueue | null = null;
const problems: string[] = [];

beforeAll(async () => {
  const alerts = await inProcessAlerts(logger);
  hook = await startWebhookReceiver();
  t = await startTestWeb({}, { alerts: (db) => (queue = alerts(db)) });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await queue?.close();
  await hook?.close();
  await t?.close();
});

describe("Alerts page in Chromium", () => {
  it("an owner adds a webhook channel and a rule, sends a test, and sees the delivery", async () => {
    await page.goto(`${t.base}/login`);
    await page.fill("input[name=email]", ADMIN_EMAIL);
    const before = t.mail.length;
    await page.keyboard.press("Enter");
    await page.getByText("Check your email").waitFor();
    const link = linkFrom(t.mail[before]);
    await page.goto(link);
    const base = new URL(link).origin;
    await page.waitForURL(`${base}/projects/default/issues`);

    await page.goto(`${base}/settings/orgs/default/projects`);
    await page.getByRole("link", { name: "Alerts of Default" }).click();
    await page.getByRole("heading", { name: /Alert channels of/ }).waitFor();

    await page.fill("#channel-name", "ops hook");
    await page.selectOption("#channel-kind", "webhook");
    await page.fill("#channel-url", hook.url);
    await page.getByRole("button", { name: "Add channel" }).click();
    await page.getByText("Channel ops hook added.").waitFor();
    expect(await page.getByTestId("secret-value").textContent()).toMatch(/^whsec_/);

    await page.fill("#rule-name", "new issues");
    await page.getByRole("checkbox", { name: "ops hook" }).check();
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByText("Rule new issues added.").waitFor();
    await page.getByRole("cell", { name: /at most one per issue per 60 min/ }).waitFor();

    await page.getByRole("button", { name: "Send test to ops hook" }).click();
    await page.getByText("Test sent to ops hook.").waitFor();
    expect(hook.requests).toHaveLength(1);
    await page.locator('[data-testid="deliveries"] tr[data-status="sent"]').first().waitFor();
    expect(problems).toEqual([]);
  });

  it("an owner edits the rule into a spike rule with a threshold and sees it in the list", async () => {
    const edit = page.locator('details:has(> summary[aria-label="Edit rule new issues"])');
    await edit.locator("summary").click();
    // Pre-filled with the rule as it is.
    expect(await edit.getByLabel("Name").inputValue()).toBe("new issues");
    expect(await edit.getByRole("checkbox", { name: "ops hook" }).isChecked()).toBe(true);
    await edit.getByLabel("Alert on").selectOption("spike");
    await edit.getByLabel("Spike: at least this many events in the window").fill("250");
    await edit.getByRole("button", { name: "Save rule" }).click();
    await page.getByText("Rule new issues updated.").waitFor();
    await page.getByRole("cell", { name: "≥ 250 events · in 60 min" }).waitFor();
    expect(await page.getByRole("row", { name: /new issues/ }).count()).toBe(1);
    // Saved: the disclosure is closed and filled afresh.
    expect(await page.getByRole("button", { name: "Save rule" }).isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });
});
