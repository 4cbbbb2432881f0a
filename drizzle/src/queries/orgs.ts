import { and, asc, count, eq, isNull, like, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { memberships, organizations, type Role, users } from "../schema/auth";
import { ingestKeys, projects } from "../schema/projects";
import { recordAudit } from "./audit";
import { firstFreeSlug, slugify } from "./slug";

/** Who made an account change, and from where (for the audit log). */
export interface Actor {
  userId: string;
  ip: string | null;
}

export interface OrgMembership {
  orgId: string;
  name: string;
  slug: string;
  role: Role;
}

/** The organisation with `orgSlug` and the user's role in it; null when the user is not a member. */
export async function findMembership(
  db: Db,
  params: { orgSlug: string; userId: string },
): Promise<OrgMembership | null> {
  const rows = await db
    .select({
      orgId: organizations.id,
      name: organizations.name,
      slug: organizations.slug,
      role: memberships.role,
    })
    .from(organizations)
    .innerJoin(memberships, eq(memberships.orgId, organizations.id))
    .where(and(eq(organizations.slug, params.orgSlug), eq(memberships.userId, params.userId)))
    .limit(1);
  return rows[0] ?? null;
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: Date;
}

/** An organisation's members, owners first, then by address. */
export async function listMembers(db: Db, params: { orgId: string }): Promise<MemberRow[]> {
  return db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, params.orgId))
    .orderBy(sql`case when ${memberships.role} = 'owner' then 0 else 1 end`, asc(users.email));
}

/** Attempts at a unique slug before giving up (each loses only to a concurrent insert of the same slug). */
const SLUG_ATTEMPTS = 5;

/** Slugs `base` and `base-…` present in `rows` (`base` holds only [a-z0-9-]: no LIKE wildcards). */
const slugFamily = (column: typeof organizations.slug | typeof projects.slug, base: string) =>
  or(eq(column, base), like(column, `${base}-%`));

/**
 * Creates an organisation named `name` with `actor` as its owner. Its slug comes from the name
 * and is unique (`acme`, `acme-2`, …). Audit-logged as `organization.created`.
 */
export async function createOrganization(
  db: Db,
  params: { name: string; actor: Actor },
): Promise<{ id: string; slug: string; name: string }> {
  const base = slugify(params.name, "org");
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const created = await db.transaction(async (tx) => {
      const taken = await tx
        .select({ slug: organizations.slug })
        .from(organizations)
        .where(slugFamily(organizations.slug, base));
      const slug = firstFreeSlug(base, new Set(taken.map((r) => r.slug)));
      const [org] = await tx
        .insert(organizations)
        .values({ name: params.name, slug })
        .onConflictDoNothing({ target: organizations.slug })
        .returning({ id: organizations.id, slug: organizations.slug, name: organizations.name });
      if (!org) return null;
      await tx.insert(memberships).values({ orgId: org.id, userId: params.actor.userId, role: "owner" });
      await recordAudit(tx, {
        orgId: org.id,
        actorType: "user",
        actorUserId: params.actor.userId,
        action: "organization.created",
        targetType: "organization",
        targetId: org.id,
        ip: params.actor.ip,
        metadata: { name: org.name, slug: org.slug },
      });
      return org;
    });
    if (created) return created;
  }
  throw new Error("createOrganization: no free slug after several attempts");
}

export interface OrgProjectRow {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  /** Ingest keys not revoked. */
  activeKeys: number;
}

/** An organisation's projects by name, with how many working ingest keys each has. */
export async function listOrgProjects(db: Db, params: { orgId: string }): Promise<OrgProjectRow[]> {
  const rows = await db
    .select({
      id: projects.id,
      slug: projects.slug,
      name: projects.name,
      createdAt: projects.createdAt,
      activeKeys: count(ingestKeys.id),
    })
    .from(projects)
    .leftJoin(ingestKeys, and(eq(ingestKeys.projectId, projects.id), isNull(ingestKeys.revokedAt)))
    .where(eq(projects.orgId, params.orgId))
    .groupBy(projects.id)
    .orderBy(asc(projects.name), asc(projects.slug));
  return rows.map((r) => ({ ...r, activeKeys: Number(r.activeKeys) }));
}

