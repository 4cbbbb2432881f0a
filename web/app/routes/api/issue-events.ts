import { getIssue, listIssueEvents } from "@codewarden/drizzle";
import type { LoaderFunctionArgs } from "@remix-run/node";
import {
  apiHandler,
  apiJson,
  authenticateApi,
  issueIdParam,
  methodNotAllowed,
  notFound,
  parseQuery,
  requireScope,
} from "../../services/api.server";
import { eventListQuery } from "../../services/pagination.server";
import { eventJson } from "../../services/serialize.server";

/** GET /api/v1/issues/:id/events?limit=&cursor= → `{ events, nextCursor }`, newest first */
export const loader = apiHandler(async ({ request, params, context }: LoaderFunctionArgs) => {
  const grant = await authenticateApi(request, context);
  requireScope(grant, "read");
  const issueId = issueIdParam(params.id);
  const query = parseQuery(request, eventListQuery);
  const scope = { orgId: grant.orgId };
  if (!(await getIssue(context.db, { issueId, scope }))) throw notFound();
  const page = await listIssueEvents(context.db, { issueId, scope, ...query });
  return apiJson({ events: page.events.map(eventJson), nextCursor: page.nextCursor });
});

export const action = () => methodNotAllowed(["GET"]);
