/**
 * The audit page's filters as they travel in its query string (`?category=&actor=&from=&to=`,
 * plus `before` for the next page): parsed strictly, and written back for links.
 */

/** Action categories offered by the filter (each is an action prefix `<value>.`). */
export const AUDIT_CATEGORIES = [
  { value: "user", label: "Sign-in and sessions" },
  { value: "member", label: "Members" },
  { value: "invitation", label: "Invitations" },
  { value: "organization", label: "Organisation" },
  { value: "project", label: "Projects and grouping rules" },
  { value: "ingest_key", label: "Ingest keys" },
  { value: "api_token", label: "API tokens" },
  { value: "issue", label: "Issue status" },
  { value: "alert_rule", label: "Alert rules" },
  { value: "alert_channel", label: "Alert channels" },
  { value: "alert_delivery", label: "Alert deliveries retried" },
  { value: "evidence_report", label: "Evidence reports" },
] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number]["value"];

/** `actor`: a user id, or every API token, or the system. */
export type AuditActorFilter = { userId: string } | { type: "api_token" | "system" };

export interface AuditQuery {
  category: AuditCategory | null;
  /** An exact action (`api_token.revoked`). */
  action: string | null;
  actor: AuditActorFilter | null;
  /** Days (YYYY-MM-DD, UTC), both included. */
  from: string | null;
  to: string | null;
  /** Cursor of the last row of the previous page. */
  before: string | null;
}

export const EMPTY_AUDIT_QUERY: AuditQuery = {
  category: null,
  action: null,
  actor: null,
  from: null,
  to: null,
  before: null,
};

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION_RE = /^[a-z_]{1,40}\.[a-z_]{1,40}$/;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const CURSOR_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z~\d{1,18}$/;

/** A real calendar day (not 2026-02-30). */
function isDay(value: string): boolean {
  if (!DAY_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/**
 * The filters in `params`, or the names of the parameters that are not valid. Empty values mean
 * "any" (an unfilled form field).
 */
export function parseAuditQuery(params: URLSearchParams): { query: AuditQuery } | { invalid: string[] } {
  const invalid: string[] = [];
  const get = (name: string) => {
    const v = params.get(name)?.trim() ?? "";
    return v === "" ? null : v;
  };
  const query: AuditQuery = { ...EMPTY_AUDIT_QUERY };

  const category = get("category");
  if (category !== null) {
    const known = AUDIT_CATEGORIES.find((c) => c.value === category);
    if (known) query.category = known.value;
    else invalid.push("category");
  }
  const action = get("action");
  if (action !== null) {
    if (ACTION_RE.test(action)) query.action = action;
    else invalid.push("action");
  }
  const actor = get("actor");
  if (actor !== null) {
    if (actor === "api_token" || actor === "system") query.actor = { type: actor };
    else if (UUID_RE.test(actor)) query.actor = { userId: actor.toLowerCase() };
    else invalid.push("actor");
  }
  for (const name of ["from", "to"] as const) {
    const day = get(name);
    if (day === null) continue;
    if (isDay(day)) query[name] = day;
    else invalid.push(name);
  }
  if (query.from && query.to && query.from > query.to) invalid.push("to");
  const before = get("before");
  if (before !== null) {
    if (CURSOR_RE.test(before)) query.before = before;
    else invalid.push("before");
  }
  return invalid.length ? { invalid } : { query };
}

/** The query string (with `?`, or "" when there is nothing) of these filters, plus `extra`. */
export function auditQueryString(query: AuditQuery, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  if (query.category) p.set("category", query.category);
  if (query.action) p.set("action", query.action);
  if (query.actor) p.set("actor", "userId" in query.actor ? query.actor.userId : query.actor.type);
  if (query.from) p.set("from", query.from);
  if (query.to) p.set("to", query.to);
  if (query.before) p.set("before", query.before);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** The time range of `from`/`to` days: [start of `from`, start of the day after `to`), in UTC. */
export function auditTimeRange(query: AuditQuery): { from?: Date; to?: Date } {
  const range: { from?: Date; to?: Date } = {};
  if (query.from) range.from = new Date(`${query.from}T00:00:00Z`);
  if (query.to) range.to = new Date(new Date(`${query.to}T00:00:00Z`).getTime() + 86_400_000);
  return range;
}
