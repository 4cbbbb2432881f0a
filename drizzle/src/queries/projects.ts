import { and, asc, eq, inArray, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../client";
import { memberships, organizations } from "../schema/auth";
import { projects } from "../schema/projects";
import { recordAudit } from "./audit";

/**
 * Whose view a read or write is made from: an API token (its organisation) or a signed-in user
 * (every organisation the user is a member of). Every query over org-owned rows takes one, so an
 * object of another organisation is simply not found.
 */
export type Scope = { orgId: string } | { userId: string };

/** SQL condition restricting an organisation id column to what `scope` may see. */
export function scopeCondition(db: Db, scope: Scope, orgIdColumn: PgColumn = projects.orgId): SQL {
  if ("orgId" in scope) return eq(orgIdColumn, scope.orgId);
  return inArray(
    orgIdColumn,
    db.select({ orgId: memberships.orgId }).from(memberships).where(eq(memberships.userId, scope.userId)),
  );
}

export interface ProjectRow {
  id: string;
  orgId: string;
  slug: string;
  name: string;
}

const projectColumns = {
  id: projects.id,
  orgId: projects.orgId,
  slug: projects.slug,
  name: projects.name,
};

/** Projects visible in `scope`, oldest organisation first, then by slug. */
export async function listProjects(db: Db, params: { scope: Scope }): Promise<ProjectRow[]> {
  return db
    .select(projectColumns)
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(scopeCondition(db, params.scope))
    .orderBy(asc(organizations.createdAt), asc(organizations.id), asc(projects.slug));
}

/**
 * The project with `slug` visible in `scope`. Slugs are unique per organisation; a user in several
 * organisations gets the one in the oldest organisation.
 */
export async function findProjectBySlug(
  db: Db,
  params: { slug: string; scope: Scope },
): Promise<ProjectRow | null> {
  const rows = await db
    .select(projectColumns)
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(and(eq(projects.slug, params.slug), scopeCondition(db, params.scope)))
    .orderBy(asc(organizations.createdAt), asc(organizations.id))
    .limit(1);
  return rows[0] ?? null;
}

/** The first project (by creation) of the user's first organisation (by membership), or null. */
export async function findHomeProject(db: Db, params: { userId: string }): Promise<ProjectRow | null> {
  const rows = await db
    .select(projectColumns)
    .from(memberships)
    .innerJoin(projects, eq(projects.orgId, memberships.orgId))
    .where(eq(memberships.userId, params.userId))
    .orderBy(asc(memberships.createdAt), asc(memberships.orgId), asc(projects.createdAt), asc(projects.slug))
    .limit(1);
  return rows[0] ?? null;
}

/** A project's stack-frame overrides: patterns that are always / never its own code. */
export interface InAppRules {
  include: string[];
  exclude: string[];
}

/** The in-app overrides of a project (empty lists when it has none or does not exist). */
export async function getInAppRules(db: Db, projectId: string): Promise<InAppRules> {
  const [row] = await db
    .select({ include: projects.inAppInclude, exclude: projects.inAppExclude })
    .from(projects)
    .where(eq(projects.id, projectId))
    .limit(1);
  return { include: row?.include ?? [], exclude: row?.exclude ?? [] };
}

/**
 * Replaces a project's in-app overrides and records who did it (the caller validates the
 * patterns and that the actor may change this project). Applies to events processed from now on.
 */
export async function setInAppRules(
  db: Db,
  params: {
    orgId: string;
    projectId: string;
    rules: InAppRules;
    actor: { userId: string; ip: string | null };
  },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(projects)
      .set({ inAppInclude: params.rules.include, inAppExclude: params.rules.exclude })
      .where(and(eq(projects.id, params.projectId), eq(projects.orgId, params.orgId)));
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "project.grouping_changed",
      targetType: "project",
      targetId: params.projectId,
      ip: params.actor.ip,
      metadata: { inAppInclude: params.rules.include, inAppExclude: params.rules.exclude },
    });
  });
}
