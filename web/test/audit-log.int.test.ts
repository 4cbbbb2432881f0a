import { type AuditEntry, listAuditLog, recordAudit, schema } from "@codewarden/drizzle";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, clientFor, pathOf, sessionFrom, signedIn } from "./accounts-helpers";
import { ADMIN_EMAIL, linkFrom, seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

/** SOC 2 audit log: sign-in events, the filtered page, its CSV export. */

let t: TestWeb;
let owner: Client;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

const ORG = "/settings/orgs/default";
const AUDIT = `${ORG}/audit`;

beforeAll(async () => {
  t = await startTestWeb();
  owner = await signedIn(t);
  other = await seedOtherOrg(t.db);
});

afterAll(async () => {
  await t?.close();
});

/** Asks for a sign-in link by the form and returns its path. */
async function requestLink(email: string): Promise<string> {
  const before = t.mail.length;
  const res = await fetch(`${t.base}/login`, { method: "POST", body: new URLSearchParams({ email }) });
  expect(res.status).toBe(200);
  return pathOf(linkFrom(t.mail[before]));
}

const rowsOf = (userId: string, action: string) =>
  t.db
    .select()
    .from(schema.auditLog)
    .where(and(eq(schema.auditLog.actorUserId, userId), eq(schema.auditLog.action, action)));

describe("sign-in and sign-out are audit-logged in each of the user's organisations", () => {
  it("records user.signed_in with the address, method and capped User-Agent, then user.signed_out", async () => {
    const email = "two-orgs@example.com";
    const userId = await seedMember(t.db, t.boot.orgId, email);
    await t.db.insert(schema.memberships).values({ orgId: other.orgId, userId, role: "member" });
    const userAgent = `Mozilla/5.0 ${"x".repeat(400)}`;

    const verify = await fetch(`${t.base}${await requestLink(email)}`, {
      redirect: "manual",
      headers: { "User-Agent": userAgent },
    });
    expect(verify.status).toBe(302);
    const cookie = sessionFrom(verify)!;
    const [session] = await t.db.select().from(schema.sessions).where(eq(schema.sessions.userId, userId));

    const signedInRows = await rowsOf(userId, "user.signed_in");
    expect(signedInRows.map((r) => r.orgId).sort()).toEqual([t.boot.orgId, other.orgId].sort());
    for (const r of signedInRows) {
      expect(r).toMatchObject({
        actorType: "user",
        targetType: "session",
        targetId: session!.id,
        ip: "127.0.0.1",
        metadata: { method: "magic_link", userAgent: userAgent.slice(0, 256) },
      });
    }

    const client = clientFor(t, email, cookie);
    expect((await client.post("/logout", {})).status).toBe(302);
    const out = await rowsOf(userId, "user.signed_out");
    expect(out.map((r) => r.orgId).sort()).toEqual([t.boot.orgId, other.orgId].sort());
    expect(out[0]).toMatchObject({ targetType: "session", targetId: session!.id, ip: "127.0.0.1" });
  });

  it("records user.sign_in_failed for a used link of a member; not for an unknown token", async () => {
    const email = "replayed@example.com";
    const userId = await seedMember(t.db, t.boot.orgId, email);
    const link = await requestLink(email);
    expect((await fetch(`${t.base}${link}`, { redirect: "manual" })).status).toBe(302);
    const replay = await fetch(`${t.base}${link}`, {
      redirect: "manual",
      headers: { "User-Agent": "replayer" },
    });
    expect(replay.status).toBe(400);
    const failed = await rowsOf(userId, "user.sign_in_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      orgId: t.boot.orgId,
      targetType: "user",
      targetId: userId,
      ip: "127.0.0.1",
      metadata: { method: "magic_link", reason: "link_used_or_expired", userAgent: "replayer" },
    });

    const before = await t.db.select().from(schema.auditLog);
    const unknown = await fetch(`${t.base}/auth/verify?token=${"A".repeat(43)}`, { redirect: "manual" });
    expect(unknown.status).toBe(400);
    expect(await t.db.select().from(schema.auditLog)).toHaveLength(before.length);
  });

  it("records user.signed_in with method invitation when an invitation signs a new user in", async () => {
    const res = await owner.post(`${ORG}?index`, { intent: "invite", email: "invitee-audit@example.com" });
    expect(res.status).toBe(200);
    const line = t.mail.findLast((l) => l.includes("invitee-audit@example.com"));
    const token = /invite\?token=([A-Za-z0-9_%-]+)/.exec(line ?? "")?.[1];
    expect(token).toBeTruthy();
    const accept = await fetch(`${t.base}/invite`, {
      method: "POST",
      body: new URLSearchParams({ token: decodeURIComponent(token!) }),
      headers: { Origin: t.base, "User-Agent": "invited-browser" },
      redirect: "manual",
    });
    expect(accept.status).toBe(302);
    const [user] = await t.db
      .select()
      .from(schema.users)
      .where(eq(schema.users.email, "invitee-audit@example.com"));
    const rows = await rowsOf(user!.id, "user.signed_in");
    expect(rows).toMatchObject([
      { orgId: t.boot.orgId, metadata: { method: "invitation", userAgent: "invited-browser" } },
    ]);
  });
});

