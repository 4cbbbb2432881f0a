import { findProjectBySlug, listIssues } from "@codewarden/drizzle";
import type { LoaderFunctionArgs } from "@remix-run/node";
import {
  apiHandler,
  apiJson,
  authenticateApi,
  methodNotAllowed,
  notFound,
  parseQuery,
  requireScope,
} from "../../services/api.server";
import { issueListQuery } from "../../services/pagination.server";
import { issueJson } from "../../services/serialize.server";

/** GET /api/v1/projects/:slug/issues?status=&limit=&cursor= → `{ issues, nextCursor }` */
export const loader = apiHandler(async ({ request, params, context }: LoaderFunctionArgs) => {
  const grant = await authenticateApi(request, context);
  requireScope(grant, "read");
  const query = parseQuery(request, issueListQuery);
  const slug = params.slug ?? "";
  if (slug.length === 0 || slug.length > 200) throw notFound();
  const project = await findProjectBySlug(context.db, { slug, scope: { orgId: grant.orgId } });
  if (!project) throw notFound();
  const page = await listIssues(context.db, { projectId: project.id, ...query });
  return apiJson({ issues: page.issues.map(issueJson), nextCursor: page.nextCursor });
});

export const action = () => methodNotAllowed(["GET"]);
