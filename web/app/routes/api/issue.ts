import {
  getIssue,
  getLatestEvent,
  NoReleaseError,
  RESOLUTIONS,
  SETTABLE_ISSUE_STATUSES,
  updateIssueStatus,
} from "@codewarden/drizzle";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import {
  apiError,
  apiHandler,
  apiJson,
  authenticateApi,
  describeIssues,
  issueIdParam,
  methodNotAllowed,
  notFound,
  readJsonBody,
  requireScope,
} from "../../services/api.server";
import { eventJson, issueJson } from "../../services/serialize.server";

/** GET /api/v1/issues/:id → the issue plus `latestEvent` */
export const loader = apiHandler(async ({ request, params, context }: LoaderFunctionArgs) => {
  const grant = await authenticateApi(request, context);
  requireScope(grant, "read");
  const issueId = issueIdParam(params.id);
  const scope = { orgId: grant.orgId };
  const issue = await getIssue(context.db, { issueId, scope });
  if (!issue) throw notFound();
  const latest = await getLatestEvent(context.db, { issueId, scope });
  return apiJson({ ...issueJson(issue), latestEvent: latest ? eventJson(latest) : null });
});

const patchBody = z
  .object({
    status: z.enum(SETTABLE_ISSUE_STATUSES),
    /** With `resolved`: `now` (default) or `next_release`. */
    resolution: z.enum(RESOLUTIONS).optional(),
    /** With `ignored`: come back after this many more events (default: ignored until changed). */
    ignoreMoreEvents: z.number().int().min(1).max(1_000_000_000).optional(),
  })
  .refine((b) => b.resolution === undefined || b.status === "resolved", {
    message: "resolution is only valid with status resolved",
    path: ["resolution"],
  })
  .refine((b) => b.ignoreMoreEvents === undefined || b.status === "ignored", {
    message: "ignoreMoreEvents is only valid with status ignored",
    path: ["ignoreMoreEvents"],
  });

/**
 * PATCH /api/v1/issues/:id `{ status, resolution?, ignoreMoreEvents? }` → the updated issue
 * (needs the "write" scope; audit-logged). 409 `no_release` for `next_release` on an issue
 * whose events never named a release.
 */
export const action = apiHandler(async ({ request, params, context }: ActionFunctionArgs) => {
  if (request.method !== "PATCH") throw methodNotAllowed(["GET", "PATCH"]);
  const grant = await authenticateApi(request, context);
  requireScope(grant, "write");
  const issueId = issueIdParam(params.id);
  const json = await readJsonBody(request);
  const body = patchBody.safeParse(json);
  if (!body.success) {
    throw apiError(400, "bad_request", json === undefined ? "Body must be JSON" : describeIssues(body.error));
  }
  const issue = await updateIssueStatus(context.db, {
    issueId,
    scope: { orgId: grant.orgId },
    status: body.data.status,
    resolution: body.data.resolution,
    ignoreMoreEvents: body.data.ignoreMoreEvents,
    actor: { type: "api_token", tokenId: grant.tokenId },
    ip: context.clientIp,
  }).catch((err: unknown) => {
    if (err instanceof NoReleaseError) throw apiError(409, "no_release", err.message);
    throw err;
  });
  if (!issue) throw notFound();
  context.logger.info(
    { issueId, status: issue.status, tokenId: grant.tokenId },
    "issue status changed via API",
  );
  return apiJson(issueJson(issue));
});
