import { useRouteLoaderData } from "@remix-run/react";
import type { loader } from "../routes/dashboard-layout";

/** The signed-in layout's data (user, CSRF token, projects) from inside a dashboard page. */
export function useShell() {
  const shell = useRouteLoaderData<typeof loader>("dashboard");
  if (!shell) throw new Error("useShell outside the dashboard layout");
  return shell;
}
