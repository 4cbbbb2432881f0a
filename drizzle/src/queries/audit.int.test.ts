import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Db, type DbHandle, rowsOf } from "../client";
import { auditLog } from "../schema/audit";
import { TEST_BACKENDS } from "../testing";
import { type AuditFilter, isAuditCursor, listAuditLog, recordUserAudit } from "./audit";
import { ensureUser } from "./auth";
import { ensureBootstrap } from "./bootstrap";
import { createOrganization } from "./orgs";

const backends = TEST_BACKENDS;

/**
 * Rows of the seeded log, oldest first: `at` is exact to the microsecond (several rows share a
 * millisecond, two share the same instant, so the id breaks the tie).
 */
const SEED = [
  { at: "2026-03-01T10:00:00.000000Z", action: "member.invited", actor: "admin", target: "invitation" },
  { at: "2026-03-01T10:00:00.000100Z", action: "member.role_changed", actor: "other", target: "user" },
  { at: "2026-03-01T10:00:00.000900Z", action: "api_token.created", actor: "admin", target: "api_token" },
  { at: "2026-03-02T09:00:00.500000Z", action: "issue.status_changed", actor: "token", target: "issue" },
  { at: "2026-03-02T09:00:00.500000Z", action: "issue.status_changed", actor: "token", target: "issue" },
  { at: "2026-03-03T23:59:59.999999Z", action: "memberless.odd", actor: "system", target: null },
  { at: "2026-03-04T00:00:00.000000Z", action: "user.signed_in", actor: "other", target: "session" },
] as const;

