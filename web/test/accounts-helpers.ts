import { type Db, ensureBootstrap, schema } from "@codewarden/drizzle";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { loadWebConfig } from "../server/config";
import { startWeb, type WebServer } from "../server/index";
import type { Mailer } from "../server/mailer";
import { ADMIN_EMAIL, signIn, type TestWeb } from "./helpers";

/** Helpers of the accounts tests: a signed-in HTTP client that speaks forms, cookies and CSRF. */

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF field in page");
  return m[1];
}

/** The invitation URL in a dev-mailer line. */
export function inviteLinkFrom(line: string | undefined): string {
  const m = /(https?:\/\/\S+\/invite\?token=[A-Za-z0-9_%-]+)/.exec(line ?? "");
  if (!m?.[1]) throw new Error(`no invitation link in ${JSON.stringify(line)}`);
  return m[1];
}

/** Path and query of a URL on the server under test (links carry the public URL's origin). */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** The session cookie a response sets, as a Cookie header value, or null. */
export function sessionFrom(res: Response): string | null {
  const m = /cw_session=([^;]*)/.exec(res.headers.get("set-cookie") ?? "");
  return m?.[1] ? `cw_session=${m[1]}` : null;
}

export interface Client {
  email: string;
  cookie: string;
  get(path: string): Promise<Response>;
  /** A form POST with this session's CSRF token (unless `fields._csrf` is given). */
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** A form POST without any CSRF token. */
  postWithoutToken(path: string, fields: Record<string, string>): Promise<Response>;
}

export function clientFor(t: { base: string }, email: string, cookie: string): Client {
  let token: string | null = null;
  const get = (path: string) => fetch(`${t.base}${path}`, { headers: { cookie }, redirect: "manual" });
  const send = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${t.base}${path}`, {
      method: "POST",
      body: new URLSearchParams(fields),
      headers: { cookie, ...headers },
      redirect: "manual",
    });
  return {
    email,
    cookie,
    get,
    async post(path, fields, headers) {
      token ??= csrfFrom(await (await get("/settings")).text());
      return send(path, { _csrf: token, ...fields }, headers);
    },
    postWithoutToken: (path, fields) => send(path, fields),
  };
}

/** The user's role in the organisation, or null when the address is not a member. */
export async function roleOf(db: Db, orgId: string, email: string): Promise<string | null> {
  const [row] = await db
    .select({ role: schema.memberships.role })
    .from(schema.memberships)
    .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
    .where(and(eq(schema.memberships.orgId, orgId), eq(schema.users.email, email)));
  return row?.role ?? null;
}

/** Signs in through the real flow (form, printed link, verify) and returns a client. */
export async function signedIn(t: TestWeb, email = ADMIN_EMAIL): Promise<Client> {
  return clientFor(t, email, await signIn(t, email));
}

/** A bootstrapped database and the web app with the given mailer (for mailer behaviour tests). */
export async function startWebWithMailer(
  mailer: Mailer,
): Promise<{ base: string; database: TestDatabase; web: WebServer; close(): Promise<void> }> {
  const database = await createTestDatabase();
  await ensureBootstrap(database.handle.db, { adminEmail: ADMIN_EMAIL });
  const config = loadWebConfig({ WEB_PORT: "0", SESSION_SECRET: "test-session-secret-0123456789" });
  const web = await startWeb(config, {
    db: database.handle.db,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    mailer,
  });
  return {
    base: `http://127.0.0.1:${web.port}`,
    database,
    web,
    async close() {
      await web.close();
      await database.drop();
    },
  };
}
