import { hashSecret } from "@codewarden/common";
import { type ApiTokenGrant, findApiTokenGrant, touchApiToken } from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import type { z } from "zod";
import { isUuid } from "../utils/ids";
import { searchParamsOf } from "./pagination.server";

/** A JSON response of the REST API (never cached). */
export function apiJson(
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      ...init.headers,
    },
  });
}

/** `{ "error": { "code", "message" } }` with the given status. */
export function apiError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  return apiJson({ error: { code, message } }, { status, headers });
}

export const notFound = () => apiError(404, "not_found", "Not found");

export function methodNotAllowed(allowed: string[]): Response {
  return apiError(405, "method_not_allowed", `Use ${allowed.join(" or ")}`, { Allow: allowed.join(", ") });
}

const BEARER_RE = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]{8,256})[ \t]*$/i;

/** The grant of the request's `Authorization: Bearer <api token>`; throws a 401 JSON response otherwise. */
export async function authenticateApi(request: Request, context: AppLoadContext): Promise<ApiTokenGrant> {
  const match = BEARER_RE.exec(request.headers.get("authorization") ?? "");
  const grant = match?.[1] ? await findApiTokenGrant(context.db, hashSecret(match[1])) : null;
  if (!grant) {
    throw apiError(401, "unauthorized", "A valid API token is required (Authorization: Bearer <token>)", {
      "WWW-Authenticate": 'Bearer realm="codewarden"',
    });
  }
  await touchApiToken(context.db, grant.tokenId);
  return grant;
}

export function requireScope(grant: ApiTokenGrant, scope: "read" | "write"): void {
  if (!grant.scopes.includes(scope))
    throw apiError(403, "forbidden", `This token lacks the "${scope}" scope`);
}

/** Parses the query string with `schema`; throws a 400 JSON response naming the bad parameters. */
export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.infer<S> {
  const result = schema.safeParse(searchParamsOf(request));
  if (result.success) return result.data;
  throw apiError(400, "bad_request", describeIssues(result.error));
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/** A route's `:id` as an issue id; malformed ids are answered like unknown ones (404). */
export function issueIdParam(value: string | undefined): string {
  if (!isUuid(value)) throw notFound();
  return value.toLowerCase();
}
