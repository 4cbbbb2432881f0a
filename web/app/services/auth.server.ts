import { randomBytes } from "node:crypto";
import { hashSecret } from "@codewarden/common";
import {
  consumeMagicLink,
  countMagicLinksSince,
  createMagicLink,
  createSession,
  findSession,
  findUserByEmail,
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
/** At most this many sign-in links per email per window (counted from magic_links rows). */
export const SIGN_IN_RATE_LIMIT = { max: 5, windowMinutes: 15 } as const;

export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
}

const newToken = () => randomBytes(32).toString("base64url");

/**
 * Sends a single-use sign-in link when `email` belongs to a user and the per-email rate limit
 * allows it. Callers show the same response whatever happened, so accounts cannot be enumerated.
 */
export async function requestSignInLink(context: AppLoadContext, rawEmail: string): Promise<void> {
  const email = normaliseEmail(rawEmail);
  if (!email) return;
  const { db, logger, config, mailer } = context;
  const user = await findUserByEmail(db, email);
  if (!user) return;
  const since = new Date(Date.now() - SIGN_IN_RATE_LIMIT.windowMinutes * 60_000);
  if ((await countMagicLinksSince(db, { email: user.email, since })) >= SIGN_IN_RATE_LIMIT.max) {
    logger.warn({ userId: user.id }, "sign-in link rate limit reached");
    return;
  }
  const token = newToken();
  await createMagicLink(db, {
    email: user.email,
    tokenHash: hashSecret(token),
    expiresAt: new Date(Date.now() + MAGIC_LINK_TTL_MINUTES * 60_000),
  });
  const url = `${config.publicUrl}/auth/verify?token=${encodeURIComponent(token)}`;
  try {
    await mailer.sendSignInLink({ to: user.email, url, expiresInMinutes: MAGIC_LINK_TTL_MINUTES });
  } catch (err) {
    logger.error({ err, userId: user.id }, "could not send sign-in link");
  }
}

/** Consumes a sign-in token and opens a session; returns its Set-Cookie value, or null when the link is no good. */
export async function signInWithToken(context: AppLoadContext, token: string): Promise<string | null> {
  if (!/^[A-Za-z0-9_-]{20,128}$/.test(token)) return null;
  const { db, config, logger } = context;
  const user = await consumeMagicLink(db, { tokenHash: hashSecret(token) });
  if (!user) return null;
  const sessionToken = newToken();
  const expires = new Date(Date.now() + SESSION_TTL_DAYS * 86_400_000);
  await createSession(db, { userId: user.id, tokenHash: hashSecret(sessionToken), expiresAt: expires });
  logger.info({ userId: user.id }, "signed in");
  return sessionCookie(sessionToken, { secure: config.secureCookies, expires });
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

/** Revokes the current session; returns the Set-Cookie value that clears the cookie. */
export async function signOut(context: AppLoadContext, user: SessionUser): Promise<string> {
  await revokeSession(context.db, { sessionId: user.sessionId });
  return clearedSessionCookie({ secure: context.config.secureCookies });
}
