import { type DbHandle, ensureBootstrap, listAuditLog, schema } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestPglite } from "../../drizzle/src/testing";
import { loadWebConfig } from "../server/config";
import { startWeb, type WebServer } from "../server/index";
import { createDevMailer } from "../server/mailer";
import { clientFor, inviteLinkFrom, pathOf, sessionFrom } from "./accounts-helpers";
import { linkFrom } from "./helpers";

/** The all-in-one mode runs on embedded PGlite: the accounts queries (upserts, locks, subqueries) too. */
let handle: DbHandle;
let web: WebServer;
let base: string;
const mail: string[] = [];
let boot: Awaited<ReturnType<typeof ensureBootstrap>>;

beforeAll(async () => {
  handle = await createTestPglite();
  boot = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" });
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

async function signIn(email: string) {
  const before = mail.length;
  const res = await fetch(`${base}/login`, { method: "POST", body: new URLSearchParams({ email }) });
  expect(res.status).toBe(200);
  const verify = await fetch(`${base}${pathOf(linkFrom(mail[before]))}`, { redirect: "manual" });
  return clientFor({ base }, email, sessionFrom(verify)!);
}

it("signs in, creates an organisation, a project and keys, invites, and signs out everywhere on PGlite", async () => {
  const owner = await signIn("admin@localhost");

  const org = await owner.post("/settings", { intent: "createOrganization", name: "Lite Org" });
  expect(org.headers.get("location")).toBe("/settings/orgs/lite-org/projects");
  const project = await owner.post("/settings/orgs/lite-org/projects/new", { name: "Lite App" });
  expect(project.status).toBe(200);
  const secret = /cw_ik_[A-Za-z0-9_-]{43}/.exec(await project.text())?.[0];
  expect(secret).toBeDefined();
  const keys = await (await owner.get("/settings/orgs/lite-org/projects/lite-app/keys")).text();
  expect(keys).toContain(`${secret!.slice(0, 12)}…`);
  expect(keys).not.toContain(secret);

  const before = mail.length;
  expect(
    (await owner.post("/settings/orgs/lite-org?index", { intent: "invite", email: "pal@example.com" }))
      .status,
  ).toBe(200);
  const accepted = await fetch(`${base}/invite`, {
    method: "POST",
    body: new URLSearchParams({ token: new URL(inviteLinkFrom(mail[before])).searchParams.get("token")! }),
    redirect: "manual",
  });
  expect(accepted.status).toBe(302);
  const pal = clientFor({ base }, "pal@example.com", sessionFrom(accepted)!);
  expect((await pal.get("/settings/orgs/lite-org")).status).toBe(200);

  // The only owner cannot step down (row lock + count), a member can leave.
  const [admin] = await handle.db
    .select()
    .from(schema.users)
    .where(eq(schema.users.email, "admin@localhost"));
  expect(
    (
      await owner.post("/settings/orgs/lite-org?index", {
        intent: "changeRole",
        userId: admin!.id,
        role: "member",
      })
    ).status,
  ).toBe(409);
  expect((await pal.post("/settings/orgs/lite-org?index", { intent: "leave" })).status).toBe(302);
  expect((await pal.get("/settings/orgs/lite-org")).status).toBe(404);

  const [lite] = await handle.db
    .select({ id: schema.organizations.id })
    .from(schema.organizations)
    .where(eq(schema.organizations.slug, "lite-org"));
  expect((await listAuditLog(handle.db, { orgId: lite!.id })).map((a) => a.action)).toEqual([
    "member.left",
    "user.signed_in", // the invitation signed pal in
    "invitation.accepted",
    "member.invited",
    "ingest_key.created",
    "project.created",
    "organization.created",
  ]);
  expect(boot.orgId).not.toBe(lite!.id);

  const out = await owner.post("/logout", { scope: "everywhere" });
  expect(out.status).toBe(302);
  expect((await owner.get("/settings")).headers.get("location")).toBe("/login");
});
