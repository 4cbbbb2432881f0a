import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens, users } from "../schema/auth";
import { ingestKeys, projects } from "../schema/projects";
import { recordAudit } from "./audit";
import type { Actor } from "./orgs";

export interface IngestKeyGrant {
  keyId: string;
  projectId: string;
  orgId: string;
}

/** The project an ingest key (given as its SHA-256 hex) grants, or null when unknown or revoked. */
export async function findIngestKeyGrant(db: Db, keyHash: string): Promise<IngestKeyGrant | null> {
  const rows = await db
    .select({ keyId: ingestKeys.id, projectId: ingestKeys.projectId, orgId: projects.orgId })
    .from(ingestKeys)
    .innerJoin(projects, eq(projects.id, ingestKeys.projectId))
    .where(and(eq(ingestKeys.keyHash, keyHash), isNull(ingestKeys.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

/** Records use of ingest keys, at most once a minute per key so ingest does not write per request. */
export async function touchIngestKey(db: Db, keyId: string, at = new Date()): Promise<void> {
  await db
    .update(ingestKeys)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(ingestKeys.id, keyId),
        sql`(${ingestKeys.lastUsedAt} is null or ${ingestKeys.lastUsedAt} < ${at.toISOString()}::timestamptz - interval '1 minute')`,
      ),
    );
}

export interface ApiTokenGrant {
  tokenId: string;
  orgId: string;
  scopes: string[];
}

/** The organisation and scopes an API token (given as its SHA-256 hex) grants, or null. */
export async function findApiTokenGrant(db: Db, tokenHash: string): Promise<ApiTokenGrant | null> {
  const rows = await db
    .select({ tokenId: apiTokens.id, orgId: apiTokens.orgId, scopes: apiTokens.scopes })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  return rows[0] ?? null;
}

/** An ingest key or API token as listed for people: never the secret, only its hint. */
export interface SecretRow {
  id: string;
  name: string;
  hint: string;
  createdByEmail: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiTokenRow extends SecretRow {
  scopes: string[];
}

/** A project's ingest keys, working ones first, newest first. */
export async function listIngestKeys(db: Db, params: { projectId: string }): Promise<SecretRow[]> {
  return db
    .select({
      id: ingestKeys.id,
      name: ingestKeys.name,
      hint: ingestKeys.keyHint,
      createdByEmail: users.email,
      createdAt: ingestKeys.createdAt,
      lastUsedAt: ingestKeys.lastUsedAt,
      revokedAt: ingestKeys.revokedAt,
    })
    .from(ingestKeys)
    .leftJoin(users, eq(users.id, ingestKeys.createdBy))
    .where(eq(ingestKeys.projectId, params.projectId))
    .orderBy(sql`${ingestKeys.revokedAt} is not null`, desc(ingestKeys.createdAt), desc(ingestKeys.id));
}

/** Stores a new ingest key by its SHA-256 and hint; audit-logged as `ingest_key.created`. */
export async function createIngestKey(
  db: Db,
  params: { orgId: string; projectId: string; name: string; keyHash: string; keyHint: string; actor: Actor },
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(ingestKeys)
      .values({
        projectId: params.projectId,
        name: params.name,
        keyHash: params.keyHash,
        keyHint: params.keyHint,
        createdBy: params.actor.userId,
      })
      .returning({ id: ingestKeys.id });
    if (!row) throw new Error("createIngestKey: insert returned no row");
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "ingest_key.created",
      targetType: "ingest_key",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: { projectId: params.projectId, name: params.name, hint: params.keyHint },
    });
    return row;
  });
}

/**
 * Revokes a project's ingest key (collectors refuse it once their key cache expires); false when
 * the project has no working key with that id. Audit-logged as `ingest_key.revoked`.
 */
export async function revokeIngestKey(
  db: Db,
  params: { orgId: string; projectId: string; keyId: string; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(ingestKeys)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          eq(ingestKeys.id, params.keyId),
          eq(ingestKeys.projectId, params.projectId),
          isNull(ingestKeys.revokedAt),
        ),
      )
      .returning({ id: ingestKeys.id, name: ingestKeys.name, hint: ingestKeys.keyHint });
    if (!row) return false;
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "ingest_key.revoked",
      targetType: "ingest_key",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: { projectId: params.projectId, name: row.name, hint: row.hint },
    });
    return true;
  });
}

/** An organisation's API tokens, working ones first, newest first. */
export async function listApiTokens(db: Db, params: { orgId: string }): Promise<ApiTokenRow[]> {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      hint: apiTokens.tokenHint,
      scopes: apiTokens.scopes,
      createdByEmail: users.email,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.createdBy))
    .where(eq(apiTokens.orgId, params.orgId))
    .orderBy(sql`${apiTokens.revokedAt} is not null`, desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** Stores a new API token by its SHA-256 and hint; audit-logged as `api_token.created`. */
export async function createApiToken(
  db: Db,
  params: {
    orgId: string;
    name: string;
    scopes: string[];
    tokenHash: string;
    tokenHint: string;
    actor: Actor;
  },
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        orgId: params.orgId,
        name: params.name,
        scopes: params.scopes,
        tokenHash: params.tokenHash,
        tokenHint: params.tokenHint,
        createdBy: params.actor.userId,
      })
      .returning({ id: apiTokens.id });
    if (!row) throw new Error("createApiToken: insert returned no row");
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "api_token.created",
      targetType: "api_token",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: { name: params.name, scopes: params.scopes, hint: params.tokenHint },
    });
    return row;
  });
}

/** Revokes an organisation's API token at once; false when it has no working token with that id. */
export async function revokeApiToken(
  db: Db,
  params: { orgId: string; tokenId: string; actor: Actor },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(
        and(eq(apiTokens.id, params.tokenId), eq(apiTokens.orgId, params.orgId), isNull(apiTokens.revokedAt)),
      )
      .returning({ id: apiTokens.id, name: apiTokens.name, hint: apiTokens.tokenHint });
    if (!row) return false;
    await recordAudit(tx, {
      orgId: params.orgId,
      actorType: "user",
      actorUserId: params.actor.userId,
      action: "api_token.revoked",
      targetType: "api_token",
      targetId: row.id,
      ip: params.actor.ip,
      metadata: { name: row.name, hint: row.hint },
    });
    return true;
  });
}
