import type { RequestHandler } from "express";

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Refuses (403) state-changing dashboard requests that a browser sent from another origin. Remix
 * makes the same comparison (Origin host against X-Forwarded-Host or Host) but answers 500;
 * this answers first, and clearly. The REST API (/api) is exempt: it authenticates with bearer
 * tokens, never cookies, so cross-origin requests cannot ride on a user's session.
 */
export function refuseCrossOriginMutations(): RequestHandler {
  return (req, res, next) => {
    if (!MUTATIONS.has(req.method) || req.path.startsWith("/api/")) return next();
    if (req.headers["sec-fetch-site"] === "cross-site" || !originMatchesHost(req.headers)) {
      res.status(403).type("text/plain").send("Forbidden: cross-origin request");
      return;
    }
    next();
  };
}

export function originMatchesHost(headers: Record<string, string | string[] | undefined>): boolean {
  const origin = first(headers.origin);
  if (!origin) return true;
  if (origin === "null") return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  const host = first(headers["x-forwarded-host"])?.split(",")[0]?.trim() || first(headers.host);
  return Boolean(host) && originHost === host;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
