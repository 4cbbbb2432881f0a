import { randomBytes } from "node:crypto";
import { type StackFrame, schema } from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import pino from "pino";
import { loadWebConfig } from "../server/config";
import { createDevMailer } from "../server/mailer";
import type { TestWeb } from "./helpers";

/**
 * For the triage tests: the request context a loader or action gets from the server (same
 * database and SESSION_SECRET as startTestWeb's), so route modules can be called directly.
 */
export function loadContext(t: TestWeb, env: Record<string, string> = {}): AppLoadContext {
  return {
    db: t.db,
    config: loadWebConfig({ WEB_PORT: "0", SESSION_SECRET: "test-session-secret-0123456789", ...env }),
    mailer: createDevMailer(() => {}),
    logger: pino({ level: "silent" }),
    cspNonce: "",
    clientIp: "127.0.0.1",
  };
}

/** A GET request for `path` with the session cookie. */
export function getRequest(t: TestWeb, path: string, cookie: string): Request {
  return new Request(`${t.base}${path}`, { headers: { cookie } });
}

/** The status of the Response a loader or action threw (or returned), for 4xx checks. */
export async function thrownStatus(run: () => Promise<unknown>): Promise<number> {
  try {
    const value = await run();
    return value instanceof Response ? value.status : 200;
  } catch (err) {
    if (err instanceof Response) return err.status;
    throw err;
  }
}

/** The CSRF token in a dashboard page's HTML. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error("no CSRF field in page");
  return m[1];
}

export interface TriageIssue {
  title?: string;
  message?: string;
  culprit?: string | null;
  status?: "unresolved" | "regressed" | "resolved" | "ignored";
  eventCount?: number;
  userCount?: number;
  firstSeen?: Date;
  lastSeen?: Date;
  services?: string[];
  environments?: string[];
  firstRelease?: string | null;
  lastRelease?: string | null;
}

/** An issue with every list-relevant column set explicitly (defaults where not given). */
export async function insertIssue(t: TestWeb, projectId: string, o: TriageIssue = {}): Promise<string> {
  const lastSeen = o.lastSeen ?? new Date(Date.UTC(2025, 2, 10, 11, 0, 0));
  const [row] = await t.db
    .insert(schema.issues)
    .values({
      projectId,
      fingerprint: `triage-${randomBytes(8).toString("hex")}`,
      fingerprintVersion: 1,
      title: o.title ?? "Error: something failed",
      exceptionType: "Error",
      message: o.message ?? "something failed",
      culprit: o.culprit === undefined ? "src/app.ts in handler" : o.culprit,
      status: o.status ?? "unresolved",
      eventCount: o.eventCount ?? 1,
      userCount: o.userCount ?? 0,
      firstSeen: o.firstSeen ?? new Date(lastSeen.getTime() - 3_600_000),
      lastSeen,
      services: o.services ?? ["api"],
      environments: o.environments ?? ["production"],
      firstRelease: o.firstRelease ?? null,
      lastRelease: o.lastRelease ?? null,
    })
    .returning({ id: schema.issues.id });
  return row!.id;
}

/** A project of its own in the bootstrap organisation. */
export async function insertProject(t: TestWeb, slug: string): Promise<string> {
  const [p] = await t.db
    .insert(schema.projects)
    .values({ orgId: t.boot.orgId, slug, name: slug[0]!.toUpperCase() + slug.slice(1) })
    .returning({ id: schema.projects.id });
  return p!.id;
}

export interface TriageEvent {
  timestamp?: Date;
  message?: string;
  exceptionType?: string;
  stacktrace?: string | null;
  frames?: StackFrame[];
  serviceName?: string | null;
  serviceVersion?: string | null;
  environment?: string | null;
  traceId?: string | null;
  attributes?: Record<string, string | number | boolean>;
  resource?: Record<string, string | null>;
}

/** A stored event body of an issue. */
export async function insertEvent(
  t: TestWeb,
  projectId: string,
  issueId: string,
  o: TriageEvent = {},
): Promise<string> {
  const [row] = await t.db
    .insert(schema.events)
    .values({
      projectId,
      issueId,
      eventKey: randomBytes(16).toString("hex"),
      source: "span_event",
      timestamp: o.timestamp ?? new Date(),
      traceId: o.traceId === undefined ? randomBytes(16).toString("hex") : o.traceId,
      spanId: randomBytes(8).toString("hex"),
      serviceName: o.serviceName === undefined ? "api" : o.serviceName,
      serviceVersion: o.serviceVersion === undefined ? "1.0.0" : o.serviceVersion,
      environment: o.environment === undefined ? "production" : o.environment,
      exceptionType: o.exceptionType ?? "Error",
      message: o.message ?? "something failed",
      stacktrace: o.stacktrace === undefined ? null : o.stacktrace,
      frames: o.frames ?? [],
      attributes: o.attributes ?? {},
      resource: o.resource ?? { serviceName: o.serviceName ?? "api" },
      span: { name: "GET /orders/:id", kind: 2, statusCode: 2 },
    })
    .returning({ id: schema.events.id });
  return row!.id;
}
