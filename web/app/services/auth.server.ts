import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { hashSecret } from "@codewarden/common";
import {
  consumeMagicLink,
  createMagicLink,
  createSession,
  findMagicLinkUser,
  findSession,
  findUserByEmail,
  hitRateLimit,
  pruneRateLimits,
  recordUserAudit,
  revokeAllSessions,
  revokeSession,
} from "@codewarden/drizzle";
import { type AppLoadContext, redirect } from "@remix-run/node";
import { normaliseEmail } from "../utils/email";
import { assertSameOrigin, CSRF_FIELD, forbidden, isValidCsrfToken } from "./csrf.server";
import {
  clearedSessionCookie,
  readSessionToken,
  SESSION_TTL_DAYS,
  sessionCookie,
} from "./session-cookie.server";

export const MAGIC_LINK_TTL_MINUTES = 15;
/**
 * Sign-in links asked for, per address and per client address, in a fixed window. Every request
 * counts, for known and unknown addresses alike, so the limits reveal nothing about accounts.
 */
export const SIGN_IN_RATE_LIMIT = { perEmail: 5, perIp: 30, windowMinutes: 15 } as const;
/**
 * The sign-in form answers no sooner than this, whether or not the address has an account, so
 * the work done for a known address (storing a link, handing it to the mailer) does not show.
 */
export const SIGN_IN_MIN_RESPONSE_MS = 200;

export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
}

export type SignInRequest = { status: "answered" } | { status: "rate_limited"; retryAfterSeconds: number };

const newToken = () => randomBytes(32).toString("base64url");
const TOKEN_RE = /^[A-Za-z0-9_-]{20,128}$/;

/** A syntactically plausible link token (anything else is refused without a database lookup). */
export const isWellFormedToken = (token: string) => TOKEN_RE.test(token);

const PRUNE_EVERY_MS = 10 * 60_000;
let lastPrune = 0;

/** Drops old rate-limit counters now and then (without making the request wait). */
function pruneRateLimitsSometimes(context: AppLoadContext): void {
  const now = Date.now();
  if (now - lastPrune < PRUNE_EVERY_MS) return;
  lastPrune = now;
  pruneRateLimits(context.db, { before: new Date(now - 86_400_000) }).catch((err: unknown) =>
    context.logger.warn({ err }, "could not prune rate-limit counters"),
  );
}

/**
 * Handles a sign-in form: within the per-address and per-client limits, sends a single-use link
 * when `email` belongs to a user. The answer is the same for unknown addresses and for a silent
 * per-address limit, and takes at least SIGN_IN_MIN_RESPONSE_MS; only the per-client limit (which
 * counts every address) is reported. The mail is sent in the background: a slow SMTP server
 * neither delays the answer nor reveals the account.
 */
export async function requestSignInLink(context: AppLoadContext, email: string): Promise<SignInRequest> {
  const started = performance.now();
  try {
    return await sendSignInLinkWithinLimits(context, email);
  } finally {
    const remaining = SIGN_IN_MIN_RESPONSE_MS - (performance.now() - started);
    if (remaining > 0) await sleep(remaining);
  }
}

async function sendSignInLinkWithinLimits(context: AppLoadContext, email: string): Promise<SignInRequest> {
  const { db, logger, config, mailer } = context;
  pruneRateLimitsSometimes(context);
  const windowSeconds = SIGN_IN_RATE_LIMIT.windowMinutes * 60;
  const byIp = await hitRateLimit(db, { key: `sign-in:ip:${context.clientIp ?? "unknown"}`, windowSeconds });
  if (byIp.hits > SIGN_IN_RATE_LIMIT.perIp) {
    logger.warn({ ip: context.clientIp }, "sign-in rate limit reached for a client address");
    return {
      status: "rate_limited",
      retryAfterSeconds: Math.max(1, Math.ceil((byIp.resetAt.getTime() - Date.now()) / 1000)),
    };
  }
  const byEmail = await hitRateLimit(db, { key: `sign-in:email:${hashSecret(email)}`, windowSeconds });
  if (byEmail.hits > SIGN_IN_RATE_LIMIT.perEmail) {
    logger.warn("sign-in rate limit reached for an address");
    return { status: "answered" };
  }
  const user = await findUserByEmail(db, email);
  if (!user) return { status: "answered" };
  const token = newToken();
  await createMagicLink(db, {
    email: user.email,
    tokenHash: hashSecret(token),
    expiresAt: new Date(Date.now() + MAGIC_LINK_TTL_MINUTES * 60_000),
  });
  const url = `${config.publicUrl}/auth/verify?token=${encodeURIComponent(token)}`;
  mailer
    .sendSignInLink({ to: user.email, url, expiresInMinutes: MAGIC_LINK_TTL_MINUTES })
    .catch((err: unknown) => logger.error({ err, userId: user.id }, "could not send sign-in link"));
  return { status: "answered" };
}

/** Longest User-Agent kept in the audit log. */
export const MAX_AUDIT_USER_AGENT = 256;

