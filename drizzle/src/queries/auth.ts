import { and, asc, count, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens, magicLinks, memberships, organizations, sessions, users } from "../schema/auth";

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
}

/** The user with this email (compared lower-cased), or null. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const rows = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()))
    .limit(1);
  return rows[0] ?? null;
}

/** The addresses of these users (ids not found are left out). */
export async function findUserEmails(db: Db, params: { userIds: string[] }): Promise<Map<string, string>> {
  if (params.userIds.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(inArray(users.id, params.userIds));
  return new Map(rows.map((r) => [r.id, r.email]));
}

/**
 * The user with this email, created when there is none yet (an invitation accepted by someone
 * without an account). Safe under concurrency: the address is unique.
 */
export async function ensureUser(db: Db, params: { email: string }): Promise<UserRow> {
  const email = params.email.trim().toLowerCase();
  await db.insert(users).values({ email }).onConflictDoNothing({ target: users.email });
  const user = await findUserByEmail(db, email);
  if (!user) throw new Error("ensureUser: user missing after insert");
  return user;
}

/** Stores a sign-in link by the SHA-256 of its token. */
export async function createMagicLink(
  db: Db,
  params: { email: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.insert(magicLinks).values({
    email: params.email.trim().toLowerCase(),
    tokenHash: params.tokenHash,
    expiresAt: params.expiresAt,
  });
}

/**
 * Marks an unexpired, unused link as used, atomically (one conditional UPDATE), and returns the
 * user it signs in; null when the link is unknown, used, expired, or its user no longer exists.
 */
export async function consumeMagicLink(
  db: Db,
  params: { tokenHash: string; now?: Date },
): Promise<UserRow | null> {
  const now = params.now ?? new Date();
  const used = await db
    .update(magicLinks)
    .set({ usedAt: now })
    .where(
      and(
        eq(magicLinks.tokenHash, params.tokenHash),
        isNull(magicLinks.usedAt),
        gt(magicLinks.expiresAt, now),
      ),
    )
    .returning({ email: magicLinks.email });
  const email = used[0]?.email;
  return email ? findUserByEmail(db, email) : null;
}

/**
 * The user a stored sign-in link was sent to, whatever its state (used, expired), for auditing a
 * failed sign-in; null when no link has this token hash or its user no longer exists.
 */
export async function findMagicLinkUser(db: Db, params: { tokenHash: string }): Promise<UserRow | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(magicLinks)
    .innerJoin(users, eq(users.email, magicLinks.email))
    .where(eq(magicLinks.tokenHash, params.tokenHash))
    .limit(1);
  return row ?? null;
}

/** Creates a server-side session; the caller keeps the token, the table only its SHA-256. */
export async function createSession(
  db: Db,
  params: { userId: string; tokenHash: string; expiresAt: Date },
): Promise<{ id: string }> {
  const [row] = await db.insert(sessions).values(params).returning({ id: sessions.id });
  if (!row) throw new Error("createSession: insert returned no row");
  return row;
}

export interface SessionRow {
  sessionId: string;
  userId: string;
  email: string;
  expiresAt: Date;
}

/** The live (unexpired, unrevoked) session with this token hash, with its user; or null. */
export async function findSession(
  db: Db,
  params: { tokenHash: string; now?: Date },
): Promise<SessionRow | null> {
  const rows = await db
    .select({ sessionId: sessions.id, userId: users.id, email: users.email, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.tokenHash, params.tokenHash),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, params.now ?? new Date()),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** Revokes a session (idempotent). */
export async function revokeSession(db: Db, params: { sessionId: string }): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(sessions.id, params.sessionId), isNull(sessions.revokedAt)));
}

/**
 * "Sign out everywhere": revokes every live session of the user and voids the sign-in links not
 * used yet, in one transaction. Returns how many sessions were revoked.
 */
export async function revokeAllSessions(db: Db, params: { userId: string }): Promise<number> {
  return db.transaction(async (tx) => {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.userId, params.userId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    await tx
      .update(magicLinks)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          isNull(magicLinks.usedAt),
          inArray(
            magicLinks.email,
            tx.select({ email: users.email }).from(users).where(eq(users.id, params.userId)),
          ),
        ),
      );
    return revoked.length;
  });
}

/** Live (unexpired, unrevoked) sessions of a user. */
export async function countActiveSessions(db: Db, params: { userId: string; now?: Date }): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, params.userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, params.now ?? new Date()),
      ),
    );
  return Number(row?.n ?? 0);
}

export interface OrganizationMembershipRow {
  orgId: string;
  name: string;
  slug: string;
  role: "owner" | "member";
}

/** The organisations a user belongs to, in the order they joined. */
export async function listUserOrganizations(
  db: Db,
  params: { userId: string },
): Promise<OrganizationMembershipRow[]> {
  return db
    .select({
      orgId: organizations.id,
      name: organizations.name,
      slug: organizations.slug,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, params.userId))
    .orderBy(asc(memberships.createdAt), asc(organizations.id));
}

/**
 * Records use of an API token, at most once a minute per token so reads do not write per request.
 * (The time goes into raw SQL as ISO text: postgres.js cannot bind a Date in a `sql` template.)
 */
export async function touchApiToken(db: Db, tokenId: string, at = new Date()): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(apiTokens.id, tokenId),
        sql`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < ${at.toISOString()}::timestamptz - interval '1 minute')`,
      ),
    );
}
