import type { Actor } from "@codewarden/drizzle";
import { type AppLoadContext, data } from "@remix-run/node";
import type { SessionUser } from "./auth.server";

export { MAX_NAME_LENGTH, parseDisplayName } from "../utils/names";

/** What the account and settings actions answer with (rendered by their pages). */
export interface ActionData {
  error?: string;
  notice?: string;
  /** A secret just created: shown on this one response, never stored or shown again. */
  secret?: { kind: "ingest_key" | "api_token"; name: string; value: string; projectSlug?: string };
}

/** An action's answer with its HTTP status (4xx for refusals, so clients and tests can tell). */
export const reply = (body: ActionData, status = 200) =>
  data(body, { status, headers: { "Cache-Control": "no-store" } });

export const refused = (error: string, status: number) => reply({ error }, status);

export const notFound = () => new Response("Not Found", { status: 404, statusText: "Not Found" });
export const badRequest = () => new Response("Bad Request", { status: 400, statusText: "Bad Request" });

export const actorOf = (context: AppLoadContext, user: SessionUser): Actor => ({
  userId: user.userId,
  ip: context.clientIp,
});

/** A form field as a string ("" when absent or a file). */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** Dates for the page (loader data crosses to the browser as JSON). */
export const iso = (d: Date | null) => (d ? d.toISOString() : null);