describe.each(backends)("audit log queries on $name", (backend) => {
  let handle: DbHandle;
  let close: () => Promise<void>;
  let db: Db;
  let orgId: string;
  let otherOrgId: string;
  let adminId: string;
  let otherId: string;
  /** Ids of SEED, in SEED order. */
  let ids: number[];

  beforeAll(async () => {
    ({ handle, close } = await backend.open());
    db = handle.db;
    const boot = await ensureBootstrap(db, { adminEmail: "admin@example.com" });
    orgId = boot.orgId;
    adminId = boot.adminUserId;
    otherId = (await ensureUser(db, { email: "other@example.com" })).id;
    otherOrgId = (await createOrganization(db, { name: "Other", actor: { userId: otherId, ip: null } })).id;
    ids = [];
    for (const s of SEED) {
      const [row] = await db
        .insert(auditLog)
        .values({
          orgId,
          actorType: s.actor === "token" ? "api_token" : s.actor === "system" ? "system" : "user",
          actorUserId: s.actor === "admin" ? adminId : s.actor === "other" ? otherId : null,
          action: s.action,
          targetType: s.target,
          targetId: s.target ? `t-${ids.length}` : null,
          ip: "10.0.0.1",
          createdAt: sql`${s.at}::timestamptz`,
        })
        .returning({ id: auditLog.id });
      ids.push(row!.id);
    }
    // Another organisation's row, newer than all of them: never listed for `orgId`.
    await db.insert(auditLog).values({
      orgId: otherOrgId,
      actorType: "user",
      actorUserId: adminId,
      action: "member.invited",
      targetType: "invitation",
      targetId: "theirs",
      ip: null,
    });
  });

  afterAll(async () => {
    await close?.();
  });

  /** SEED indexes of the rows listed, in the order listed. */
  const listed = async (filter: Partial<AuditFilter> & { before?: string; limit?: number }) =>
    (await listAuditLog(db, { orgId, ...filter })).map((r) => ids.indexOf(r.id));

  it("lists newest first, ties broken by id, only the organisation's rows", async () => {
    expect(await listed({})).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it("filters by action prefix (matched literally), exact action, actor, actor type and target type", async () => {
    expect(await listed({ actionPrefix: "member." })).toEqual([1, 0]);
    expect(await listed({ actionPrefix: "member" })).toEqual([5, 1, 0]);
    expect(await listed({ actionPrefix: "m_mber." })).toEqual([]);
    expect(await listed({ actionPrefix: "%" })).toEqual([]);
    expect(await listed({ action: "issue.status_changed" })).toEqual([4, 3]);
    expect(await listed({ action: "issue.status" })).toEqual([]);
    expect(await listed({ actorUserId: otherId })).toEqual([6, 1]);
    expect(await listed({ actorType: "api_token" })).toEqual([4, 3]);
    expect(await listed({ actorType: "system" })).toEqual([5]);
    expect(await listed({ targetType: "session" })).toEqual([6]);
    expect(await listed({ actionPrefix: "member.", actorUserId: adminId })).toEqual([0]);
    expect(await listed({ targetId: "t-2" })).toEqual([2]);
  });

  it("filters by a time range: from included, to excluded", async () => {
    expect(
      await listed({ from: new Date("2026-03-02T00:00:00Z"), to: new Date("2026-03-04T00:00:00Z") }),
    ).toEqual([5, 4, 3]);
    expect(await listed({ from: new Date("2026-03-04T00:00:00Z") })).toEqual([6]);
    expect(await listed({ to: new Date("2026-03-01T10:00:00.001Z") })).toEqual([2, 1, 0]);
  });

  it("pages with the cursor through rows sharing a millisecond or an instant, none lost or repeated", async () => {
    for (const limit of [1, 2, 3]) {
      const seen: number[] = [];
      let before: string | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await listAuditLog(db, { orgId, before, limit });
        if (rows.length === 0) break;
        for (const r of rows) expect(isAuditCursor(r.cursor)).toBe(true);
        seen.push(...rows.map((r) => ids.indexOf(r.id)));
        before = rows.at(-1)!.cursor;
      }
      expect(seen, `limit ${limit}`).toEqual([6, 5, 4, 3, 2, 1, 0]);
    }
    // Cursor and filters together.
    const first = await listAuditLog(db, { orgId, actionPrefix: "member.", limit: 1 });
    expect(await listed({ actionPrefix: "member.", before: first[0]!.cursor })).toEqual([0]);
  });

  it("refuses a malformed cursor rather than guessing", async () => {
    await expect(listAuditLog(db, { orgId, before: "2026-03-01T10:00:00Z~1' or 1=1" })).rejects.toThrow(
      RangeError,
    );
  });

  it("records a user's own events once per organisation, or once without one", async () => {
    const n = await recordUserAudit(db, {
      userId: otherId,
      action: "user.signed_out",
      targetType: "session",
      targetId: "s1",
      ip: "10.0.0.2",
    });
    expect(n).toBe(1); // `other` belongs to Other only
    const theirs = await listAuditLog(db, { orgId: otherOrgId, action: "user.signed_out" });
    expect(theirs).toMatchObject([
      { actorType: "user", actorUserId: otherId, ip: "10.0.0.2", targetId: "s1" },
    ]);
    expect(await listed({ action: "user.signed_out" })).toEqual([]);

    const loner = await ensureUser(db, { email: "loner@example.com" });
    const entry = { userId: loner.id, action: "user.signed_in", targetType: null, targetId: null, ip: null };
    expect(await recordUserAudit(db, { ...entry, onlyWithOrganisation: true })).toBe(0);
    expect(await recordUserAudit(db, entry)).toBe(1);
    const rows = await db.select().from(auditLog).where(sql`${auditLog.actorUserId} = ${loner.id}`);
    expect(rows).toMatchObject([{ orgId: null, action: "user.signed_in" }]);
  });

  it("is append-only: no UPDATE, DELETE or TRUNCATE, while deleting a user or an organisation still works", async () => {
    const count = async () =>
      Number(rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from audit_log`))[0]?.n);
    const before = await count();
    const refused = async (statement: ReturnType<typeof sql>) => {
      const error = await db.execute(statement).then(
        () => null,
        (e: unknown) => e,
      );
      expect(String((error as { cause?: unknown })?.cause ?? error)).toContain("audit_log is append-only");
    };
    await refused(sql`update audit_log set action = 'forged' where org_id = ${orgId}::uuid`);
    await refused(sql`delete from audit_log where org_id = ${orgId}::uuid`);
    await refused(sql`truncate audit_log`);
    expect(await count()).toBe(before);
    expect(
      rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from audit_log where action = 'forged'`),
      )[0]?.n,
    ).toBe(0);

    // Foreign-key actions pass: a deleted user's rows stay, without the user; a deleted organisation's go.
    const otherRows = async () =>
      rowsOf<{ actor_user_id: string | null }>(
        await db.execute(sql`select actor_user_id from audit_log where org_id = ${otherOrgId}::uuid`),
      );
    const rowsBefore = await otherRows();
    expect(rowsBefore.filter((r) => r.actor_user_id === otherId).length).toBeGreaterThan(0);
    await db.execute(sql`delete from memberships where user_id = ${otherId}::uuid`);
    await db.execute(sql`delete from users where id = ${otherId}::uuid`);
    const kept = await otherRows();
    expect(kept).toHaveLength(rowsBefore.length);
    expect(kept.filter((r) => r.actor_user_id === otherId)).toEqual([]);
    await db.execute(sql`delete from organizations where id = ${otherOrgId}::uuid`);
    expect(await otherRows()).toEqual([]);
  });
});
