import { randomBytes, randomUUID } from "node:crypto";
import {
  type AlertQueue,
  generateSecret,
  hashSecret,
  type ReportsAccess,
  secretHint,
} from "@codewarden/common";
import { type BootstrapResult, type Db, ensureBootstrap, type StackFrame, schema } from "@codewarden/drizzle";
import pino from "pino";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";
import { loadWebConfig } from "../server/config";
import { startWeb, type WebServer } from "../server/index";
import { createDevMailer } from "../server/mailer";

export const ADMIN_EMAIL = "admin@localhost";

export interface TestWeb {
  base: string;
  db: Db;
  database: TestDatabase;
  boot: BootstrapResult & { apiTokenValue: string };
  web: WebServer;
  /** Lines the dev mailer printed. */
  mail: string[];
  close(): Promise<void>;
}

/**
 * A fresh Postgres database, bootstrapped, and the web app on port 0. Sign-in emails go through
 * the real dev mailer into `mail` instead of stdout.
 */
export async function startTestWeb(
  env: Record<string, string> = {},
  /** The alerts queue for "Send test", made for the test database (optional). */
  opts: {
    alerts?: (db: Db) => AlertQueue;
    /** Evidence reports ("Generate" and downloads), made for the test database (optional). */
    reports?: (db: Db) => ReportsAccess;
  } = {},
): Promise<TestWeb> {
  const database = await createTestDatabase();
  const apiToken = generateSecret("cw_at_");
  const boot = await ensureBootstrap(database.handle.db, { adminEmail: ADMIN_EMAIL, apiToken });
  const mail: string[] = [];
  const config = loadWebConfig({ WEB_PORT: "0", SESSION_SECRET: "test-session-secret-0123456789", ...env });
  const web = await startWeb(config, {
    db: database.handle.db,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    mailer: createDevMailer((line) => mail.push(line)),
    alerts: opts.alerts?.(database.handle.db) ?? null,
    reports: opts.reports?.(database.handle.db) ?? null,
  });
  return {
    base: `http://127.0.0.1:${web.port}`,
    db: database.handle.db,
    database,
    boot: { ...boot, apiTokenValue: apiToken },
    web,
    mail,
    async close() {
      await web.close();
      await database.drop();
    },
  };
}

/** The sign-in URL in a dev-mailer line. */
export function linkFrom(line: string | undefined): string {
  const m = /(https?:\/\/\S+\/auth\/verify\?token=[A-Za-z0-9_%-]+)/.exec(line ?? "");
  if (!m?.[1]) throw new Error(`no sign-in link in ${JSON.stringify(line)}`);
  return m[1];
}

/** Signs in through the real flow (form POST → printed link → verify) and returns the Cookie header value. */
export async function signIn(t: TestWeb, email = ADMIN_EMAIL): Promise<string> {
  const before = t.mail.length;
  const res = await fetch(`${t.base}/login`, { method: "POST", body: new URLSearchParams({ email }) });
  if (res.status !== 200) throw new Error(`login POST answered ${res.status}`);
  const link = new URL(linkFrom(t.mail[before]));
  const verify = await fetch(`${t.base}${link.pathname}${link.search}`, { redirect: "manual" });
  const setCookie = verify.headers.get("set-cookie") ?? "";
  const m = /cw_session=([^;]+)/.exec(setCookie);
  if (!m) throw new Error(`verify answered ${verify.status} without a session cookie`);
  return `cw_session=${m[1]}`;
}

let seq = 0;

export interface SeedIssue {
  title?: string;
  exceptionType?: string;
  message?: string;
  culprit?: string | null;
  status?: "unresolved" | "regressed" | "resolved" | "ignored";
  eventCount?: number;
  firstSeen?: Date;
  lastSeen?: Date;
  services?: string[];
  environments?: string[];
}

export async function seedIssue(db: Db, projectId: string, o: SeedIssue = {}): Promise<string> {
  seq += 1;
  const lastSeen = o.lastSeen ?? new Date(Date.now() - seq * 1000);
  const [row] = await db
    .insert(schema.issues)
    .values({
      projectId,
      fingerprint: `fp-${seq}-${randomBytes(4).toString("hex")}`,
      fingerprintVersion: 1,
      title: o.title ?? `TypeError: seeded issue ${seq}`,
      exceptionType: o.exceptionType ?? "TypeError",
      message: o.message ?? `seeded issue ${seq}`,
      culprit: o.culprit === undefined ? "src/app.ts in handler" : o.culprit,
      status: o.status ?? "unresolved",
      eventCount: o.eventCount ?? 3,
      firstSeen: o.firstSeen ?? new Date(lastSeen.getTime() - 3_600_000),
      lastSeen,
      services: o.services ?? ["checkout"],
      environments: o.environments ?? ["production"],
    })
    .returning({ id: schema.issues.id });
  return row!.id;
}

