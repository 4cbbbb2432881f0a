import {
  API_TOKEN_PREFIX,
  generateSecret,
  hashSecret,
  INGEST_KEY_PREFIX,
  secretHint,
} from "@codewarden/common";
import {
  type Actor,
  createApiToken,
  createIngestKey,
  findOrgProject,
  listApiTokens,
  listIngestKeys,
  type OrgMembership,
  revokeApiToken,
  revokeIngestKey,
  type SecretRow,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { isUuid } from "../utils/ids";
import type { SessionUser } from "./auth.server";
import { actorOf, field, iso, notFound, parseDisplayName, refused, reply } from "./forms.server";
import { isOwner, ownersOnly, requireMembership } from "./membership.server";

/** Ingest keys and API tokens: listed by hint, created by owners (the secret shown once), revoked by owners. */

/** API token access levels offered on the page and the scopes they grant. */
export const TOKEN_ACCESS = {
  read: ["read"],
  "read-write": ["read", "write"],
} as const satisfies Record<string, readonly string[]>;
export type TokenAccess = keyof typeof TOKEN_ACCESS;

const secretJson = (r: SecretRow) => ({
  id: r.id,
  name: r.name,
  hint: r.hint,
  createdBy: r.createdByEmail,
  createdAt: r.createdAt.toISOString(),
  lastUsedAt: iso(r.lastUsedAt),
  revokedAt: iso(r.revokedAt),
});

export async function requireProject(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
) {
  const m = await requireMembership(context, user, orgSlug);
  if (!projectSlug || projectSlug.length > 200) throw notFound();
  const project = await findOrgProject(context.db, { orgId: m.orgId, slug: projectSlug });
  if (!project) throw notFound();
  return { m, project };
}

/** A new ingest key for the project; returns the secret (the database keeps only its hash). */
async function newIngestKey(
  context: AppLoadContext,
  m: OrgMembership,
  project: { id: string },
  name: string,
  actor: Actor,
): Promise<{ name: string; value: string }> {
  const value = generateSecret(INGEST_KEY_PREFIX);
  await createIngestKey(context.db, {
    orgId: m.orgId,
    projectId: project.id,
    name,
    keyHash: hashSecret(value),
    keyHint: secretHint(value),
    actor,
  });
  return { name, value };
}

/** The key a new project starts with. */
export const createFirstIngestKey = (
  context: AppLoadContext,
  m: OrgMembership,
  project: { id: string },
  actor: Actor,
) => newIngestKey(context, m, project, "default", actor);

export async function loadProjectKeys(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  const keys = await listIngestKeys(context.db, { projectId: project.id });
  return {
    org: { name: m.name, slug: m.slug },
    project: { name: project.name, slug: project.slug },
    canManage: isOwner(m),
    otlpUrl: context.config.otlpUrl,
    keys: keys.map(secretJson),
    now: new Date().toISOString(),
  };
}

export async function projectKeysAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
  form: FormData,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  if (!isOwner(m)) return ownersOnly("create or revoke ingest keys");
  const actor = actorOf(context, user);
  switch (field(form, "intent")) {
    case "create": {
      const parsed = parseDisplayName(field(form, "name"), "key");
      if ("error" in parsed) return refused(parsed.error, 400);
      const key = await newIngestKey(context, m, project, parsed.name, actor);
      return reply({
        notice: `Ingest key ${key.name} created.`,
        secret: { kind: "ingest_key", name: key.name, value: key.value, projectSlug: project.slug },
      });
    }
    case "revoke": {
      const keyId = field(form, "keyId");
      if (!isUuid(keyId)) throw notFound();
      const revoked = await revokeIngestKey(context.db, {
        orgId: m.orgId,
        projectId: project.id,
        keyId,
        actor,
      });
      if (!revoked) throw notFound();
      return reply({ notice: "Ingest key revoked. Collectors refuse it within a minute." });
    }
    default:
      return refused("Unknown action.", 400);
  }
}

export async function loadApiTokens(context: AppLoadContext, user: SessionUser, orgSlug: string | undefined) {
  const m = await requireMembership(context, user, orgSlug);
  const tokens = await listApiTokens(context.db, { orgId: m.orgId });
  return {
    org: { name: m.name, slug: m.slug },
    canManage: isOwner(m),
    tokens: tokens.map((t) => ({ ...secretJson(t), scopes: t.scopes })),
    now: new Date().toISOString(),
  };
}

const isTokenAccess = (value: string): value is TokenAccess => Object.hasOwn(TOKEN_ACCESS, value);

export async function apiTokensAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  form: FormData,
) {
  const m = await requireMembership(context, user, orgSlug);
  if (!isOwner(m)) return ownersOnly("create or revoke API tokens");
  const actor = actorOf(context, user);
  switch (field(form, "intent")) {
    case "create": {
      const parsed = parseDisplayName(field(form, "name"), "token");
      if ("error" in parsed) return refused(parsed.error, 400);
      const access = field(form, "access");
      if (!isTokenAccess(access)) return refused("Choose the token's access.", 400);
      const value = generateSecret(API_TOKEN_PREFIX);
      await createApiToken(context.db, {
        orgId: m.orgId,
        name: parsed.name,
        scopes: [...TOKEN_ACCESS[access]],
        tokenHash: hashSecret(value),
        tokenHint: secretHint(value),
        actor,
      });
      return reply({
        notice: `API token ${parsed.name} created.`,
        secret: { kind: "api_token", name: parsed.name, value },
      });
    }
    case "revoke": {
      const tokenId = field(form, "tokenId");
      if (!isUuid(tokenId)) throw notFound();
      if (!(await revokeApiToken(context.db, { orgId: m.orgId, tokenId, actor }))) throw notFound();
      return reply({ notice: "API token revoked. It no longer works." });
    }
    default:
      return refused("Unknown action.", 400);
  }
}
