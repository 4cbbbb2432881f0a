import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hashSecret } from "@codewarden/common";
import { schema } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inviteLinkFrom } from "./accounts-helpers";
import { ADMIN_EMAIL, linkFrom, startTestWeb, type TestWeb } from "./helpers";

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
const TEAMMATE = "teammate@example.com";

/** Waits until the (first) element is visible; playwright-core has no `expect`. */
const visible = (locator: Locator) => locator.first().waitFor({ state: "visible", timeout: 10_000 });

let t: TestWeb;
let browser: Browser;
let ownerContext: BrowserContext;
let teammateContext: BrowserContext;
let owner: Page;
let teammate: Page;
const problems: string[] = [];

function watch(page: Page) {
  page.setDefaultTimeout(10_000);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
}

beforeAll(async () => {
  t = await startTestWeb();
  browser = await chromium.launch({
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
  // Two separate browsers' worth of cookies: the owner and the invited teammate.
  ownerContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  teammateContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  owner = await ownerContext.newPage();
  teammate = await teammateContext.newPage();
  watch(owner);
  watch(teammate);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Pages are reached at the sign-in link's origin (localhost), so cookies stay on one host. */
let base: string;

describe("accounts in Chromium", () => {
  it("the owner signs in and opens the organisation settings from the top bar", async () => {
    await owner.goto(`${t.base}/login`);
    await owner.fill("input[name=email]", ADMIN_EMAIL);
    const before = t.mail.length;
    await owner.keyboard.press("Enter");
    await owner.getByText("Check your email").waitFor();
    const link = linkFrom(t.mail[before]);
    base = new URL(link).origin;
    await owner.goto(link);
    await owner.waitForURL(`${base}/projects/default/issues`);

    await owner.getByRole("link", { name: "Settings" }).click();
    await owner.waitForURL(`${base}/settings`);
    await visible(owner.getByRole("button", { name: "Sign out everywhere" }));
    await owner.screenshot({ path: `${SCREENSHOTS}accounts-settings.png`, fullPage: true });
    await owner.getByRole("main").getByRole("link", { name: "Default" }).click();
    await owner.waitForURL(`${base}/settings/orgs/default`);
    await visible(owner.getByRole("heading", { name: "Members" }));
  });

  it("the owner invites a teammate from the keyboard", async () => {
    const before = t.mail.length;
    await owner.getByLabel("Email").focus();
    await owner.keyboard.type(TEAMMATE);
    await owner.keyboard.press("Enter");
    await visible(owner.getByText(`Invitation sent to ${TEAMMATE}`));
    await visible(owner.getByRole("button", { name: `Revoke invitation to ${TEAMMATE}` }));
    expect(t.mail.slice(before)).toHaveLength(1);
    expect(t.mail[before]).toContain(`invitation for ${TEAMMATE} to join "Default"`);
    await owner.screenshot({ path: `${SCREENSHOTS}accounts-members.png`, fullPage: true });
  });

  it("the teammate opens the emailed link, signs in through it and sees the organisation", async () => {
    const link = inviteLinkFrom(t.mail.findLast((l) => l.includes(`invitation for ${TEAMMATE}`)));
    await teammate.goto(link);
    await visible(teammate.getByRole("heading", { name: "Join Default" }));
    await teammate.screenshot({ path: `${SCREENSHOTS}accounts-invitation.png`, fullPage: true });
    await teammate.getByRole("button", { name: `Accept and sign in as ${TEAMMATE}` }).click();
    await teammate.waitForURL(`${base}/settings/orgs/default?joined=1`);
    await visible(teammate.getByText("Welcome! You are now a member of Default."));
    await visible(teammate.getByRole("heading", { level: 1, name: "Default" }));
    const members = teammate.getByRole("table");
    await visible(members.getByText(TEAMMATE));
    await visible(members.getByText(ADMIN_EMAIL));
    // A member, not an owner: no invitation form.
    expect(await teammate.getByRole("heading", { name: "Invite a member" }).count()).toBe(0);
    // The dashboard shows the organisation's project.
    await teammate.getByRole("link", { name: "Projects" }).click();
    await teammate.getByRole("main").getByRole("link", { name: "Default", exact: true }).click();
    await teammate.waitForURL(`${base}/projects/default/issues`);

    // The owner's page now lists the teammate as a member, and no pending invitation.
    await owner.reload();
    await visible(owner.getByRole("button", { name: `Make owner: ${TEAMMATE}` }));
    expect(await owner.getByRole("button", { name: `Revoke invitation to ${TEAMMATE}` }).count()).toBe(0);
  });

  it("the owner creates an ingest key and sees it once", async () => {
    await owner.getByRole("link", { name: "Projects" }).click();
    await owner.waitForURL(`${base}/settings/orgs/default/projects`);
    await owner.getByRole("link", { name: "Ingest keys of Default" }).click();
    const keysUrl = `${base}/settings/orgs/default/projects/default/keys`;
    await owner.waitForURL(keysUrl);
    await owner.getByLabel("Name").fill("production");
    await owner.getByRole("button", { name: "Create key" }).click();
    const shown = owner.getByTestId("secret-value");
    await visible(shown);
    const secret = (await shown.textContent()) ?? "";
    expect(secret).toMatch(/^cw_ik_[A-Za-z0-9_-]{43}$/);
    await visible(owner.getByText("Copy it now: it will not be shown again."));
    const [row] = await t.db
      .select({ projectId: schema.ingestKeys.projectId })
      .from(schema.ingestKeys)
      .where(eq(schema.ingestKeys.keyHash, hashSecret(secret)));
    expect(row?.projectId).toBe(t.boot.projectId);
    await owner.screenshot({ path: `${SCREENSHOTS}accounts-key-created.png`, fullPage: true });

    // Never again: not after a reload, only its first characters.
    await owner.goto(keysUrl);
    await visible(owner.getByRole("cell", { name: "production" }));
    await visible(owner.getByText(`${secret.slice(0, 12)}…`));
    expect(await owner.getByTestId("secret-value").count()).toBe(0);
    expect(await owner.content()).not.toContain(secret);

    // Revoking takes a second, deliberate click (no dialog).
    const production = owner.locator("tr", { hasText: "production" });
    await production.getByText("Revoke…").click();
    await production.getByRole("button", { name: "Revoke production", exact: true }).click();
    await visible(owner.getByText("Ingest key revoked."));
    await visible(owner.locator("tr.revoked", { hasText: "production" }));
  });

  it("the owner filters the audit log and downloads the filtered rows as CSV", async () => {
    await owner.goto(`${base}/settings/orgs/default/audit`);
    await visible(owner.getByRole("heading", { name: "Audit log" }));
    await owner.getByLabel("What").selectOption("ingest_key");
    await owner.getByRole("button", { name: "Filter" }).click();
    await owner.waitForURL(/category=ingest_key/);
    const table = owner.locator("table.audit-table");
    await visible(table.getByText("ingest_key.revoked"));
    expect(await table.getByText("member.invited").count()).toBe(0);

    const [download] = await Promise.all([
      owner.waitForEvent("download"),
      owner.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^codewarden-audit-default-\d{4}-\d{2}-\d{2}\.csv$/);
    const chunks: Buffer[] = [];
    for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
    const csv = Buffer.concat(chunks).toString("utf8");
    expect(csv.split("\r\n")[0]).toMatch(/^time,action,/);
    expect(csv).toContain("ingest_key.revoked");
    expect(csv).not.toContain("member.invited");
  });

  it("the settings pages fit a phone screen", async () => {
    await owner.setViewportSize({ width: 390, height: 844 });
    for (const path of [
      "/settings",
      "/settings/orgs/default",
      "/settings/orgs/default/projects/default/keys",
      "/settings/orgs/default/audit",
    ]) {
      await owner.goto(`${base}${path}`);
      const overflow = await owner.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await owner.goto(`${base}/settings/orgs/default`);
    await owner.screenshot({ path: `${SCREENSHOTS}accounts-members-phone.png`, fullPage: true });
  });

  it("hydrated without errors, CSP violations or dialogs", () => {
    expect(problems).toEqual([]);
  });
});