export const SAMPLE_FRAMES: StackFrame[] = [
  { function: "handler", module: null, file: "src/app.ts", line: 42, column: 7, inApp: true },
  {
    function: "Layer.handle",
    module: "express",
    file: "node_modules/express/lib/router/layer.js",
    line: 95,
    column: 5,
    inApp: false,
  },
];

export interface SeedEvent {
  timestamp?: Date;
  message?: string;
  exceptionType?: string;
  stacktrace?: string | null;
  frames?: StackFrame[];
  attributes?: Record<string, string | number | boolean>;
  traceId?: string | null;
  spanId?: string | null;
}

export async function seedEvent(
  db: Db,
  projectId: string,
  issueId: string,
  o: SeedEvent = {},
): Promise<string> {
  const [row] = await db
    .insert(schema.events)
    .values({
      projectId,
      issueId,
      eventKey: randomBytes(16).toString("hex"),
      source: "span_event",
      timestamp: o.timestamp ?? new Date(),
      traceId: o.traceId === undefined ? randomBytes(16).toString("hex") : o.traceId,
      spanId: o.spanId === undefined ? randomBytes(8).toString("hex") : o.spanId,
      serviceName: "checkout",
      serviceVersion: "1.4.2",
      environment: "production",
      exceptionType: o.exceptionType ?? "TypeError",
      message: o.message ?? "Cannot read properties of undefined (reading 'id')",
      stacktrace:
        o.stacktrace === undefined
          ? "TypeError: Cannot read properties of undefined (reading 'id')\n    at handler (src/app.ts:42:7)\n    at Layer.handle (node_modules/express/lib/router/layer.js:95:5)"
          : o.stacktrace,
      frames: o.frames ?? SAMPLE_FRAMES,
      attributes: o.attributes ?? { "http.route": "/checkout", "http.response.status_code": 500 },
      resource: { "service.name": "checkout", "telemetry.sdk.language": "nodejs" },
      span: { name: "POST /checkout", kind: 2, statusCode: 2 },
    })
    .returning({ id: schema.events.id });
  return row!.id;
}

export async function seedSummary(
  db: Db,
  issueId: string,
  o: {
    source?: "llm" | "heuristic";
    text?: string;
    likelyCause?: string | null;
    suggestedFix?: string | null;
  } = {},
): Promise<void> {
  await db.insert(schema.summaries).values({
    issueId,
    source: o.source ?? "llm",
    text: o.text ?? "The handler reads `user.id` before the session is loaded.",
    likelyCause: o.likelyCause === undefined ? "Missing await on session lookup." : o.likelyCause,
    suggestedFix: o.suggestedFix === undefined ? "Await loadSession() before using it." : o.suggestedFix,
    model: o.source === "heuristic" ? null : "test-model",
  });
}

/** A second organisation with a member, a project, an issue and an API token (for isolation tests). */
export async function seedOtherOrg(db: Db) {
  const suffix = randomUUID().slice(0, 8);
  const [org] = await db
    .insert(schema.organizations)
    .values({ name: `Other ${suffix}`, slug: `other-${suffix}` })
    .returning({ id: schema.organizations.id });
  const [user] = await db
    .insert(schema.users)
    .values({ email: `someone-${suffix}@other.example` })
    .returning({ id: schema.users.id });
  await db.insert(schema.memberships).values({ orgId: org!.id, userId: user!.id, role: "owner" });
  const [project] = await db
    .insert(schema.projects)
    .values({ orgId: org!.id, slug: `secret-${suffix}`, name: "Secret project" })
    .returning({ id: schema.projects.id, slug: schema.projects.slug });
  const issueId = await seedIssue(db, project!.id, { title: "Other org issue" });
  const token = generateSecret("cw_at_");
  await db.insert(schema.apiTokens).values({
    orgId: org!.id,
    name: "other",
    tokenHash: hashSecret(token),
    tokenHint: secretHint(token),
  });
  return {
    orgId: org!.id,
    userId: user!.id,
    email: `someone-${suffix}@other.example`,
    project: project!,
    issueId,
    token,
  };
}

/** A user who is a member of `orgId` (sign-in links are rate-limited per address, so tests use several). */
export async function seedMember(db: Db, orgId: string, email: string): Promise<string> {
  const [user] = await db.insert(schema.users).values({ email }).returning({ id: schema.users.id });
  await db.insert(schema.memberships).values({ orgId, userId: user!.id, role: "member" });
  return user!.id;
}
