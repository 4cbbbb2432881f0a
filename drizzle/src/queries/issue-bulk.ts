import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog } from "../schema/audit";
import { issues } from "../schema/issues";
import { projects } from "../schema/projects";
import type { IssueActor, SettableIssueStatus } from "./issues";
import { type Scope, scopeCondition } from "./projects";

/** Most issues one bulk change may name. */
export const MAX_BULK_ISSUES = 100;

export interface UpdateIssuesStatusParams {
  /** The issues must belong to this project (ids of other projects are skipped). */
  projectId: string;
  issueIds: readonly string[];
  scope: Scope;
  /** `resolved` here means resolved now; `ignored` means until changed. */
  status: SettableIssueStatus;
  actor: IssueActor;
  /** Client address, for the audit log. */
  ip: string | null;
}

/**
 * Sets the status of several issues of one project in one transaction, with one
 * `issue.status_changed` audit row per issue that changed (like {@link updateIssueStatus}, with
 * `bulk: true`). Ids that are unknown, out of scope, of another project or already in `status`
 * are skipped. Returns the ids of the issues that changed.
 */
export async function updateIssuesStatus(db: Db, params: UpdateIssuesStatusParams): Promise<string[]> {
  const ids = [...new Set(params.issueIds.map((id) => id.toLowerCase()))].sort();
  if (ids.length === 0) return [];
  if (ids.length > MAX_BULK_ISSUES) throw new RangeError(`at most ${MAX_BULK_ISSUES} issues at once`);
  return db.transaction(async (tx) => {
    // Locked in fingerprint order, the order ingest (storeErrorEvents) locks a project's issues
    // in, so a bulk change and a batch of events touching the same issues cannot deadlock.
    const current = await tx
      .select({ id: issues.id, status: issues.status, orgId: projects.orgId })
      .from(issues)
      .innerJoin(projects, eq(projects.id, issues.projectId))
      .where(
        and(
          inArray(issues.id, ids),
          eq(issues.projectId, params.projectId),
          scopeCondition(tx, params.scope),
        ),
      )
      .orderBy(asc(issues.fingerprint))
      .for("update", { of: issues });
    const changing = current.filter((r) => r.status !== params.status);
    if (changing.length === 0) return [];
    const resolving = params.status === "resolved";
    await tx
      .update(issues)
      .set({
        status: params.status,
        resolvedAt: resolving ? sql`now()` : null,
        resolution: resolving ? "now" : null,
        resolvedInRelease: null,
        ignoreUntilCount: null,
      })
      .where(
        inArray(
          issues.id,
          changing.map((r) => r.id),
        ),
      );
    const { actor } = params;
    await tx.insert(auditLog).values(
      changing.map((r) => ({
        orgId: r.orgId,
        actorType: actor.type,
        actorUserId: actor.type === "user" ? actor.userId : null,
        action: "issue.status_changed",
        targetType: "issue",
        targetId: r.id,
        ip: params.ip,
        metadata: {
          projectId: params.projectId,
          from: r.status,
          to: params.status,
          ...(resolving ? { resolution: "now" } : {}),
          ...(actor.type === "api_token" ? { apiTokenId: actor.tokenId } : {}),
          bulk: true,
        },
      })),
    );
    return changing.map((r) => r.id);
  });
}
