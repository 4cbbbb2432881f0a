import {
  decodeCursor,
  decodeIssueCursor,
  ISSUE_STATUS_FILTERS,
  type IssueCursor,
  type IssueSort,
  MAX_ISSUE_SEARCH_LENGTH,
  type TimeCursor,
} from "@codewarden/drizzle";
import { z } from "zod";
import {
  CHART_PERIODS,
  DEFAULT_LIST_STATE,
  LIST_PERIODS,
  LIST_SORTS,
  LIST_STATUSES,
  type ListPeriod,
  type ListSort,
} from "../utils/list-params";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** `limit`: a positive integer, default 25; values above 100 are capped at 100. */
export const limitParam = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return DEFAULT_PAGE_SIZE;
    if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
      ctx.addIssue({ code: "custom", message: "limit must be a positive integer" });
      return z.NEVER;
    }
    return Math.min(Number(value), MAX_PAGE_SIZE);
  });

/** `cursor`: an opaque value from a previous page's `nextCursor`. */
export const cursorParam = z
  .string()
  .optional()
  .transform((value, ctx): TimeCursor | null => {
    if (value === undefined || value === "") return null;
    const cursor = decodeCursor(value);
    if (!cursor) {
      ctx.addIssue({ code: "custom", message: "cursor is not valid" });
      return z.NEVER;
    }
    return cursor;
  });

export const statusParam = z.enum(ISSUE_STATUS_FILTERS).default("unresolved");

export const issueListQuery = z.object({ status: statusParam, limit: limitParam, cursor: cursorParam });
export const eventListQuery = z.object({ limit: limitParam, cursor: cursorParam });

/** URL sort names → the data layer's. */
export const SORT_COLUMNS: Record<ListSort, IssueSort> = {
  last_seen: "lastSeen",
  first_seen: "firstSeen",
  events: "events",
  users: "users",
};

/** An optional text filter: trimmed, empty means unset, capped (filter values are short). */
const textFilter = (max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? "").trim().slice(0, max));

/**
 * The dashboard issue list's query string (see utils/list-params). Unknown enum values and
 * malformed cursors are a 400; empty values (a GET form's unset fields) mean the default.
 */
export const dashboardListQuery = z.object({
  status: z
    .enum(LIST_STATUSES)
    .or(z.literal(""))
    .optional()
    .transform((v) => v || DEFAULT_LIST_STATE.status),
  sort: z
    .enum(Object.keys(LIST_SORTS) as [ListSort, ...ListSort[]])
    .or(z.literal(""))
    .optional()
    .transform((v) => v || DEFAULT_LIST_STATE.sort),
  period: z
    .enum(Object.keys(LIST_PERIODS) as [ListPeriod, ...ListPeriod[]])
    .or(z.literal(""))
    .optional()
    .transform((v) => v || DEFAULT_LIST_STATE.period),
  chart: z
    .enum(CHART_PERIODS)
    .or(z.literal(""))
    .optional()
    .transform((v) => v || DEFAULT_LIST_STATE.chart),
  service: textFilter(200),
  env: textFilter(200),
  release: textFilter(200),
  q: textFilter(MAX_ISSUE_SEARCH_LENGTH),
  cursor: z
    .string()
    .optional()
    .transform((value, ctx): IssueCursor | null => {
      if (value === undefined || value === "") return null;
      const cursor = decodeIssueCursor(value);
      if (!cursor) {
        ctx.addIssue({ code: "custom", message: "cursor is not valid" });
        return z.NEVER;
      }
      return cursor;
    }),
});

/** The query string as a plain object (the last value of a repeated key wins). */
export function searchParamsOf(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