describe("the audit page: filters and pagination (plain GET, no JavaScript needed)", () => {
  it("filters by category, actor and days, and refuses malformed filters with 400", async () => {
    const page = await (await owner.get(AUDIT)).text();
    expect(page).toContain('name="category"');
    expect(page).toContain('name="actor"');
    expect(page).toContain('type="date"');
    expect(page).toContain(`href="${AUDIT}.csv"`);

    const users = await (await owner.get(`${AUDIT}?category=user`)).text();
    expect(users).toContain("user.signed_in");
    expect(users).not.toContain("member.invited");
    expect(users).toMatch(/<option value="user" selected="">/);
    expect(users).toContain(`href="${AUDIT}.csv?category=user"`);

    const byAdmin = await (await owner.get(`${AUDIT}?category=member&actor=${t.boot.adminUserId}`)).text();
    expect(byAdmin).toContain("member.invited");
    expect(byAdmin).not.toContain("user.signed_in");

    const future = await (await owner.get(`${AUDIT}?from=2099-01-01&to=2099-01-31`)).text();
    expect(future).toContain("Nothing matches these filters.");

    for (const bad of [
      "category=nope",
      "actor=root",
      "from=2026-02-30",
      "from=2026-03-02&to=2026-03-01",
      "before=1",
    ]) {
      expect((await owner.get(`${AUDIT}?${bad}`)).status, bad).toBe(400);
    }
  });

  it("shows 100 rows a page with an Older link that continues where the page ended", async () => {
    const marks: AuditEntry[] = Array.from({ length: 130 }, (_, i) => ({
      orgId: t.boot.orgId,
      actorType: "system",
      actorUserId: null,
      action: "project.pagination_mark",
      targetType: "mark",
      targetId: `mark-${i}`,
      ip: null,
      metadata: { n: i },
    }));
    for (const m of marks) await recordAudit(t.db, m);
    const first = await (await owner.get(`${AUDIT}?category=project&actor=system`)).text();
    const shown = (html: string) => [...html.matchAll(/n: (\d+)</g)].map((m) => Number(m[1]));
    expect(shown(first)).toHaveLength(100);
    expect(shown(first)[0]).toBe(129);
    const older = /rel="next"[^>]*href="([^"]+)"/.exec(first)?.[1]?.replaceAll("&amp;", "&");
    expect(older).toMatch(/before=/);
    const second = await (await owner.get(older!)).text();
    expect(shown(second)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
    expect(second).not.toContain('rel="next"');
    expect(second).toContain("« Newest");
  });
});

