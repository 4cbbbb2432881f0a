import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "../services/auth.server";
import { downloadEvidence } from "../services/evidence.server";

/** A ready evidence report's PDF (resource route): owners only, checked against its SHA-256, audit-logged. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return downloadEvidence(context, user, params.org, params.reportId);
}
