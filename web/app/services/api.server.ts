import { hashSecret } from "@codewarden/common";
import { type ApiTokenGrant, findApiTokenGrant, touchApiToken } from "@codewarden/drizzle";
import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
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

/** Every `error.code` the API answers with (documented in openapi.server.ts). */
export const API_ERROR_CODES = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "no_release",
  "payload_too_large",
  "internal_error",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** `{ "error": { "code", "message" } }` with the given status. */
export function apiError(
  status: number,
  code: ApiErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  return apiJson({ error: { code, message } }, { status, headers });
}

export const notFound = () => apiError(404, "not_found", "Not found");

/** Largest JSON request body the API reads (a PATCH body is a few dozen bytes). */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

const payloadTooLarge = () =>
  apiError(413, "payload_too_large", `Request body over ${MAX_JSON_BODY_BYTES} bytes`);

/**
 * Wraps a resource route's loader or action so that every failure is the API's JSON error: thrown
 * `Response`s (the 4xx above) pass through, anything else is logged and answered with a 500.
 */
export function apiHandler<Args extends LoaderFunctionArgs | ActionFunctionArgs>(
  handler: (args: Args) => Promise<Response> | Response,
): (args: Args) => Promise<Response> {
  return async (args) => {
    try {
      return await handler(args);
    } catch (err) {
      if (err instanceof Response) return err;
      if (args.request.signal.aborted) throw err;
      args.context.logger.error(
        { err, method: args.request.method, path: new URL(args.request.url).pathname },
        "API request failed",
      );
      return apiError(500, "internal_error", "Internal server error");
    }
  };
}

/**
 * The request body parsed as JSON, read up to MAX_JSON_BODY_BYTES (413 beyond, whether or not a
 * Content-Length announced it); `undefined` when it is not JSON.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_JSON_BODY_BYTES) throw payloadTooLarge();
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_JSON_BODY_BYTES) {
      // Not cancelled (that would destroy the socket before the 413 is sent): the response closes
      // the connection instead, so the rest of the body is never read.
      reader.releaseLock();
      throw apiError(413, "payload_too_large", `Request body over ${MAX_JSON_BODY_BYTES} bytes`, {
        Connection: "close",
      });
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

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