describe("CSV export (audit.csv with the page's filters)", () => {
  const HOSTILE = '=HYPERLINK("http://evil.example","click"), "quoted"\nnext line';

  it("gives owners the filtered rows as an RFC 4180 attachment, formula-safe", async () => {
    // A valid address that a spreadsheet would take for a formula.
    const formulaUser = await seedMember(t.db, t.boot.orgId, "=2+3@example.com");
    await recordAudit(t.db, {
      orgId: t.boot.orgId,
      actorType: "user",
      actorUserId: formulaUser,
      action: "project.created",
      targetType: "project",
      targetId: "-1",
      ip: null,
    });
    await recordAudit(t.db, {
      orgId: t.boot.orgId,
      actorType: "user",
      actorUserId: t.boot.adminUserId,
      action: "project.created",
      targetType: "project",
      targetId: "@evil",
      ip: "10.1.2.3",
      metadata: { name: HOSTILE },
    });
    const mine = await owner.get(`${AUDIT}.csv?category=project&actor=${formulaUser}`);
    expect((await mine.text()).split("\r\n")[1]).toMatch(
      new RegExp(
        `^[^,]+,project\\.created,user,${formulaUser},'=2\\+3@example\\.com,project,'-1,,,\\{\\},\\d+$`,
      ),
    );
    const res = await owner.get(`${AUDIT}.csv?category=project&actor=${t.boot.adminUserId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const day = new Date().toISOString().slice(0, 10);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="codewarden-audit-default-${day}.csv"`,
    );
    const body = await res.text();
    const lines = body.split("\r\n");
    expect(lines[0]).toBe(
      "time,action,actor_type,actor_user_id,actor,target_type,target_id,ip,details,metadata,id",
    );
    expect(body.endsWith("\r\n")).toBe(true);
    // Only the admin's project.* rows: the one above (newest) and the bootstrap project.
    const expected = await listAuditLog(t.db, {
      orgId: t.boot.orgId,
      actionPrefix: "project.",
      actorUserId: t.boot.adminUserId,
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(body).not.toContain("pagination_mark");
    // The hostile row: target id neutralised, quotes doubled, the line break kept inside quotes.
    expect(body).toContain(
      `,project,'@evil,10.1.2.3,"name: =HYPERLINK(""http://evil.example"",""click""), ""quoted""\nnext line",`,
    );
    expect(body).toContain(`,${ADMIN_EMAIL},`);
    expect(body.match(/\r\n(?=\d{4}-)/g)).toHaveLength(expected.length);
    // The export is audit-logged.
    const exported = await listAuditLog(t.db, { orgId: t.boot.orgId, action: "audit_log.exported" });
    expect(exported[0]).toMatchObject({ actorUserId: t.boot.adminUserId, ip: "127.0.0.1" });
  });

  it("exports every matching row, past one page", async () => {
    const body = await (await owner.get(`${AUDIT}.csv?category=project&actor=system`)).text();
    expect(body.match(/project\.pagination_mark/g)).toHaveLength(130);
  });

  it("is refused to members (403), to another organisation's owner (404) and when signed out", async () => {
    await seedMember(t.db, t.boot.orgId, "csv-member@example.com");
    const member = await signedIn(t, "csv-member@example.com");
    const refused = await member.get(`${AUDIT}.csv`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("project.created");

    const theirOwner = await signedIn(t, other.email);
    const foreign = await theirOwner.get(`${AUDIT}.csv`);
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("content-type")).not.toMatch(/csv/);

    const anonymous = await fetch(`${t.base}${AUDIT}.csv`, { redirect: "manual" });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toBe("/login");
    // Nothing of ours leaked into their log either way.
    const theirs = await listAuditLog(t.db, { orgId: other.orgId });
    expect(theirs.filter((r) => r.action === "audit_log.exported")).toHaveLength(0);
  });
});

it("keeps the other organisation's rows out of our page and export", async () => {
  const ours = await listAuditLog(t.db, { orgId: t.boot.orgId, limit: 1000 });
  const theirIds = (
    await t.db
      .select()
      .from(schema.auditLog)
      .where(inArray(schema.auditLog.orgId, [other.orgId]))
  ).map((r) => r.id);
  expect(theirIds.length).toBeGreaterThan(0);
  expect(ours.some((r) => theirIds.includes(r.id))).toBe(false);
  const body = await (await owner.get(`${AUDIT}.csv`)).text();
  for (const id of theirIds) expect(body).not.toMatch(new RegExp(`,${id}\\r\\n`));
});
