import { decodeCursor, ISSUE_STATUS_FILTERS, type TimeCursor } from "@codewarden/drizzle";
import { z } from "zod";

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

/** The query string as a plain object (the last value of a repeated key wins). */
export function searchParamsOf(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
