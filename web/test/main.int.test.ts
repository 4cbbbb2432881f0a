import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { linkFrom } from "./helpers";

/** The standalone entry, as production runs it: `tsx web/server/main.ts`. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const API_TOKEN = "cw_at_mainEntryTestToken_0123456789abcdef";

let db: TestDatabase;
let child: ChildProcess;
const out: string[] = [];

function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      for (const line of out.join("").split("\n")) {
        const m = pattern.exec(line);
        if (m) return resolve(m);
      }
      if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}:\n${out.join("")}`));
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`timed out waiting for ${pattern}:\n${out.join("")}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  child = spawn(`${ROOT}/node_modules/.bin/tsx`, ["web/server/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "production",
      DATABASE_URL: db.url,
      WEB_PORT: "0",
      CODEWARDEN_ADMIN_EMAIL: "owner@example.com",
      CODEWARDEN_BOOTSTRAP_API_TOKEN: API_TOKEN,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (b: Buffer) => out.push(b.toString()));
  child.stderr?.on("data", (b: Buffer) => out.push(b.toString()));
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await db?.drop();
});

it("migrates, bootstraps, serves sign-in and the API, prints the link on one stdout line, and stops on SIGTERM", async () => {
  const ready = await waitFor(/"msg":"web listening"/);
  const port = Number(/"port":(\d+)/.exec(ready.input)![1]);
  const base = `http://127.0.0.1:${port}`;

  const projects = await fetch(`${base}/api/v1/projects`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  expect(await projects.json()).toEqual({ projects: [{ slug: "default", name: "Default" }] });

  // The bootstrap banner: the given token as is, a generated ingest key in full, once.
  await waitFor(/OTLP endpoint/);
  const printed = out.join("");
  expect(printed).toContain(`API token:      ${API_TOKEN}`);
  expect(printed).toMatch(/Ingest key: {5}cw_ik_[A-Za-z0-9_-]{43}\n/);
  expect(printed).toContain("OTLP endpoint:  http://localhost:4318");

  await fetch(`${base}/login`, { method: "POST", body: new URLSearchParams({ email: "owner@example.com" }) });
  const line = await waitFor(
    /^\[codewarden\] sign-in link for owner@example\.com: http:\/\/localhost:\d+\/auth\/verify\?token=\S+$/,
  );
  const link = new URL(linkFrom(line[0]));
  expect(link.port).toBe(String(port));
  const verify = await fetch(`${base}${link.pathname}${link.search}`, { redirect: "manual" });
  const cookie = /cw_session=[^;]+/.exec(verify.headers.get("set-cookie") ?? "")?.[0];
  expect(cookie).toBeDefined();
  const page = await fetch(`${base}/projects/default/issues`, { headers: { cookie: cookie! } });
  expect(page.status).toBe(200);
  // A project without issues points to its setup page.
  expect(await page.text()).toContain('href="/projects/default/setup"');

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
});
