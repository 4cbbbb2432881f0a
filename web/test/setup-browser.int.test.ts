import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, startTestWeb, type TestWeb } from "./helpers";

/** The setup page in Chromium: copy buttons after hydration, plain <pre> without JavaScript. */

let t: TestWeb;
let browser: Browser;
let session: string;

const newContext = async (opts: { javaScriptEnabled: boolean }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const [name, value] = session.split("=") as [string, string];
  await context.addCookies([{ name, value, url: t.base }]);
  return context;
};

beforeAll(async () => {
  t = await startTestWeb({ CODEWARDEN_OTLP_URL: "http://otlp.example.test:4318" });
  session = await signIn(t);
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
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe("setup page in Chromium", () => {
  it("copies a snippet to the clipboard, exactly as shown", async () => {
    const context = await newContext({ javaScriptEnabled: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.base });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(`${t.base}/projects/default/setup`);
    const button = page.getByRole("button", { name: "Copy Node.js with the OpenTelemetry SDK: Environment" });
    await button.waitFor({ state: "visible", timeout: 10_000 });
    await button.click();
    await button.getByText("Copied").waitFor({ timeout: 5_000 });
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const shown = await page.locator("#node-env-code").textContent();
    expect(copied).toBe(shown);
    expect(copied).toContain("export OTEL_EXPORTER_OTLP_ENDPOINT=http://otlp.example.test:4318\n");
    expect(await page.getByRole("button", { name: /^Copy / }).count()).toBeGreaterThanOrEqual(15);

    // The form re-renders every snippet for the service described.
    await page.fill("input[name=service]", "billing api");
    await page.fill("input[name=environment]", "staging");
    await page.getByRole("button", { name: "Update snippets" }).click();
    await page.waitForURL(/service=billing/);
    await page.locator("#python-env-code", { hasText: "export OTEL_SERVICE_NAME='billing api'" }).waitFor();
    expect(await page.locator("#sdk-otel-init-code").textContent()).toContain(`serviceName: "billing api",`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("works without JavaScript: the snippets are plain text, no dead buttons", async () => {
    const context = await newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const res = await page.goto(`${t.base}/projects/default/setup?service=nojs`);
    expect(res?.status()).toBe(200);
    expect(await page.locator("#go-env-code").textContent()).toContain("export OTEL_SERVICE_NAME=nojs");
    expect(await page.getByRole("button", { name: /^Copy / }).count()).toBe(0);
    await context.close();
  });
});
