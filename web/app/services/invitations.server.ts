import { randomBytes } from "node:crypto";
import { hashSecret } from "@codewarden/common";
import {
  acceptInvitation,
  createInvitation,
  findOpenInvitation,
  hitRateLimit,
  type OrgMembership,
  type Role,
  revokeInvitation,
} from "@codewarden/drizzle";
import { type AppLoadContext, redirect } from "@remix-run/node";
import { normaliseEmail } from "../utils/email";
import {
  getSessionUser,
  isWellFormedToken,
  openSession,
  requireUserForm,
  type SessionUser,
  signOut,
} from "./auth.server";
import { assertSameOrigin, csrfTokenFor } from "./csrf.server";
import { actorOf, field, notFound, refused, reply } from "./forms.server";
import { orgPath } from "./membership.server";

export const INVITATION_TTL_DAYS = 7;
/** Invitations an organisation may send per window (they are emails to arbitrary addresses). */
export const INVITE_RATE_LIMIT = { perOrg: 30, windowMinutes: 60 } as const;

/** Owners invite an address: a single-use link, valid for a week, emailed through the mailer. */
export async function inviteMember(
  context: AppLoadContext,
  user: SessionUser,
  m: OrgMembership,
  rawEmail: string,
  role: Role,
) {
  const email = normaliseEmail(rawEmail);
  if (!email) return refused("Enter a valid email address.", 400);
  const hit = await hitRateLimit(context.db, {
    key: `invite:org:${m.orgId}`,
    windowSeconds: INVITE_RATE_LIMIT.windowMinutes * 60,
  });
  if (hit.hits > INVITE_RATE_LIMIT.perOrg)
    return refused("Too many invitations from this organisation in the last hour. Try again later.", 429);
  const token = randomBytes(32).toString("base64url");
  const result = await createInvitation(context.db, {
    orgId: m.orgId,
    email,
    role,
    tokenHash: hashSecret(token),
    expiresAt: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
    actor: actorOf(context, user),
  });
  if (result.status === "already_member") return refused(`${email} is already a member.`, 409);
  const url = `${context.config.publicUrl}/invite?token=${encodeURIComponent(token)}`;
  try {
    await context.mailer.sendInvitation({
      to: email,
      url,
      organization: m.name,
      invitedBy: user.email,
      expiresInDays: INVITATION_TTL_DAYS,
    });
  } catch (err) {
    context.logger.error({ err, orgId: m.orgId, invitationId: result.id }, "could not send invitation");
    return refused(
      `The invitation to ${email} was saved but the email could not be sent. Invite again to retry.`,
      502,
    );
  }
  context.logger.info({ orgId: m.orgId, invitationId: result.id }, "invitation sent");
  return reply({
    notice: `Invitation sent to ${email}. The link works once, for ${INVITATION_TTL_DAYS} days.`,
  });
}

export async function revokePendingInvitation(
  context: AppLoadContext,
  user: SessionUser,
  m: OrgMembership,
  invitationId: string,
) {
  const revoked = await revokeInvitation(context.db, {
    orgId: m.orgId,
    invitationId,
    actor: actorOf(context, user),
  });
  if (!revoked) throw notFound();
  return reply({ notice: "Invitation revoked." });
}

/** What /invite?token= shows: the invitation (when it works) and who is signed in. */
export async function loadInvitation(context: AppLoadContext, request: Request) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const invitation = isWellFormedToken(token)
    ? await findOpenInvitation(context.db, { tokenHash: hashSecret(token) })
    : null;
  if (!invitation) return null;
  const user = await getSessionUser(request, context);
  return {
    token,
    organization: invitation.orgName,
    email: invitation.email,
    role: invitation.role,
    invitedBy: invitation.invitedByEmail,
    expiresAt: invitation.expiresAt.toISOString(),
    signedInAs: user?.email ?? null,
    csrf: user ? csrfTokenFor(context, user.sessionId) : null,
  };
}

/**
 * Accepts an invitation (POST /invite). Signed in as the invited address: joins (CSRF token
 * required). Signed in as someone else: refused, unless `intent=switch`, which signs that
 * session out first. Signed out: the link proves the address, so it joins, creating the user if
 * needed, and signs in. Answers null when the invitation does not work (any more).
 */
export async function acceptInvitationAction(context: AppLoadContext, request: Request) {
  const signedIn = await getSessionUser(request, context);
  let form: FormData | null;
  if (signedIn) ({ form } = await requireUserForm(request, context));
  else {
    assertSameOrigin(request, context);
    form = await request.formData().catch(() => null);
    if (!form) return null;
  }
  const token = field(form, "token");
  if (!isWellFormedToken(token)) return null;
  const switching = signedIn !== null && field(form, "intent") === "switch";
  const result = await acceptInvitation(context.db, {
    tokenHash: hashSecret(token),
    signedInUserId: signedIn && !switching ? signedIn.userId : null,
    ip: context.clientIp,
  });
  if (result.status === "invalid") return null;
  if (result.status === "wrong_user") return refused(`This invitation is for ${result.invitedEmail}.`, 403);
  context.logger.info({ orgId: result.orgId, userId: result.user.id }, "invitation accepted");
  const headers = new Headers();
  if (!signedIn || switching) {
    if (signedIn) await signOut(context, signedIn);
    headers.set(
      "Set-Cookie",
      await openSession(context, result.user.id, {
        method: "invitation",
        userAgent: request.headers.get("user-agent"),
      }),
    );
  }
  throw redirect(`${orgPath({ slug: result.orgSlug })}?joined=1`, { headers });
}
