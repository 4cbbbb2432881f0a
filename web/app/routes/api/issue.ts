import { getIssue, getLatestEvent, SETTABLE_ISSUE_STATUSES, updateIssueStatus } from "@codewarden/drizzle";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import {
  apiError,
  apiJson,
  authenticateApi,
  describeIssues,
  issueIdParam,
  methodNotAllowed,
  notFound,
  requireScope,
} from "../../services/api.server";
import { eventJson, issueJson } from "../../services/serialize.server";

/** GET /api/v1/issues/:id → the issue plus `latestEvent` */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const grant = await authenticateApi(request, context);
  requireScope(grant, "read");
  const issueId = issueIdParam(params.id);
  const scope = { orgId: grant.orgId };
  const issue = await getIssue(context.db, { issueId, scope });
  if (!issue) throw notFound();
  const latest = await getLatestEvent(context.db, { issueId, scope });
  return apiJson({ ...issueJson(issue), latestEvent: latest ? eventJson(latest) : null });
}

const patchBody = z.object({ status: z.enum(SETTABLE_ISSUE_STATUSES) });

/** PATCH /api/v1/issues/:id `{ status }` → the updated issue (needs the "write" scope; audit-logged) */
export async function action({ request, params, context }: ActionFunctionArgs) {
  if (request.method !== "PATCH") throw methodNotAllowed(["GET", "PATCH"]);
  const grant = await authenticateApi(request, context);
  requireScope(grant, "write");
  const issueId = issueIdParam(params.id);
  const json = await request.json().catch(() => undefined);
  const body = patchBody.safeParse(json);
  if (!body.success) {
    throw apiError(400, "bad_request", json === undefined ? "Body must be JSON" : describeIssues(body.error));
  }
  const issue = await updateIssueStatus(context.db, {
    issueId,
    scope: { orgId: grant.orgId },
    status: body.data.status,
    actor: { type: "api_token", tokenId: grant.tokenId },
    ip: context.clientIp,
  });
  if (!issue) throw notFound();
  context.logger.info(
    { issueId, status: issue.status, tokenId: grant.tokenId },
    "issue status changed via API",
  );
  return apiJson(issueJson(issue));
}
