import {
  countIssuesByListStatus,
  findProjectBySlug,
  type IssueFilters,
  issueCountSeries,
  listIssueFilterValues,
  MAX_BULK_ISSUES,
  type ProjectRow,
  searchIssues,
  updateIssuesStatus,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import { LIST_PERIODS, type ListState } from "../utils/list-params";
import { seriesWindow } from "../utils/series";
import type { SessionUser } from "./auth.server";
import { badRequestPage, notFoundPage } from "./dashboard.server";
import { dashboardListQuery, SORT_COLUMNS, searchParamsOf } from "./pagination.server";
import { issueJson } from "./serialize.server";

/** Presenter of a project's issue list (filters, search, sort, sparklines) and its bulk actions. */

export const DASHBOARD_PAGE_SIZE = 25;

async function projectOf(context: AppLoadContext, user: SessionUser, slug: string | undefined) {
  if (!slug || slug.length > 200) throw notFoundPage();
  const project = await findProjectBySlug(context.db, { slug, scope: { userId: user.userId } });
  if (!project) throw notFoundPage();
  return project;
}

function filtersOf(project: ProjectRow, state: ListState, now: Date): IssueFilters {
  const periodMs = LIST_PERIODS[state.period].ms;
  return {
    projectId: project.id,
    service: state.service || null,
    environment: state.env || null,
    release: state.release || null,
    seenSince: periodMs === null ? null : new Date(now.getTime() - periodMs),
    search: state.q || null,
  };
}

export async function loadIssueList(
  context: AppLoadContext,
  user: SessionUser,
  slug: string | undefined,
  request: Request,
) {
  const parsed = dashboardListQuery.safeParse(searchParamsOf(request));
  if (!parsed.success) throw badRequestPage();
  const { cursor, ...state } = parsed.data;
  const project = await projectOf(context, user, slug);
  const now = new Date();
  const filters = filtersOf(project, state, now);
  const { db } = context;
  const [page, counts, filterValues] = await Promise.all([
    searchIssues(db, {
      ...filters,
      status: state.status,
      sort: SORT_COLUMNS[state.sort],
      limit: DASHBOARD_PAGE_SIZE,
      cursor,
    }),
    countIssuesByListStatus(db, filters),
    listIssueFilterValues(db, { projectId: project.id }),
  ]);
  const window = seriesWindow(state.chart, now);
  const series = await issueCountSeries(db, {
    issueIds: page.issues.map((i) => i.id),
    window: { ...window, start: new Date(window.start) },
  });
  return {
    project: { slug: project.slug, name: project.name },
    state,
    counts,
    filterValues,
    // A cursor of another sort order is ignored (searchIssues): that is the first page too.
    isFirstPage: cursor === null || cursor.sort !== SORT_COLUMNS[state.sort],
    issues: page.issues.map((i) => ({ ...issueJson(i), series: series.get(i.id) ?? [] })),
    window,
    nextCursor: page.nextCursor,
    prevCursor: page.prevCursor,
    now: now.toISOString(),
  };
}

/** What the bulk buttons do: resolve (now), ignore (until changed), reopen. */
const BULK_INTENTS = {
  resolve: { status: "resolved", verb: "Resolved" },
  ignore: { status: "ignored", verb: "Ignored" },
  reopen: { status: "unresolved", verb: "Reopened" },
} as const;

export type BulkResult = { ok: true; message: string } | { ok: false; message: string };

/** Applies a bulk action to the selected issues of the project (audit-logged per issue). */
export async function bulkChangeIssueStatus(
  context: AppLoadContext,
  user: SessionUser,
  slug: string | undefined,
  form: FormData,
): Promise<BulkResult> {
  const project = await projectOf(context, user, slug);
  const intent = form.get("intent");
  if (typeof intent !== "string" || !Object.hasOwn(BULK_INTENTS, intent)) throw badRequestPage();
  const { status, verb } = BULK_INTENTS[intent as keyof typeof BULK_INTENTS];
  const ids = [...new Set(form.getAll("issue"))];
  if (ids.length === 0) return { ok: false, message: "Select at least one issue first." };
  if (ids.length > MAX_BULK_ISSUES || !ids.every(isUuid)) throw badRequestPage();
  const changed = await updateIssuesStatus(context.db, {
    projectId: project.id,
    issueIds: ids,
    scope: { userId: user.userId },
    status,
    actor: { type: "user", userId: user.userId },
    ip: context.clientIp,
  });
  context.logger.info(
    { projectId: project.id, status, issues: changed.length, userId: user.userId },
    "issues status changed in bulk",
  );
  const n = changed.length;
  const unchanged = ids.length - n;
  return {
    ok: true,
    message:
      `${verb} ${n} ${n === 1 ? "issue" : "issues"}.` +
      (unchanged > 0 ? ` ${unchanged} already had that status or could not be found.` : ""),
  };
}
