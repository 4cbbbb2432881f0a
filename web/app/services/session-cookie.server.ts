/** The `cw_session` cookie: an opaque random token; the sessions table stores only its SHA-256. */
export const SESSION_COOKIE = "cw_session";
export const SESSION_TTL_DAYS = 30;

const TOKEN_RE = /^[A-Za-z0-9_-]{20,128}$/;

/** The session token from a request's Cookie header, or null when absent or malformed. */
export function readSessionToken(request: Request): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN_RE.test(value) ? value : null;
  }
  return null;
}

export function sessionCookie(token: string, opts: { secure: boolean; expires: Date }): string {
  const maxAge = SESSION_TTL_DAYS * 86_400;
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${maxAge}`,
    `Expires=${opts.expires.toUTCString()}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(opts: { secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=0",
    "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}
