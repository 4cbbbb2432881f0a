import { notFound } from "../../services/api.server";

/** Any other /api/* path: a JSON 404 rather than the dashboard's HTML page. */
export const loader = () => notFound();
export const action = () => notFound();
