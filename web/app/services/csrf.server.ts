import { createHmac, timingSafeEqual } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { CSRF_FIELD } from "../utils/csrf-field";

export { CSRF_FIELD };

/** The CSRF token of a session: HMAC-SHA256 of its id under SESSION_SECRET. */
export function csrfTokenFor(context: AppLoadContext, sessionId: string): string {
  return createHmac("sha256", context.config.sessionSecret).update(`csrf:${sessionId}`).digest("base64url");
}

export function isValidCsrfToken(context: AppLoadContext, sessionId: string, token: unknown): boolean {
  if (typeof token !== "string" || token.length === 0 || token.length > 128) return false;
  const expected = Buffer.from(csrfTokenFor(context, sessionId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Refuses (403) a state-changing request a browser marks as cross-site, or whose Origin is neither
 * the request's own origin nor the configured public URL. Requests without these headers (old
 * browsers, non-browser clients) pass; the CSRF token is the main defence.
 */
export function assertSameOrigin(request: Request, context: AppLoadContext): void {
  if (request.headers.get("sec-fetch-site") === "cross-site") throw forbidden();
  const origin = request.headers.get("origin");
  if (!origin) return;
  const allowed = new Set([new URL(request.url).origin, new URL(context.config.publicUrl).origin]);
  if (!allowed.has(origin)) throw forbidden();
}

export function forbidden(): Response {
  return new Response("Forbidden", { status: 403, statusText: "Forbidden" });
}
