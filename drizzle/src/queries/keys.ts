import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens } from "../schema/auth";
import { ingestKeys, projects } from "../schema/projects";

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
