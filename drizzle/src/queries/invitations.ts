import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../client";
import { invitations, memberships, organizations, type Role, users } from "../schema/auth";
import { recordAudit } from "./audit";
import { ensureUser, type UserRow } from "./auth";
import type { Actor } from "./orgs";

export type CreateInvitationResult = { status: "created"; id: string } | { status: "already_member" };

/**
 * Invites `email` to the organisation (stored lower-cased, token by its SHA-256). An earlier
 * pending invitation of the same address is revoked: only the newest link works. Refused when
 * the address already belongs to a member. Audit-logged as `member.invited`.
 */
export async function createInvitation(
  db: Db,
  params: { orgId: string; email: string; role: Role; tokenHash: string; expiresAt: Date; actor: Actor },
): Promise<CreateInvitationResult> {
  const email = params.email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    const [member] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, params.orgId), eq(users.email, email)))
      .limit(1);
    if (member) return { status: "already_member" } as const;
    const replaced = await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          eq(invitations.orgId, params.orgId),
          eq(invitations.email, email),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
        ),
      )
      .returning({ id: invitations.id });
    const [row] = await tx
      .insert(invitations)
      .values({
        orgId: params.orgId,
        email,
        role: params.role,
        tokenHash: params.tokenHash,
        invitedBy: params.actor.userId,
        expiresAt: params.expiresAt,
      })
      .returning({ id: invitations.id });
    if (!row) throw new Error("createInvitation: insert returned no row");
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "member.invited",
      targetType: "invitation",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: {
        email,
        role: params.role,
        expiresAt: params.expiresAt.toISOString(),
        ...(replaced.length > 0 ? { replaced: replaced.map((r) => r.id) } : {}),
      },
    });
    return { status: "created", id: row.id } as const;
  });
}

export interface PendingInvitationRow {
  id: string;
  email: string;
  role: Role;
  invitedByEmail: string | null;
  createdAt: Date;
  expiresAt: Date;
}

const inviters = alias(users, "inviters");

/** Invitations neither accepted nor revoked (expired ones included: the page marks them), newest first. */
export async function listPendingInvitations(
  db: Db,
  params: { orgId: string },
): Promise<PendingInvitationRow[]> {
  return db
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      invitedByEmail: inviters.email,
      createdAt: invitations.createdAt,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .leftJoin(inviters, eq(inviters.id, invitations.invitedBy))
    .where(
      and(eq(invitations.orgId, params.orgId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)),
    )
    .orderBy(sql`${invitations.createdAt} desc`, asc(invitations.email));
}

/** Revokes a pending invitation of the organisation; false when there is none with that id. */
export async function revokeInvitation(
  db: Db,
  params: { orgId: string; invitationId: string; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          eq(invitations.id, params.invitationId),
          eq(invitations.orgId, params.orgId),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
        ),
      )
      .returning({ id: invitations.id, email: invitations.email });
    if (!row) return false;
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "invitation.revoked",
      targetType: "invitation",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: { email: row.email },
    });
    return true;
  });
}

export interface OpenInvitation {
  id: string;
  orgId: string;
  orgName: string;
  orgSlug: string;
  email: string;
  role: Role;
  invitedByEmail: string | null;
  expiresAt: Date;
}

/** The invitation a token opens: pending, unexpired; null otherwise (unknown, used, revoked, expired). */
export async function findOpenInvitation(
  db: Db,
  params: { tokenHash: string; now?: Date },
): Promise<OpenInvitation | null> {
  const rows = await db
    .select({
      id: invitations.id,
      orgId: organizations.id,
      orgName: organizations.name,
      orgSlug: organizations.slug,
      email: invitations.email,
      role: invitations.role,
      invitedByEmail: inviters.email,
      expiresAt: invitations.expiresAt,
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.orgId))
    .leftJoin(inviters, eq(inviters.id, invitations.invitedBy))
    .where(
      and(
        eq(invitations.tokenHash, params.tokenHash),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, params.now ?? new Date()),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

export type AcceptInvitationResult =
  | { status: "accepted"; user: UserRow; orgId: string; orgSlug: string }
  | { status: "invalid" }
  | { status: "wrong_user"; invitedEmail: string };

/**
 * Accepts an invitation, once: marks it accepted and makes its address a member with its role
 * (an existing membership keeps its role). `signedInUserId` is the accepting user when someone
 * is signed in, who must own the invited address; without one, the address's user is created if
 * needed (the link proves the address, like a sign-in link). Audit-logged as `invitation.accepted`.
 */
export async function acceptInvitation(
  db: Db,
  params: { tokenHash: string; signedInUserId: string | null; ip: string | null; now?: Date },
): Promise<AcceptInvitationResult> {
  const now = params.now ?? new Date();
  return db.transaction(async (tx) => {
    const [invitation] = await tx
      .select({
        id: invitations.id,
        orgId: invitations.orgId,
        email: invitations.email,
        role: invitations.role,
        orgSlug: organizations.slug,
      })
      .from(invitations)
      .innerJoin(organizations, eq(organizations.id, invitations.orgId))
      .where(
        and(
          eq(invitations.tokenHash, params.tokenHash),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, now),
        ),
      )
      .for("update", { of: invitations });
    if (!invitation) return { status: "invalid" } as const;
    if (params.signedInUserId !== null) {
      const [me] = await tx
        .select({ email: users.email })
        .from(users)
        .where(eq(users.id, params.signedInUserId));
      if (me?.email !== invitation.email)
        return { status: "wrong_user", invitedEmail: invitation.email } as const;
    }
    const user = await ensureUser(tx, { email: invitation.email });
    await tx
      .update(invitations)
      .set({ acceptedAt: now, acceptedBy: user.id })
      .where(eq(invitations.id, invitation.id));
    await tx
      .insert(memberships)
      .values({ orgId: invitation.orgId, userId: user.id, role: invitation.role })
      .onConflictDoNothing();
    await recordAudit(tx, {
      orgId: invitation.orgId,
      actorType: "user",
      actorUserId: user.id,
      action: "invitation.accepted",
      targetType: "invitation",
      targetId: invitation.id,
      ip: params.ip,
      metadata: { email: invitation.email, role: invitation.role },
    });
    return { status: "accepted", user, orgId: invitation.orgId, orgSlug: invitation.orgSlug } as const;
  });
}
