import {
  changeMemberRole,
  countActiveSessions,
  createOrganization,
  createProject,
  listMembers,
  listOrgProjects,
  listPendingInvitations,
  listUserOrganizations,
  ROLES,
  type Role,
  removeMember,
} from "@codewarden/drizzle";
import { type AppLoadContext, redirect } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import type { SessionUser } from "./auth.server";
import { actorOf, field, notFound, parseDisplayName, refused, reply } from "./forms.server";
import { inviteMember, revokePendingInvitation } from "./invitations.server";
import { createFirstIngestKey } from "./keys.server";
import { isOwner, orgPath, ownersOnly, requireMembership } from "./membership.server";

// ─── Account (/settings) ────────────────────────────────────────────────────────────────────

export async function loadAccount(context: AppLoadContext, user: SessionUser) {
  const [orgs, sessions] = await Promise.all([
    listUserOrganizations(context.db, { userId: user.userId }),
    countActiveSessions(context.db, { userId: user.userId }),
  ]);
  return {
    email: user.email,
    sessions,
    organizations: orgs.map((o) => ({ name: o.name, slug: o.slug, role: o.role })),
  };
}

/** Any signed-in user may create an organisation; they become its owner. */
export async function createOrganizationAction(context: AppLoadContext, user: SessionUser, form: FormData) {
  const parsed = parseDisplayName(field(form, "name"), "organisation");
  if ("error" in parsed) return refused(parsed.error, 400);
  const org = await createOrganization(context.db, { name: parsed.name, actor: actorOf(context, user) });
  context.logger.info({ orgId: org.id, userId: user.userId }, "organisation created");
  throw redirect(`${orgPath(org)}/projects`);
}

// ─── Members (/settings/orgs/:org) ──────────────────────────────────────────────────────────

export async function loadMembers(context: AppLoadContext, user: SessionUser, orgSlug: string | undefined) {
  const m = await requireMembership(context, user, orgSlug);
  const [members, invitations] = await Promise.all([
    listMembers(context.db, { orgId: m.orgId }),
    isOwner(m) ? listPendingInvitations(context.db, { orgId: m.orgId }) : Promise.resolve([]),
  ]);
  const owners = members.filter((x) => x.role === "owner").length;
  return {
    org: { name: m.name, slug: m.slug },
    role: m.role,
    me: user.userId,
    owners,
    members: members.map((x) => ({
      userId: x.userId,
      email: x.email,
      name: x.name,
      role: x.role,
      joinedAt: x.joinedAt.toISOString(),
    })),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      invitedBy: i.invitedByEmail,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
    })),
    now: new Date().toISOString(),
  };
}

const parseRole = (value: string): Role | null =>
  (ROLES as readonly string[]).includes(value) ? (value as Role) : null;

/** The members page's forms: invite, revoke an invitation, change a role, remove, leave. */
export async function membersAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  form: FormData,
) {
  const m = await requireMembership(context, user, orgSlug);
  const intent = field(form, "intent");
  const actor = actorOf(context, user);

  if (intent === "leave") {
    const result = await removeMember(context.db, { orgId: m.orgId, userId: user.userId, actor });
    if (result === "last_owner")
      return refused("You are the only owner: make someone else an owner before leaving.", 409);
    throw redirect("/settings");
  }
  if (!isOwner(m)) return ownersOnly("manage members and invitations");

  switch (intent) {
    case "invite": {
      const role = parseRole(field(form, "role") || "member");
      if (!role) return refused("Choose a role.", 400);
      return inviteMember(context, user, m, field(form, "email"), role);
    }
    case "revokeInvitation": {
      const id = field(form, "invitationId");
      if (!isUuid(id)) throw notFound();
      return revokePendingInvitation(context, user, m, id);
    }
    case "changeRole": {
      const userId = field(form, "userId");
      const role = parseRole(field(form, "role"));
      if (!isUuid(userId)) throw notFound();
      if (!role) return refused("Choose a role.", 400);
      const result = await changeMemberRole(context.db, { orgId: m.orgId, userId, role, actor });
      if (result === "not_found") throw notFound();
      if (result === "last_owner")
        return refused("An organisation needs an owner: make someone else an owner first.", 409);
      if (userId === user.userId && role !== "owner") throw redirect(orgPath(m));
      return reply({ notice: result === "unchanged" ? "Nothing changed." : "Role changed." });
    }
    case "removeMember": {
      const userId = field(form, "userId");
      if (!isUuid(userId)) throw notFound();
      const result = await removeMember(context.db, { orgId: m.orgId, userId, actor });
      if (result === "not_found") throw notFound();
      if (result === "last_owner")
        return refused("The only owner cannot be removed: make someone else an owner first.", 409);
      if (userId === user.userId) throw redirect("/settings");
      return reply({ notice: "Member removed." });
    }
    default:
      return refused("Unknown action.", 400);
  }
}

// ─── Projects (/settings/orgs/:org/projects) ────────────────────────────────────────────────

export async function loadProjects(context: AppLoadContext, user: SessionUser, orgSlug: string | undefined) {
  const m = await requireMembership(context, user, orgSlug);
  const projects = await listOrgProjects(context.db, { orgId: m.orgId });
  return {
    org: { name: m.name, slug: m.slug },
    canManage: isOwner(m),
    projects: projects.map((p) => ({
      slug: p.slug,
      name: p.name,
      activeKeys: p.activeKeys,
      createdAt: p.createdAt.toISOString(),
    })),
    now: new Date().toISOString(),
  };
}

export async function loadNewProject(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
) {
  const m = await requireMembership(context, user, orgSlug);
  return { org: { name: m.name, slug: m.slug }, canManage: isOwner(m) };
}

/**
 * Owners create a project (slug from the name, unique in the organisation) together with its
 * first ingest key, which this response shows once.
 */
export async function createProjectAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  form: FormData,
) {
  const m = await requireMembership(context, user, orgSlug);
  if (!isOwner(m)) return ownersOnly("create projects");
  const parsed = parseDisplayName(field(form, "name"), "project");
  if ("error" in parsed) return refused(parsed.error, 400);
  const actor = actorOf(context, user);
  const project = await createProject(context.db, { orgId: m.orgId, name: parsed.name, actor });
  const key = await createFirstIngestKey(context, m, project, actor);
  context.logger.info({ orgId: m.orgId, projectId: project.id, userId: user.userId }, "project created");
  return reply({
    notice: `Project ${project.name} created.`,
    secret: { kind: "ingest_key", name: key.name, value: key.value, projectSlug: project.slug },
  });
}
