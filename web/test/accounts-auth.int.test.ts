import { hashSecret } from "@codewarden/common";
import { schema } from "@codewarden/drizzle";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mailer } from "../server/mailer";
import { clientFor, csrfFrom, pathOf, sessionFrom, startWebWithMailer } from "./accounts-helpers";
import { ADMIN_EMAIL, linkFrom, seedMember, signIn, startTestWeb, type TestWeb } from "./helpers";

let t: TestWeb;

beforeAll(async () => {
  t = await startTestWeb();
});

afterAll(async () => {
  await t?.close();
});

const login = (web: { base: string }, email: string, headers: Record<string, string> = {}) =>
  fetch(`${web.base}/login`, { method: "POST", body: new URLSearchParams({ email }), headers });

/** The page without its per-response CSP nonces. */
const withoutNonces = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');

describe("sign-in links: no account enumeration", () => {
  it("answers a known and an unknown address with the same page, and mails only the known one", async () => {
    const before = t.mail.length;
    const known = await login(t, ADMIN_EMAIL);
    const unknown = await login(t, "nobody-here@example.com");
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.headers.get("set-cookie")).toBeNull();
    expect(unknown.headers.get("set-cookie")).toBeNull();
    const [a, b] = [withoutNonces(await known.text()), withoutNonces(await unknown.text())];
    expect(a).toContain("Check your email");
    expect(a).toBe(b);
    expect(t.mail.slice(before)).toHaveLength(1);
    expect(t.mail[before]).toContain(`sign-in link for ${ADMIN_EMAIL}:`);
  });

  it("counts unknown addresses too, and keeps no address in clear in the counters", async () => {
    const email = "never-registered@example.com";
    for (let i = 0; i < 2; i++) expect((await login(t, email)).status).toBe(200);
    const [counter] = await t.db
      .select()
      .from(schema.rateLimits)
      .where(eq(schema.rateLimits.key, `sign-in:email:${hashSecret(email)}`));
    expect(counter?.hits).toBe(2);
    const keys = (await t.db.select({ key: schema.rateLimits.key }).from(schema.rateLimits)).map(
      (r) => r.key,
    );
    expect(keys.some((k) => k.includes("@"))).toBe(false);
  });

  it("answers without waiting for the mail to be sent (a slow SMTP server does not reveal accounts)", async () => {
    const handedOver: string[] = [];
    const stuck: Mailer = {
      sendSignInLink: ({ to }) => {
        handedOver.push(to);
        return new Promise<void>(() => {});
      },
      sendInvitation: () => new Promise<void>(() => {}),
    };
    const web = await startWebWithMailer(stuck);
    try {
      const res = await login(web, ADMIN_EMAIL);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("Check your email");
      expect(handedOver).toEqual([ADMIN_EMAIL]);
    } finally {
      await web.close();
    }
  });
});

describe("sign-in rate limits", () => {
  it("sends at most 5 links per address per 15 minutes, answering the same after that", async () => {
    const email = "limited@example.com";
    await t.db.insert(schema.users).values({ email });
    const before = t.mail.length;
    const pages = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const res = await login(t, email);
      expect(res.status).toBe(200);
      pages.add(withoutNonces(await res.text()));
    }
    expect(pages.size).toBe(1);
    expect(t.mail.slice(before).filter((l) => l.includes(email))).toHaveLength(5);
  });

  it("refuses a client address after 30 requests in 15 minutes (429 with Retry-After), whatever the address", async () => {
    // A fresh server: the limit is per client address, and every test here comes from 127.0.0.1.
    const web = await startTestWeb();
    try {
      for (let i = 0; i < 30; i++) {
        const res = await login(web, i % 3 === 0 ? ADMIN_EMAIL : `stranger-${i}@example.com`);
        expect(res.status).toBe(200);
      }
      const mailed = web.mail.length;
      const refused = await login(web, ADMIN_EMAIL);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(await refused.text()).toContain("Too many sign-in requests");
      // An unknown address gets the same refusal (the limit reveals nothing about accounts) ...
      expect((await login(web, "unknown-after-limit@example.com")).status).toBe(429);
      // ... and a forged X-Forwarded-For does not get around it.
      expect((await login(web, ADMIN_EMAIL, { "x-forwarded-for": "203.0.113.9" })).status).toBe(429);
      expect(web.mail).toHaveLength(mailed);
    } finally {
      await web.close();
    }
  });
});

