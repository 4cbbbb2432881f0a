import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog } from "../schema/audit";

export interface AuditEntry {
  orgId: string | null;
  actorType: "user" | "api_token" | "system";
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
}

/** Appends one row to the audit log (call inside the transaction that made the change). */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, metadata: entry.metadata ?? {} });
}

/** An organisation's audit log, newest first; optionally only the rows about one target. */
export async function listAuditLog(
  db: Db,
  params: { orgId: string; targetId?: string; limit?: number },
): Promise<AuditRow[]> {
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
    })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.orgId, params.orgId),
        params.targetId !== undefined ? eq(auditLog.targetId, params.targetId) : undefined,
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(params.limit ?? 100);
  return rows.map((r) => ({ ...r, actorType: r.actorType as AuditEntry["actorType"] }));
}