/** How a session was opened, for the audit log. */
export interface SignInMethod {
  method: "magic_link" | "invitation";
  /** The request's User-Agent header (capped at MAX_AUDIT_USER_AGENT characters). */
  userAgent: string | null;
}

const auditedUserAgent = (ua: string | null) => (ua ? ua.slice(0, MAX_AUDIT_USER_AGENT) : null);

/**
 * Opens a session for the user and records `user.signed_in` in the audit log of each of the
 * user's organisations (one row without an organisation when there is none); returns the
 * session's Set-Cookie value.
 */
export async function openSession(
  context: AppLoadContext,
  userId: string,
  how: SignInMethod,
): Promise<string> {
  const sessionToken = newToken();
  const expires = new Date(Date.now() + SESSION_TTL_DAYS * 86_400_000);
  const session = await createSession(context.db, {
    userId,
    tokenHash: hashSecret(sessionToken),
    expiresAt: expires,
  });
  await recordUserAudit(context.db, {
    userId,
    action: "user.signed_in",
    targetType: "session",
    targetId: session.id,
    ip: context.clientIp,
    metadata: { method: how.method, userAgent: auditedUserAgent(how.userAgent) },
  });
  context.logger.info({ userId }, "signed in");
  return sessionCookie(sessionToken, { secure: context.config.secureCookies, expires });
}

/**
 * Consumes a sign-in token and opens a session; returns its Set-Cookie value, or null when the
 * link is no good. A link that exists but is used or expired is audited as `user.sign_in_failed`
 * in its user's organisations; an unknown token names nobody and is not recorded.
 */
export async function signInWithToken(
  context: AppLoadContext,
  token: string,
  userAgent: string | null,
): Promise<string | null> {
  if (!isWellFormedToken(token)) return null;
  const tokenHash = hashSecret(token);
  const user = await consumeMagicLink(context.db, { tokenHash });
  if (user) return openSession(context, user.id, { method: "magic_link", userAgent });
  const named = await findMagicLinkUser(context.db, { tokenHash });
  if (named) {
    await recordUserAudit(context.db, {
      userId: named.id,
      action: "user.sign_in_failed",
      targetType: "user",
      targetId: named.id,
      ip: context.clientIp,
      metadata: {
        method: "magic_link",
        reason: "link_used_or_expired",
        userAgent: auditedUserAgent(userAgent),
      },
      onlyWithOrganisation: true,
    });
  }
  return null;
}

export async function getSessionUser(request: Request, context: AppLoadContext): Promise<SessionUser | null> {
  const token = readSessionToken(request);
  if (!token) return null;
  const session = await findSession(context.db, { tokenHash: hashSecret(token) });
  return session ? { sessionId: session.sessionId, userId: session.userId, email: session.email } : null;
}

/** The signed-in user, or a redirect to /login. */
export async function requireUser(request: Request, context: AppLoadContext): Promise<SessionUser> {
  const user = await getSessionUser(request, context);
  if (!user) throw redirect("/login");
  return user;
}

/**
 * For actions: the signed-in user and the submitted form, after checking the origin and the
 * CSRF token (403 otherwise).
 */
export async function requireUserForm(
  request: Request,
  context: AppLoadContext,
): Promise<{ user: SessionUser; form: FormData }> {
  const user = await requireUser(request, context);
  assertSameOrigin(request, context);
  const form = await request.formData().catch(() => null);
  if (!form || !isValidCsrfToken(context, user.sessionId, form.get(CSRF_FIELD))) {
    context.logger.warn({ userId: user.userId, path: new URL(request.url).pathname }, "CSRF check failed");
    throw forbidden();
  }
  return { user, form };
}

/**
 * Revokes the current session and records `user.signed_out` (like `user.signed_in`); returns the
 * Set-Cookie value that clears the cookie.
 */
export async function signOut(context: AppLoadContext, user: SessionUser): Promise<string> {
  await revokeSession(context.db, { sessionId: user.sessionId });
  await recordUserAudit(context.db, {
    userId: user.userId,
    action: "user.signed_out",
    targetType: "session",
    targetId: user.sessionId,
    ip: context.clientIp,
  });
  return clearedSessionCookie({ secure: context.config.secureCookies });
}

/**
 * "Sign out everywhere": revokes every session of the user (other browsers and devices too) and
 * voids unused sign-in links; returns the Set-Cookie value that clears this browser's cookie.
 */
export async function signOutEverywhere(context: AppLoadContext, user: SessionUser): Promise<string> {
  const revoked = await revokeAllSessions(context.db, { userId: user.userId });
  await recordUserAudit(context.db, {
    userId: user.userId,
    action: "user.signed_out_everywhere",
    targetType: "user",
    targetId: user.userId,
    ip: context.clientIp,
    metadata: { sessions: revoked },
  });
  context.logger.info({ userId: user.userId, sessions: revoked }, "signed out everywhere");
  return clearedSessionCookie({ secure: context.config.secureCookies });
}

/** Parses the sign-in form's address (null when it is not one). */
export const parseSignInEmail = (raw: unknown) => (typeof raw === "string" ? normaliseEmail(raw) : null);
