import { generateSecret } from "@codewarden/common";
import { type DbHandle, ensureBootstrap, listAuditLog } from "@codewarden/drizzle";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestPglite } from "../../drizzle/src/testing";
import { loadWebConfig } from "../server/config";
import { startWeb, type WebServer } from "../server/index";
import { createDevMailer } from "../server/mailer";
import { linkFrom, seedEvent, seedIssue, seedSummary } from "./helpers";

/** The all-in-one mode runs on embedded PGlite: the same queries must work there. */
let handle: DbHandle;
let web: WebServer;
let base: string;
const token = generateSecret("cw_at_");
const mail: string[] = [];
let boot: Awaited<ReturnType<typeof ensureBootstrap>>;

beforeAll(async () => {
  handle = await createTestPglite();
  boot = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost", apiToken: token });
  web = await startWeb(loadWebConfig({ WEB_PORT: "0" }), {
    db: handle.db,
    logger: pino({ level: "silent" }),
    mailer: createDevMailer((l) => mail.push(l)),
  });
  base = `http://127.0.0.1:${web.port}`;
});

afterAll(async () => {
  await web?.close();
  await handle?.close();
});

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies; the assertions check their shape
  return { status: res.status, body: (await res.json()) as any };
};

it("serves the API, pagination, PATCH with audit, and sign-in on PGlite", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      await seedIssue(handle.db, boot.projectId, { lastSeen: new Date(Date.UTC(2025, 0, 1, 0, 0, i)) }),
    );
  await seedSummary(handle.db, ids[4]!);
  for (let i = 0; i < 3; i++)
    await seedEvent(handle.db, boot.projectId, ids[4]!, {
      timestamp: new Date(Date.UTC(2025, 0, 2, 0, 0, i)),
    });

  const first = await api("/api/v1/projects/default/issues?limit=3");
  expect(first.status).toBe(200);
  expect(first.body.issues.map((i: { id: string }) => i.id)).toEqual([ids[4], ids[3], ids[2]]);
  expect(first.body.issues[0].summary.source).toBe("llm");
  const second = await api(`/api/v1/projects/default/issues?limit=3&cursor=${first.body.nextCursor}`);
  expect(second.body.issues.map((i: { id: string }) => i.id)).toEqual([ids[1], ids[0]]);
  expect(second.body.nextCursor).toBeNull();

  const detail = await api(`/api/v1/issues/${ids[4]}`);
  expect(detail.body.latestEvent.timestamp).toBe("2025-01-02T00:00:02.000Z");
  const events = await api(`/api/v1/issues/${ids[4]}/events?limit=2`);
  expect(events.body.events).toHaveLength(2);
  expect(events.body.nextCursor).toEqual(expect.any(String));

  const patched = await api(`/api/v1/issues/${ids[0]}`, {
    method: "PATCH",
    body: JSON.stringify({ status: "ignored" }),
  });
  expect(patched.status).toBe(200);
  expect(patched.body.status).toBe("ignored");
  expect(await listAuditLog(handle.db, { orgId: boot.orgId, targetId: ids[0] })).toHaveLength(1);

  await fetch(`${base}/login`, { method: "POST", body: new URLSearchParams({ email: "admin@localhost" }) });
  const link = new URL(linkFrom(mail[0]));
  const verify = await fetch(`${base}${link.pathname}${link.search}`, { redirect: "manual" });
  const cookie = /cw_session=[^;]+/.exec(verify.headers.get("set-cookie") ?? "")?.[0];
  expect(cookie).toBeDefined();
  const page = await fetch(`${base}/issues/${ids[4]}`, { headers: { cookie: cookie! } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("AI summary");
});
