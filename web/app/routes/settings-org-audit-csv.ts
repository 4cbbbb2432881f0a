import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportAuditCsv } from "../services/audit.server";
import { requireUser } from "../services/auth.server";

/** The audit log page's rows as CSV (resource route): owners only, same filters as the page's query. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return exportAuditCsv(context, user, params.org, new URL(request.url));
}
