import { findMembership, type OrgMembership } from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import type { SessionUser } from "./auth.server";
import { notFound, refused } from "./forms.server";

export { orgPath } from "../utils/settings-paths";

/** Organisation slugs as created (letters, digits, dashes); anything else cannot exist. */
const ORG_SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

/**
 * The organisation `orgSlug` with the user's role, or 404 when it does not exist or the user is
 * not a member (the two are indistinguishable from outside).
 */
export async function requireMembership(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
): Promise<OrgMembership> {
  if (!orgSlug || !ORG_SLUG_RE.test(orgSlug)) throw notFound();
  const membership = await findMembership(context.db, { orgSlug, userId: user.userId });
  if (!membership) throw notFound();
  return membership;
}

export const isOwner = (m: OrgMembership) => m.role === "owner";

/** 403 with a message for the page: members may look, only owners may change. */
export const ownersOnly = (what: string) => refused(`Only owners can ${what}.`, 403);
