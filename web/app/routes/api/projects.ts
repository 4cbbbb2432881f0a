import { listProjects } from "@codewarden/drizzle";
import type { LoaderFunctionArgs } from "@remix-run/node";
import {
  apiHandler,
  apiJson,
  authenticateApi,
  methodNotAllowed,
  requireScope,
} from "../../services/api.server";

/** GET /api/v1/projects → `{ projects: [{ slug, name }] }` */
export const loader = apiHandler(async ({ request, context }: LoaderFunctionArgs) => {
  const grant = await authenticateApi(request, context);
  requireScope(grant, "read");
  const projects = await listProjects(context.db, { scope: { orgId: grant.orgId } });
  return apiJson({ projects: projects.map((p) => ({ slug: p.slug, name: p.name })) });
});

export const action = () => methodNotAllowed(["GET"]);
