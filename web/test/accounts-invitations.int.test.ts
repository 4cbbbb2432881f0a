import { hashSecret } from "@codewarden/common";
import { listAuditLog, schema } from "@codewarden/drizzle";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientFor,
  inviteLinkFrom,
  pathOf,
  roleOf,
  sessionFrom,
  signedIn,
} from "./accounts-helpers";
import { seedMember, signIn, startTestWeb, type TestWeb } from "./helpers";

let t: TestWeb;
let owner: Client;

beforeAll(async () => {
  t = await startTestWeb();
  owner = await signedIn(t);
  await seedMember(t.db, t.boot.orgId, "viewer@example.com");
});

afterAll(async () => {
  await t?.close();
});

const ORG = "/settings/orgs/default";
/** The members page is the organisation's index route: its forms post to `?index`. */
const MEMBERS = `${ORG}?index`;

const membership = (email: string, orgId = t.boot.orgId) => roleOf(t.db, orgId, email);

/** Owner invites `email`; returns the emailed link. */
async function invite(email: string, role = "member"): Promise<string> {
  const before = t.mail.length;
  const res = await owner.post(MEMBERS, { intent: "invite", email, role });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain(`Invitation sent to ${email}`);
  const lines = t.mail.slice(before);
  expect(lines).toHaveLength(1);
  return inviteLinkFrom(lines[0]);
}

