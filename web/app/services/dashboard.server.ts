import {
  findHomeProject,
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

/**
 * Presenters for the dashboard pages: each checks what the signed-in user may see. The issue
 * list is in issue-list.server.ts, the issue page in issue-page.server.ts.
 */

export const notFoundPage = () => new Response("Not Found", { status: 404, statusText: "Not Found" });
export const badRequestPage = () => new Response("Bad Request", { status: 400, statusText: "Bad Request" });

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