/** The project with `slug` in the organisation, or null. */
export async function findOrgProject(
  db: Db,
  params: { orgId: string; slug: string },
): Promise<{ id: string; slug: string; name: string } | null> {
  const rows = await db
    .select({ id: projects.id, slug: projects.slug, name: projects.name })
    .from(projects)
    .where(and(eq(projects.orgId, params.orgId), eq(projects.slug, params.slug)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Creates a project in the organisation; its slug comes from the name and is unique in the
 * organisation. Audit-logged as `project.created`.
 */
export async function createProject(
  db: Db,
  params: { orgId: string; name: string; actor: Actor },
): Promise<{ id: string; slug: string; name: string }> {
  const base = slugify(params.name, "project");
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const created = await db.transaction(async (tx) => {
      const taken = await tx
        .select({ slug: projects.slug })
        .from(projects)
        .where(and(eq(projects.orgId, params.orgId), slugFamily(projects.slug, base)));
      const slug = firstFreeSlug(base, new Set(taken.map((r) => r.slug)));
      const [project] = await tx
        .insert(projects)
        .values({ orgId: params.orgId, name: params.name, slug })
        .onConflictDoNothing({ target: [projects.orgId, projects.slug] })
        .returning({ id: projects.id, slug: projects.slug, name: projects.name });
      if (!project) return null;
      await recordAudit(tx, {
        orgId: params.orgId,
        actorType: "user",
        actorUserId: params.actor.userId,
        action: "project.created",
        targetType: "project",
        targetId: project.id,
        ip: params.actor.ip,
        metadata: { name: project.name, slug: project.slug },
      });
      return project;
    });
    if (created) return created;
  }
  throw new Error("createProject: no free slug after several attempts");
}

/**
 * Locks the organisation row for the rest of the transaction, so that concurrent changes to its
 * owners are serialised (two owners cannot demote or remove each other at once).
 */
async function lockOrganization(tx: Db, orgId: string): Promise<void> {
  await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, orgId))
    .for("update");
}

async function ownerCount(tx: Db, orgId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "owner")));
  return Number(row?.n ?? 0);
}

async function findMember(tx: Db, orgId: string, userId: string) {
  const [row] = await tx
    .select({ role: memberships.role, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row ?? null;
}

export type MemberChange = "done" | "unchanged" | "not_found" | "last_owner";

/**
 * Removes `userId` from the organisation (`member.left` when the actor removes themself,
 * `member.removed` otherwise). Refused with `last_owner` for the only owner.
 */
export async function removeMember(
  db: Db,
  params: { orgId: string; userId: string; actor: Actor },
): Promise<MemberChange> {
  return db.transaction(async (tx) => {
    await lockOrganization(tx, params.orgId);
    const member = await findMember(tx, params.orgId, params.userId);
    if (!member) return "not_found";
    if (member.role === "owner" && (await ownerCount(tx, params.orgId)) <= 1) return "last_owner";
    await tx
      .delete(memberships)
      .where(and(eq(memberships.orgId, params.orgId), eq(memberships.userId, params.userId)));
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: params.actor.userId === params.userId ? "member.left" : "member.removed",
      targetType: "user",
      targetId: params.userId,
      ip: params.actor.ip,
      metadata: { email: member.email, role: member.role },
    });
    return "done";
  });
}

/** Makes a member an owner or an owner a member; the last owner cannot step down. */
export async function changeMemberRole(
  db: Db,
  params: { orgId: string; userId: string; role: Role; actor: Actor },
): Promise<MemberChange> {
  return db.transaction(async (tx) => {
    await lockOrganization(tx, params.orgId);
    const member = await findMember(tx, params.orgId, params.userId);
    if (!member) return "not_found";
    if (member.role === params.role) return "unchanged";
    if (member.role === "owner" && (await ownerCount(tx, params.orgId)) <= 1) return "last_owner";
    await tx
      .update(memberships)
      .set({ role: params.role })
      .where(and(eq(memberships.orgId, params.orgId), eq(memberships.userId, params.userId)));
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "member.role_changed",
      targetType: "user",
      targetId: params.userId,
      ip: params.actor.ip,
      metadata: { email: member.email, from: member.role, to: params.role },
    });
    return "done";
  });
}