describe("sign-in links: expiry and single use", () => {
  it("refuses a link once it is older than 15 minutes", async () => {
    await seedMember(t.db, t.boot.orgId, "slow-reader@example.com");
    const before = t.mail.length;
    await login(t, "slow-reader@example.com");
    const link = linkFrom(t.mail[before]);
    const token = new URL(link).searchParams.get("token")!;
    // Fifteen minutes pass.
    await t.db
      .update(schema.magicLinks)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.magicLinks.tokenHash, hashSecret(token)));
    const res = await fetch(`${t.base}${pathOf(link)}`, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("does not work");
  });

  it("opens exactly one session when the same link is used twice at once", async () => {
    await seedMember(t.db, t.boot.orgId, "double-click@example.com");
    const before = t.mail.length;
    await login(t, "double-click@example.com");
    const url = `${t.base}${pathOf(linkFrom(t.mail[before]))}`;
    const results = await Promise.all([1, 2, 3].map(() => fetch(url, { redirect: "manual" })));
    expect(results.map((r) => r.status).sort()).toEqual([302, 400, 400]);
    expect(results.filter((r) => sessionFrom(r) !== null)).toHaveLength(1);
  });

  it("refuses malformed and unknown tokens", async () => {
    for (const token of ["", "short", "x".repeat(300), "A".repeat(43), "not/a+token=="]) {
      const res = await fetch(`${t.base}/auth/verify?token=${encodeURIComponent(token)}`, {
        redirect: "manual",
      });
      expect(res.status).toBe(400);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });
});

describe("sign out everywhere", () => {
  it("needs the CSRF token, then revokes every session of the user and voids unused links", async () => {
    const email = "many-devices@example.com";
    const userId = await seedMember(t.db, t.boot.orgId, email);
    const laptop = clientFor(t, email, await signIn(t, email));
    const phone = clientFor(t, email, await signIn(t, email));
    // Somebody else stays signed in.
    await seedMember(t.db, t.boot.orgId, "bystander@example.com");
    const bystander = clientFor(t, "bystander@example.com", await signIn(t, "bystander@example.com"));
    // A link asked for but not used yet.
    const before = t.mail.length;
    await login(t, email);
    const pending = linkFrom(t.mail[before]);

    const settings = await laptop.get("/settings");
    expect(settings.status).toBe(200);
    const page = await settings.text();
    expect(page).toContain("Sign out everywhere");
    expect(page).toMatch(/Signed-in sessions<\/dt><dd>2</);

    expect((await laptop.postWithoutToken("/logout", { scope: "everywhere" })).status).toBe(403);
    expect((await phone.get("/settings")).status).toBe(200);

    const res = await laptop.post("/logout", { _csrf: csrfFrom(page), scope: "everywhere" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login");
    expect(res.headers.get("set-cookie")).toMatch(/^cw_session=; .*Max-Age=0/);

    for (const c of [laptop, phone]) {
      const r = await c.get("/settings");
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toBe("/login");
    }
    expect((await bystander.get("/settings")).status).toBe(200);
    const live = await t.db
      .select()
      .from(schema.sessions)
      .where(and(eq(schema.sessions.userId, userId), isNull(schema.sessions.revokedAt)));
    expect(live).toHaveLength(0);

    const stale = await fetch(`${t.base}${pathOf(pending)}`, { redirect: "manual" });
    expect(stale.status).toBe(400);
    expect(stale.headers.get("set-cookie")).toBeNull();

    const audit = await t.db
      .select()
      .from(schema.auditLog)
      .where(
        and(
          eq(schema.auditLog.actorUserId, userId),
          eq(schema.auditLog.action, "user.signed_out_everywhere"),
        ),
      );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.metadata).toEqual({ sessions: 2 });
    expect(audit[0]?.ip).toBe("127.0.0.1");
    // Like sign-in and sign-out, it shows in the log of each of the user's organisations.
    expect(audit[0]?.orgId).toBe(t.boot.orgId);
  });

  it("plain sign-out ends only the current session", async () => {
    const email = "two-tabs@example.com";
    await seedMember(t.db, t.boot.orgId, email);
    const a = clientFor(t, email, await signIn(t, email));
    const b = clientFor(t, email, await signIn(t, email));
    expect((await a.post("/logout", {})).status).toBe(302);
    expect((await a.get("/settings")).status).toBe(302);
    expect((await b.get("/settings")).status).toBe(200);
  });
});
