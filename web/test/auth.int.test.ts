import { hashSecret } from "@codewarden/common";
import { listAuditLog, schema } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_EMAIL,
  linkFrom,
  seedEvent,
  seedIssue,
  seedMember,
  seedOtherOrg,
  signIn,
  startTestWeb,
  type TestWeb,
} from "./helpers";

let t: TestWeb;

beforeAll(async () => {
  t = await startTestWeb();
});

afterAll(async () => {
  await t?.close();
});

const login = (email: string, headers: Record<string, string> = {}) =>
  fetch(`${t.base}/login`, { method: "POST", body: new URLSearchParams({ email }), headers });

const get = (path: string, cookie?: string) =>
  fetch(`${t.base}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });

function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF field in page");
  return m[1];
}

describe("magic-link sign-in", () => {
  it("mails a link to a known user and answers 'check your email'", async () => {
    const before = t.mail.length;
    const res = await login("Admin@Localhost");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your email");
    expect(t.mail).toHaveLength(before + 1);
    const line = t.mail[before]!;
    expect(line).toMatch(
      /^\[codewarden\] sign-in link for admin@localhost: http:\/\/localhost:\d+\/auth\/verify\?token=\S+\n$/,
    );
    expect(line.trimEnd().split("\n")).toHaveLength(1);
    // The link's port is the one actually listened on (WEB_PORT=0).
    expect(new URL(linkFrom(line)).port).toBe(String(t.web.port));
    // Only the token's hash is stored.
    const token = new URL(linkFrom(line)).searchParams.get("token")!;
    const rows = await t.db
      .select()
      .from(schema.magicLinks)
      .where(eq(schema.magicLinks.tokenHash, hashSecret(token)));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(rows[0]!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it("answers the same for an unknown address and sends nothing", async () => {
    const before = t.mail.length;
    const res = await login("nobody@example.com");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your email");
    expect(t.mail).toHaveLength(before);
    const rows = await t.db
      .select()
      .from(schema.magicLinks)
      .where(eq(schema.magicLinks.email, "nobody@example.com"));
    expect(rows).toHaveLength(0);
  });

  it("rejects an invalid address with a form error", async () => {
    const res = await login("not an email");
    expect(await res.text()).toContain("Enter a valid email address");
  });

  it("refuses a cross-origin login POST", async () => {
    const res = await login(ADMIN_EMAIL, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
  });

  it("verifies once, sets a hardened session cookie, and stores only the session hash", async () => {
    const before = t.mail.length;
    await login(ADMIN_EMAIL);
    const link = new URL(linkFrom(t.mail[before]));
    const res = await get(`${link.pathname}${link.search}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^cw_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain(`Max-Age=${30 * 86_400}`);
    expect(setCookie).not.toContain("Secure");
    const value = /cw_session=([^;]+)/.exec(setCookie)![1]!;
    const sessions = await t.db
      .select()
      .from(schema.sessions)
      .where(eq(schema.sessions.tokenHash, hashSecret(value)));
    expect(sessions).toHaveLength(1);

    // Home redirects to the first project's issues.
    const home = await get("/", `cw_session=${value}`);
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("/projects/default/issues");

    // The link is single-use.
    const again = await get(`${link.pathname}${link.search}`);
    expect(again.status).toBe(400);
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(await again.text()).toContain("does not work");
  });

  it("refuses an expired link", async () => {
    const token = "expiredTokenExpiredTokenExpiredToken0000000";
    await t.db.insert(schema.magicLinks).values({
      email: ADMIN_EMAIL,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() - 1000),
    });
    const res = await get(`/auth/verify?token=${token}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("limits links per address (5 per 15 minutes)", async () => {
    const email = "ratelimited@example.com";
    await t.db.insert(schema.users).values({ email });
    const before = t.mail.length;
    for (let i = 0; i < 7; i++) expect((await login(email)).status).toBe(200);
    expect(t.mail.slice(before).filter((l) => l.includes(email))).toHaveLength(5);
  });

  it("sends the signed-out to /login", async () => {
    for (const path of ["/", "/projects/default/issues", "/issues/7d9c1c8e-1111-4222-8333-944444444444"]) {
      const res = await get(path);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/login");
    }
    expect((await get("/", "cw_session=forgedforgedforgedforgedforgedforged")).headers.get("location")).toBe(
      "/login",
    );
  });

  it("uses a Secure cookie when the public URL is https", async () => {
    const secure = await startTestWeb({ CODEWARDEN_PUBLIC_URL: "https://codewarden.example.com" });
    try {
      await fetch(`${secure.base}/login`, {
        method: "POST",
        body: new URLSearchParams({ email: ADMIN_EMAIL }),
      });
      const link = new URL(linkFrom(secure.mail[0]));
      expect(link.origin).toBe("https://codewarden.example.com");
      const res = await fetch(`${secure.base}${link.pathname}${link.search}`, { redirect: "manual" });
      expect(res.headers.get("set-cookie")).toMatch(/; Secure/);
      expect(res.headers.get("strict-transport-security")).toContain("max-age=");
    } finally {
      await secure.close();
    }
  });
});

describe("signed-in dashboard", () => {
  let cookie: string;
  let issueId: string;
  let other: Awaited<ReturnType<typeof seedOtherOrg>>;

  beforeAll(async () => {
    cookie = await signIn(t);
    issueId = await seedIssue(t.db, t.boot.projectId, { title: "Dashboard issue" });
    await seedEvent(t.db, t.boot.projectId, issueId);
    other = await seedOtherOrg(t.db);
  });

  it("shows the list and the issue page", async () => {
    const list = await get("/projects/default/issues", cookie);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("Dashboard issue");
    const page = await get(`/issues/${issueId}`, cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Dashboard issue");
    expect(html).toContain("No summary yet");
  });

  it("pages the issue list with an Older link", async () => {
    const [project] = await t.db
      .insert(schema.projects)
      .values({ orgId: t.boot.orgId, slug: "many", name: "Many" })
      .returning({ id: schema.projects.id });
    for (let i = 0; i < 27; i++) {
      await seedIssue(t.db, project!.id, {
        title: `Many ${i}`,
        lastSeen: new Date(Date.UTC(2025, 0, 1, 0, i)),
      });
    }
    const first = await (await get("/projects/many/issues", cookie)).text();
    expect(first).toContain("Many 26");
    expect(first).not.toContain("Many 1<");
    const older = /<a[^>]*href="([^"]+)"[^>]*rel="next"|<a[^>]*rel="next"[^>]*href="([^"]+)"/.exec(first);
    const href = (older?.[1] ?? older?.[2])?.replaceAll("&amp;", "&");
    // The default tab (unresolved) is left out of the URL.
    expect(href).toMatch(/^\/projects\/many\/issues\?cursor=/);
    const second = await (await get(href!, cookie)).text();
    expect(second).toContain("Many 1<");
    expect(second).toContain("Many 0<");
    expect(second).not.toContain("Many 2<");
    expect(second).not.toContain('rel="next"');
    expect(second).toContain("First page");
  });

  it("sends security headers, and the inline scripts carry the CSP nonce", async () => {
    const res = await get("/projects/default/issues", cookie);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const html = await res.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(inline.length).toBeGreaterThan(0);
    for (const [, attrs] of inline) expect(attrs).toContain(`nonce="${nonce}"`);
  });

  it.each([
    ["another organisation's issue", () => `/issues/${other.issueId}`],
    ["another organisation's project", () => `/projects/${other.project.slug}/issues`],
    ["a malformed issue id", () => "/issues/123"],
    ["an unknown issue id", () => "/issues/7d9c1c8e-1111-4222-8333-944444444444"],
  ])("answers 404 for %s", async (_name, path) => {
    const res = await get(path(), cookie);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("Other org issue");
  });

  it("refuses issue actions without a valid CSRF token (403) and changes nothing", async () => {
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${t.base}/issues/${issueId}`, {
        method: "POST",
        body: new URLSearchParams(fields),
        headers: { cookie, ...headers },
        redirect: "manual",
      });
    expect((await post({ intent: "resolve" })).status).toBe(403);
    expect((await post({ intent: "resolve", _csrf: "wrong" })).status).toBe(403);
    // A token minted for another session does not work either.
    await seedMember(t.db, t.boot.orgId, "colleague@example.com");
    const otherCookie = await signIn(t, "colleague@example.com");
    const otherToken = csrfFrom(await (await get(`/issues/${issueId}`, otherCookie)).text());
    expect((await post({ intent: "resolve", _csrf: otherToken })).status).toBe(403);
    // The right token from a foreign origin is refused too.
    const token = csrfFrom(await (await get(`/issues/${issueId}`, cookie)).text());
    expect((await post({ intent: "resolve", _csrf: token }, { origin: "https://evil.example" })).status).toBe(
      403,
    );

    const [row] = await t.db
      .select({ status: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, issueId));
    expect(row?.status).toBe("unresolved");
    expect(await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: issueId })).toHaveLength(0);

    // With the token the action goes through and is audit-logged with the user and address.
    const ok = await post({ intent: "resolve", _csrf: token });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe(`/issues/${issueId}`);
    const [after] = await t.db
      .select({ status: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, issueId));
    expect(after?.status).toBe("resolved");
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: issueId });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorType: "user",
      actorUserId: t.boot.adminUserId,
      action: "issue.status_changed",
      metadata: { from: "unresolved", to: "resolved" },
    });
    expect(audit[0]?.ip).toBe("127.0.0.1");
  });

  it("a user cannot act on another organisation's issue even with a valid token", async () => {
    const token = csrfFrom(await (await get("/projects/default/issues", cookie)).text());
    const res = await fetch(`${t.base}/issues/${other.issueId}`, {
      method: "POST",
      body: new URLSearchParams({ intent: "ignore", _csrf: token }),
      headers: { cookie },
      redirect: "manual",
    });
    expect(res.status).toBe(404);
    const [row] = await t.db
      .select({ status: schema.issues.status })
      .from(schema.issues)
      .where(eq(schema.issues.id, other.issueId));
    expect(row?.status).toBe("unresolved");
  });

  it("logout needs the CSRF token, then revokes the session", async () => {
    await seedMember(t.db, t.boot.orgId, "leaving@example.com");
    const mine = await signIn(t, "leaving@example.com");
    const refused = await fetch(`${t.base}/logout`, {
      method: "POST",
      headers: { cookie: mine },
      redirect: "manual",
    });
    expect(refused.status).toBe(403);
    const token = csrfFrom(await (await get("/projects/default/issues", mine)).text());
    const res = await fetch(`${t.base}/logout`, {
      method: "POST",
      body: new URLSearchParams({ _csrf: token }),
      headers: { cookie: mine },
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login");
    expect(res.headers.get("set-cookie")).toMatch(/^cw_session=; .*Max-Age=0/);
    const [session] = await t.db
      .select({ revokedAt: schema.sessions.revokedAt })
      .from(schema.sessions)
      .where(eq(schema.sessions.tokenHash, hashSecret(mine.slice("cw_session=".length))));
    expect(session?.revokedAt).toBeInstanceOf(Date);
    expect((await get("/", mine)).headers.get("location")).toBe("/login");
  });
});
