import {
  countIssuesByStatus,
  findHomeProject,
  findProjectBySlug,
  getIssue,
  type IssueStatusFilter,
  listIssueEvents,
  listIssues,
  listProjects,
  listUserOrganizations,
  NoReleaseError,
  type Resolution,
  type SettableIssueStatus,
  updateIssueStatus,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import { IGNORE_COUNTS } from "../utils/issue-actions";
import type { SessionUser } from "./auth.server";
import { csrfTokenFor } from "./csrf.server";
import { issueListQuery, searchParamsOf } from "./pagination.server";
import { eventJson, issueJson } from "./serialize.server";

/** Presenters for the dashboard pages: each checks what the signed-in user may see. */

const RECENT_EVENTS = 20;
export const DASHBOARD_PAGE_SIZE = 25;

export const notFoundPage = () => new Response("Not Found", { status: 404, statusText: "Not Found" });
const badRequestPage = () => new Response("Bad Request", { status: 400, statusText: "Bad Request" });

/** What the signed-in layout shows on every page. */
export async function loadShell(context: AppLoadContext, user: SessionUser) {
  const [orgs, projects] = await Promise.all([
    listUserOrganizations(context.db, { userId: user.userId }),
    listProjects(context.db, { scope: { userId: user.userId } }),
  ]);
  return {
    email: user.email,
    csrf: csrfTokenFor(context, user.sessionId),
    organization: orgs[0]?.name ?? null,
    projects: projects.map((p) => ({ slug: p.slug, name: p.name })),
  };
}

/** Where `/` goes: the first project of the user's first organisation, or null when there is none. */
export async function homePath(context: AppLoadContext, user: SessionUser): Promise<string | null> {
  const project = await findHomeProject(context.db, { userId: user.userId });
  return project ? `/projects/${encodeURIComponent(project.slug)}/issues` : null;
}

export async function loadIssueList(
  context: AppLoadContext,
  user: SessionUser,
  slug: string | undefined,
  request: Request,
) {
  const query = issueListQuery.safeParse({ ...searchParamsOf(request), limit: undefined });
  if (!query.success) throw badRequestPage();
  if (!slug || slug.length > 200) throw notFoundPage();
  const project = await findProjectBySlug(context.db, { slug, scope: { userId: user.userId } });
  if (!project) throw notFoundPage();
  const status: IssueStatusFilter = query.data.status;
  const [page, counts] = await Promise.all([
    listIssues(context.db, {
      projectId: project.id,
      status,
      limit: DASHBOARD_PAGE_SIZE,
      cursor: query.data.cursor,
    }),
    countIssuesByStatus(context.db, { projectId: project.id }),
  ]);
  return {
    project: { slug: project.slug, name: project.name },
    status,
    counts,
    isFirstPage: query.data.cursor === null,
    issues: page.issues.map(issueJson),
    nextCursor: page.nextCursor,
    now: new Date().toISOString(),
  };
}

export async function loadIssueDetail(context: AppLoadContext, user: SessionUser, id: string | undefined) {
  if (!isUuid(id)) throw notFoundPage();
  const scope = { userId: user.userId };
  const issue = await getIssue(context.db, { issueId: id, scope });
  if (!issue) throw notFoundPage();
  const { events } = await listIssueEvents(context.db, { issueId: issue.id, scope, limit: RECENT_EVENTS });
  const latest = events[0];
  return {
    issue: { ...issueJson(issue), resolvedAt: issue.resolvedAt?.toISOString() ?? null },
    project: { slug: issue.projectSlug, name: issue.projectName },
    latestEvent: latest
      ? { ...eventJson(latest), attributes: latest.attributes, resource: latest.resource }
      : null,
    recentEvents: events.map(eventJson),
    now: new Date().toISOString(),
  };
}

/** What the buttons on an issue page do. */
export const ISSUE_INTENTS = {
  resolve: { status: "resolved" },
  resolveNextRelease: { status: "resolved", resolution: "next_release" },
  ignore: { status: "ignored" },
  reopen: { status: "unresolved" },
} as const satisfies Record<string, { status: SettableIssueStatus; resolution?: Resolution }>;
export type IssueIntent = keyof typeof ISSUE_INTENTS;

export function isIssueIntent(value: unknown): value is IssueIntent {
  return typeof value === "string" && Object.hasOwn(ISSUE_INTENTS, value);
}

/**
 * Applies an issue action for the signed-in user (audit-logged with the user and client address).
 * Returns a message for the page when the action could not be applied as asked.
 */
export async function changeIssueStatus(
  context: AppLoadContext,
  user: SessionUser,
  id: string | undefined,
  intent: unknown,
  ignoreCount?: unknown,
): Promise<string | null> {
  if (!isUuid(id)) throw notFoundPage();
  if (!isIssueIntent(intent)) throw badRequestPage();
  let ignoreMoreEvents: number | undefined;
  if (intent === "ignore" && ignoreCount !== null && ignoreCount !== undefined && ignoreCount !== "") {
    const n = Number(ignoreCount);
    if (!(IGNORE_COUNTS as readonly number[]).includes(n)) throw badRequestPage();
    ignoreMoreEvents = n;
  }
  const target: { status: SettableIssueStatus; resolution?: Resolution } = ISSUE_INTENTS[intent];
  let updated: Awaited<ReturnType<typeof updateIssueStatus>>;
  try {
    updated = await updateIssueStatus(context.db, {
      issueId: id,
      scope: { userId: user.userId },
      status: target.status,
      resolution: target.resolution,
      ignoreMoreEvents,
      actor: { type: "user", userId: user.userId },
      ip: context.clientIp,
    });
  } catch (err) {
    if (err instanceof NoReleaseError) return err.message;
    throw err;
  }
  if (!updated) throw notFoundPage();
  context.logger.info({ issueId: id, status: updated.status, userId: user.userId }, "issue status changed");
  return null;
}