const open = (link: string, cookie?: string) =>
  fetch(`${t.base}${pathOf(link)}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });

const accept = (link: string, fields: Record<string, string> = {}, cookie?: string) =>
  fetch(`${t.base}/invite`, {
    method: "POST",
    body: new URLSearchParams({ token: new URL(link).searchParams.get("token")!, ...fields }),
    headers: cookie ? { cookie } : {},
    redirect: "manual",
  });

describe("invitations", () => {
  it("emails a single-use link (stored hashed); opening it shows the invitation without accepting it", async () => {
    const link = await invite("newcomer@example.com");
    const token = new URL(link).searchParams.get("token")!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await t.db
      .select()
      .from(schema.invitations)
      .where(eq(schema.invitations.email, "newcomer@example.com"));
    expect(row?.tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const ttl = row!.expiresAt.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400_000);

    const pending = await (await owner.get(ORG)).text();
    expect(pending).toContain("newcomer@example.com");
    expect(pending).toContain("Pending invitations");

    const page = await open(link);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("Join Default");
    expect(html).toContain("Accept and sign in as newcomer@example.com");
    // Looking does not join (mail scanners follow links).
    expect(await membership("newcomer@example.com")).toBeNull();
  });

  it("signing in through the link creates the user, the membership and a session, once", async () => {
    const link = await invite("joiner@example.com", "owner");
    const res = await accept(link);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${ORG}?joined=1`);
    const cookie = sessionFrom(res);
    expect(cookie).not.toBeNull();
    expect(res.headers.get("set-cookie")).toContain("HttpOnly");
    expect(res.headers.get("set-cookie")).toContain("SameSite=Lax");
    expect(await membership("joiner@example.com")).toBe("owner");

    const joiner = clientFor(t, "joiner@example.com", cookie!);
    const page = await joiner.get(`${ORG}?joined=1`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("You are now a member of Default");

    const again = await accept(link);
    expect(again.status).toBe(400);
    expect(sessionFrom(again)).toBeNull();
    expect(await again.text()).toContain("This invitation does not work");
    expect((await open(link)).status).toBe(400);

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId });
    const accepted = audit.find((a) => a.action === "invitation.accepted");
    expect(accepted?.metadata).toMatchObject({ email: "joiner@example.com", role: "owner" });
    expect(audit.find((a) => a.action === "member.invited")?.actorUserId).toBe(t.boot.adminUserId);
  });

  it("accepting while signed in as the invited address needs the CSRF token and keeps the session", async () => {
    const email = "existing@example.com";
    await t.db.insert(schema.users).values({ email });
    const me = await signedIn(t, email);
    const link = await invite(email);
    const shown = await (await open(link, me.cookie)).text();
    expect(shown).toContain("Accept invitation");

    expect((await accept(link, {}, me.cookie)).status).toBe(403);
    expect(await membership(email)).toBeNull();

    const res = await me.post("/invite", { token: new URL(link).searchParams.get("token")! });
    expect(res.status).toBe(302);
    expect(sessionFrom(res)).toBeNull();
    expect(await membership(email)).toBe("member");
  });

  it("signed in as someone else: refused, unless they choose to switch accounts", async () => {
    const link = await invite("switcher@example.com");
    const intruder = owner;
    const shown = await (await open(link, intruder.cookie)).text();
    expect(shown).toContain("Sign out and accept as switcher@example.com");

    const refused = await intruder.post("/invite", { token: new URL(link).searchParams.get("token")! });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("This invitation is for switcher@example.com");
    expect(await membership("switcher@example.com")).toBeNull();

    // Switching: a second session of the admin is signed out, the invitee signed in.
    const adminTab = clientFor(t, owner.email, await signIn(t));
    const res = await adminTab.post("/invite", {
      token: new URL(link).searchParams.get("token")!,
      intent: "switch",
    });
    expect(res.status).toBe(302);
    const cookie = sessionFrom(res);
    expect(cookie).not.toBeNull();
    expect(await membership("switcher@example.com")).toBe("member");
    expect((await adminTab.get("/settings")).status).toBe(302);
    const settings = await clientFor(t, "switcher@example.com", cookie!).get("/settings");
    expect(await settings.text()).toContain("switcher@example.com");
    // The first admin session is untouched.
    expect((await owner.get("/settings")).status).toBe(200);
  });

  it("refuses an expired invitation", async () => {
    const link = await invite("late@example.com");
    await t.db
      .update(schema.invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.invitations.email, "late@example.com"));
    expect((await open(link)).status).toBe(400);
    const res = await accept(link);
    expect(res.status).toBe(400);
    expect(sessionFrom(res)).toBeNull();
    expect(await membership("late@example.com")).toBeNull();
    const users = await t.db.select().from(schema.users).where(eq(schema.users.email, "late@example.com"));
    expect(users).toHaveLength(0);
    expect(await (await owner.get(ORG)).text()).toContain("Expired");
  });

  it("owners revoke pending invitations; inviting again replaces the earlier link", async () => {
    const first = await invite("revoked@example.com");
    const second = await invite("revoked@example.com");
    expect((await open(first)).status).toBe(400);
    expect((await open(second)).status).toBe(200);

    const [row] = await t.db
      .select({ id: schema.invitations.id })
      .from(schema.invitations)
      .where(
        and(
          eq(schema.invitations.email, "revoked@example.com"),
          eq(schema.invitations.tokenHash, hashSecret(new URL(second).searchParams.get("token")!)),
        ),
      );
    const res = await owner.post(MEMBERS, { intent: "revokeInvitation", invitationId: row!.id });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Invitation revoked");
    expect((await accept(second)).status).toBe(400);
    expect(await membership("revoked@example.com")).toBeNull();
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: row!.id });
    expect(audit.map((a) => a.action)).toEqual(["invitation.revoked", "member.invited"]);
    // Revoking twice: nothing pending with that id any more.
    expect((await owner.post(MEMBERS, { intent: "revokeInvitation", invitationId: row!.id })).status).toBe(
      404,
    );
  });

  it("refuses inviting a member, a bad address, and more than 30 invitations an hour", async () => {
    const member = await owner.post(MEMBERS, {
      intent: "invite",
      email: "VIEWER@example.com",
      role: "member",
    });
    expect(member.status).toBe(409);
    expect(await member.text()).toContain("viewer@example.com is already a member");
    const bad = await owner.post(MEMBERS, { intent: "invite", email: "not an address", role: "member" });
    expect(bad.status).toBe(400);
    const role = await owner.post(MEMBERS, { intent: "invite", email: "a@example.com", role: "admin" });
    expect(role.status).toBe(400);

    // Every attempt counts, refused ones too: fill the hour's allowance of 30.
    const [counter] = await t.db
      .select({ hits: schema.rateLimits.hits })
      .from(schema.rateLimits)
      .where(eq(schema.rateLimits.key, `invite:org:${t.boot.orgId}`));
    const before = t.mail.length;
    const statuses: number[] = [];
    for (let i = counter?.hits ?? 0; i < 30; i++)
      statuses.push((await owner.post(MEMBERS, { intent: "invite", email: `bulk-${i}@example.com` })).status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(t.mail.length - before).toBe(statuses.length);
    const limited = await owner.post(MEMBERS, { intent: "invite", email: "one-too-many@example.com" });
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain("Too many invitations");
    expect(t.mail.length - before).toBe(statuses.length);
  });

  it("members cannot invite or revoke (403)", async () => {
    const v = await signedIn(t, "viewer@example.com");
    const page = await (await v.get(ORG)).text();
    expect(page).not.toContain("Invite a member");
    expect(page).not.toContain("Pending invitations");
    const res = await v.post(MEMBERS, { intent: "invite", email: "friend@example.com", role: "owner" });
    expect(res.status).toBe(403);
    const [pending] = await t.db
      .select({ id: schema.invitations.id })
      .from(schema.invitations)
      .where(eq(schema.invitations.email, "newcomer@example.com"));
    expect((await v.post(MEMBERS, { intent: "revokeInvitation", invitationId: pending!.id })).status).toBe(
      403,
    );
    expect(
      await t.db.select().from(schema.invitations).where(eq(schema.invitations.email, "friend@example.com")),
    ).toHaveLength(0);
  });
});
