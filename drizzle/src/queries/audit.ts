import { and, desc, eq, gte, like, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog } from "../schema/audit";
import { memberships } from "../schema/auth";

export const AUDIT_ACTOR_TYPES = ["user", "api_token", "system"] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export interface AuditEntry {
  orgId: string | null;
  actorType: AuditActorType;
  actorUserId: string | null;
  /** Dotted verb, e.g. `issue.status_changed`. */
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  metadata?: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  id: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
  /**
   * Opaque keyset cursor of this row (`createdAt` to the microsecond, and `id`): pass it as
   * `before` to list the rows after it.
   */
  cursor: string;
}

/** Appends one row to the audit log (call inside the transaction that made the change). */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, metadata: entry.metadata ?? {} });
}

export interface UserAuditEntry {
  userId: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  metadata?: Record<string, unknown>;
  /**
   * When the user belongs to no organisation: false (default) writes one row without one
   * (`orgId` null), true writes nothing.
   */
  onlyWithOrganisation?: boolean;
}

/**
 * Records an event of a user's own account (sign-in, sign-out) in the audit log of every
 * organisation the user belongs to, so each organisation's owners see it; one row per
 * organisation. Returns how many rows were written.
 */
export async function recordUserAudit(db: Db, entry: UserAuditEntry): Promise<number> {
  const orgs = await db
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(eq(memberships.userId, entry.userId));
  const orgIds: (string | null)[] = orgs.map((o) => o.orgId);
  if (orgIds.length === 0) {
    if (entry.onlyWithOrganisation) return 0;
    orgIds.push(null);
  }
  await db.insert(auditLog).values(
    orgIds.map((orgId) => ({
      orgId,
      actorType: "user",
      actorUserId: entry.userId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      ip: entry.ip,
      metadata: entry.metadata ?? {},
    })),
  );
  return orgIds.length;
}

export interface AuditFilter {
  orgId: string;
  /** Only the rows about this target. */
  targetId?: string;
  targetType?: string;
  /** Exact action, e.g. `api_token.revoked`. */
  action?: string;
  /** Actions starting with this text, e.g. `member.` (matched literally, no wildcards). */
  actionPrefix?: string;
  actorUserId?: string;
  actorType?: AuditActorType;
  /** Rows at or after this time. */
  from?: Date;
  /** Rows before this time (exclusive). */
  to?: Date;
}

/** Largest page listAuditLog returns. */
export const MAX_AUDIT_PAGE = 1000;

/** `2026-01-02T03:04:05.123456Z~42`: the row's time to the microsecond and its id. */
const CURSOR_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)~(\d{1,18})$/;

/** Whether `value` is a cursor listAuditLog handed out (anything else must be refused). */
export const isAuditCursor = (value: string) => CURSOR_RE.test(value);

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function filterConditions(f: AuditFilter): (SQL | undefined)[] {
  return [
    eq(auditLog.orgId, f.orgId),
    f.targetId !== undefined ? eq(auditLog.targetId, f.targetId) : undefined,
    f.targetType !== undefined ? eq(auditLog.targetType, f.targetType) : undefined,
    f.action !== undefined ? eq(auditLog.action, f.action) : undefined,
    f.actionPrefix !== undefined ? like(auditLog.action, `${escapeLike(f.actionPrefix)}%`) : undefined,
    f.actorUserId !== undefined ? eq(auditLog.actorUserId, f.actorUserId) : undefined,
    f.actorType !== undefined ? eq(auditLog.actorType, f.actorType) : undefined,
    f.from !== undefined ? gte(auditLog.createdAt, f.from) : undefined,
    f.to !== undefined ? lt(auditLog.createdAt, f.to) : undefined,
  ];
}

/** Appends a row for a person's action in an organisation: `actor` is who, from which address. */
export async function recordUserAction(
  db: Db,
  entry: {
    orgId: string;
    actor: { userId: string; ip: string | null };
    action: string;
    target: { type: string; id: string };
    metadata?: Record<string, unknown>;
  },
): Promise<void> {
  await recordAudit(db, {
    orgId: entry.orgId,
    actorType: "user",
    actorUserId: entry.actor.userId,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    ip: entry.actor.ip,
    metadata: entry.metadata,
  });
}

/**
 * An organisation's audit log, newest first (by time, then id), filtered; `before` (a row's
 * `cursor`) continues after that row. Every value is a bound parameter.
 */
export async function listAuditLog(
  db: Db,
  params: AuditFilter & { before?: string; limit?: number },
): Promise<AuditRow[]> {
  let after: SQL | undefined;
  if (params.before !== undefined) {
    const m = CURSOR_RE.exec(params.before);
    if (!m) throw new RangeError("listAuditLog: malformed cursor");
    // A row value comparison: the same order as ORDER BY below, to the microsecond.
    after = sql`(${auditLog.createdAt}, ${auditLog.id}) < (${m[1]}::timestamptz, ${m[2]}::bigint)`;
  }
  const limit = Math.min(Math.max(1, Math.trunc(params.limit ?? 100)), MAX_AUDIT_PAGE);
  const rows = await db
    .select({
      id: auditLog.id,
      orgId: auditLog.orgId,
      actorType: auditLog.actorType,
      actorUserId: auditLog.actorUserId,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      ip: auditLog.ip,
      metadata: auditLog.metadata,
      createdAt: auditLog.createdAt,
      exactTime: sql<string>`to_char(${auditLog.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(auditLog)
    .where(and(...filterConditions(params), after))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit);
  return rows.map(({ exactTime, ...r }) => ({
    ...r,
    actorType: r.actorType as AuditActorType,
    cursor: `${exactTime}~${r.id}`,
  }));
}
