import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../client";
import { TEST_BACKENDS } from "../testing";
import { recordAudit } from "./audit";
import { createSession } from "./auth";
import { ensureBootstrap } from "./bootstrap";
import { type EvidenceData, gatherEvidence } from "./evidence";
import { type StoreErrorEvent, storeErrorEvents } from "./ingest";
import { acceptInvitation, createInvitation, revokeInvitation } from "./invitations";
import { updateIssueStatus } from "./issues";
import { createApiToken, revokeApiToken } from "./keys";
import { createOrganization, createProject, removeMember } from "./orgs";

const backends = TEST_BACKENDS;

const HOUR = 3_600_000;
const FROM = new Date("2026-03-01T00:00:00.000Z");
const TO = new Date("2026-04-01T00:00:00.000Z");
const HOSTILE_TITLE = `TypeError: <script>alert(1)</script> '); drop table issues; -- ${"x".repeat(300)}`;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

function event(
  fingerprint: string,
  at: string,
  seed: string,
  title = `Error ${fingerprint}`,
): StoreErrorEvent {
  return {
    fingerprint,
    fingerprintVersion: 1,
    title,
    culprit: "handler",
    exceptionType: "Error",
    message: title,
    eventKey: sha(`${fingerprint}-${seed}`).slice(0, 32),
    source: "span_event",
    timestamp: new Date(at),
    traceId: null,
    spanId: null,
    serviceName: "api",
    serviceVersion: "1.0.0",
    environment: "production",
    stacktrace: null,
    frames: [],
    attributes: {},
    resource: {},
    span: null,
    userDigest: null,
  };
}

for (const backend of backends) {
  describe(`gatherEvidence on ${backend.name}`, () => {
    let handle: DbHandle;
    let close: () => Promise<void>;
    let orgId: string;
    let adminUserId: string;
    let data: EvidenceData;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      ({ handle, close } = await backend.open());
      const db = handle.db;
      const boot = await ensureBootstrap(db, { adminEmail: "admin@example.com" });
      orgId = boot.orgId;
      adminUserId = boot.adminUserId;
      const admin = { userId: adminUserId, ip: "203.0.113.7" };
      const user = { type: "user" as const, userId: adminUserId };

      // Every timestamp the database would set to now() is moved to the scenario's time.
      // audit_log is append-only (a trigger): this scenario set-up moves a row's time with triggers off
      // for its transaction (a superuser's session_replication_role), as no application role can.
      const lastAuditAt = (at: string) =>
        db.transaction(async (tx) => {
          await tx.execute(sql`set local session_replication_role = replica`);
          await tx.execute(
            sql`update audit_log set created_at = ${at}::timestamptz where id = (select max(id) from audit_log)`,
          );
        });
      const ingest = async (fingerprint: string, at: string, seed: string, title?: string) => {
        const r = await storeErrorEvents(db, {
          projectId: boot.projectId,
          events: [event(fingerprint, at, seed, title)],
        });
        await db.execute(sql`update events set received_at = timestamp`);
        return r;
      };
      const newIssue = async (name: string, createdAt: string, title?: string) => {
        const r = await ingest(name, createdAt, "first", title);
        const id = r.newIssues[0]!.id;
        await db.execute(
          sql`update issues set created_at = ${createdAt}::timestamptz where id = ${id}::uuid`,
        );
        ids[name] = id;
        return id;
      };
      const setStatus = async (name: string, status: "resolved" | "ignored" | "unresolved", at: string) => {
        await updateIssueStatus(db, {
          issueId: ids[name]!,
          scope: { orgId },
          status,
          actor: user,
          ip: admin.ip,
        });
        await lastAuditAt(at);
      };

      // New issues in the period.
      await newIssue("N1", "2026-03-02T00:00:00Z", HOSTILE_TITLE);
      await setStatus("N1", "resolved", "2026-03-02T02:00:00Z"); // ack 2 h, resolved 2 h
      await newIssue("N2", "2026-03-03T00:00:00Z");
      await setStatus("N2", "ignored", "2026-03-03T01:00:00Z"); // ack 1 h
      await setStatus("N2", "unresolved", "2026-03-04T00:00:00Z");
      await setStatus("N2", "resolved", "2026-03-05T00:00:00Z"); // resolved 48 h
      await newIssue("N3", "2026-03-10T00:00:00Z"); // untouched, open at the end (22 days)
      await newIssue("N4", "2026-03-31T20:00:00Z"); // open at the end (4 h); resolved after it
      await setStatus("N4", "resolved", "2026-04-01T05:00:00Z");
      await newIssue("N5", "2026-03-28T00:00:00Z"); // untouched, open at the end (4 days)

      // R1: created before the period, resolved in February, regressed by an event on 15 March,
      // resolved 3 h later.
      await newIssue("R1", "2026-01-10T00:00:00Z");
      await setStatus("R1", "resolved", "2026-02-01T00:00:00Z");
      const r1 = await ingest("R1", "2026-03-15T00:00:00Z", "again");
      expect(r1.regressedIssues.map((r) => r.id)).toEqual([ids.R1]);
      await setStatus("R1", "resolved", "2026-03-15T03:00:00Z");

      // R2: resolved on 20 March, regressed by an event whose body has since expired (only the
      // hourly counter tells when); still regressed, never acknowledged.
      await newIssue("R2", "2025-12-01T00:00:00Z");
      await setStatus("R2", "resolved", "2026-03-20T00:00:00Z");
      const r2 = await ingest("R2", "2026-03-21T05:30:00Z", "again");
      expect(r2.regressedIssues.map((r) => r.id)).toEqual([ids.R2]);
      await db.execute(sql`delete from events where issue_id = ${ids.R2}::uuid`);

      // Another organisation, with an issue and access changes in the period: none may show.
      const outsider = await acceptOutsider();
      async function acceptOutsider() {
        await createInvitation(db, {
          orgId,
          email: "temp@example.com",
          role: "member",
          tokenHash: sha("invite-temp"),
          expiresAt: new Date(Date.now() + 86_400_000),
          actor: admin,
        });
        await lastAuditAt("2026-03-07T00:00:00Z");
        const accepted = await acceptInvitation(db, {
          tokenHash: sha("invite-temp"),
          signedInUserId: null,
          ip: "198.51.100.9",
        });
        if (accepted.status !== "accepted") throw new Error("invitation not accepted");
        await lastAuditAt("2026-03-07T01:00:00Z");
        return accepted.user.id;
      }
      ids.temp = outsider;
      const tempSession = await createSession(db, {
        userId: outsider,
        tokenHash: sha("session-temp"),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      await db.execute(
        sql`update sessions set created_at = '2026-03-08T12:00:00Z' where id = ${tempSession.id}::uuid`,
      );
      await removeMember(db, { orgId, userId: outsider, actor: admin });
      await lastAuditAt("2026-03-09T00:00:00Z");

      const other = await createOrganization(db, { name: "Other", actor: { userId: outsider, ip: null } });
      await lastAuditAt("2026-03-05T00:00:00Z");
      const otherProject = await createProject(db, {
        orgId: other.id,
        name: "web",
        actor: { userId: outsider, ip: null },
      });
      await lastAuditAt("2026-03-05T00:01:00Z");
      const o = await storeErrorEvents(db, {
        projectId: otherProject.id,
        events: [event("other", "2026-03-05T00:00:00Z", "1")],
      });
      await db.execute(
        sql`update issues set created_at = '2026-03-05T00:00:00Z' where id = ${o.newIssues[0]!.id}::uuid`,
      );

      // Access changes of this organisation.
      const before = await createApiToken(db, {
        orgId,
        name: "old",
        scopes: ["read"],
        tokenHash: sha("old"),
        tokenHint: "cw_…old",
        actor: admin,
      });
      await lastAuditAt("2026-02-15T00:00:00Z"); // before the period
      expect(before.id).toBeTruthy();
      const token = await createApiToken(db, {
        orgId,
        name: "ci deploys",
        scopes: ["read", "write"],
        tokenHash: sha("ci"),
        tokenHint: "cw_…9f2c",
        actor: admin,
      });
      await lastAuditAt("2026-03-05T10:00:00Z");
      await revokeApiToken(db, { orgId, tokenId: token.id, actor: admin });
      await lastAuditAt("2026-03-06T10:00:00Z");
      const invited = await createInvitation(db, {
        orgId,
        email: "Someone@Example.com",
        role: "owner",
        tokenHash: sha("invite-someone"),
        expiresAt: new Date(Date.now() + 86_400_000),
        actor: admin,
      });
      await lastAuditAt("2026-03-11T00:00:00Z");
      if (invited.status !== "created") throw new Error("invitation not created");
      await revokeInvitation(db, { orgId, invitationId: invited.id, actor: admin });
      await lastAuditAt("2026-03-11T01:00:00Z");
      await recordAudit(db, {
        orgId: null,
        actorType: "user",
        actorUserId: adminUserId,
        action: "user.signed_out_everywhere",
        targetType: "user",
        targetId: adminUserId,
        ip: "203.0.113.8",
        metadata: { sessions: 3 },
      });
      await lastAuditAt("2026-03-12T00:00:00Z");
      for (const [seed, at] of [
        ["s-in", "2026-03-08T00:00:00Z"],
        ["s-before", "2026-02-27T00:00:00Z"],
        ["s-after", "2026-04-01T00:00:00Z"],
      ] as const) {
        const s = await createSession(db, {
          userId: adminUserId,
          tokenHash: sha(seed),
          expiresAt: new Date(Date.now() + 86_400_000),
        });
        await db.execute(sql`update sessions set created_at = ${at}::timestamptz where id = ${s.id}::uuid`);
      }
      // The outsider's own organisation's audit rows were moved into the period above; its
      // later sign-in (no longer a member, removed before the period) must not show either.

      data = await gatherEvidence(db, {
        orgId,
        from: FROM,
        to: TO,
        generatedAt: new Date("2026-04-01T06:00:00Z"),
        alertDeliveries: [
          {
            channel: "email",
            destination: "oncall@example.com",
            delivered: 4,
            failed: 1,
            lastFailureAt: null,
            lastError: null,
          },
        ],
      });
    });

    afterAll(async () => {
      await close?.();
    });

    it("names the organisation, the period and its projects", () => {
      expect(data.organization).toMatchObject({ id: orgId, name: "Default" });
      expect(data.period).toEqual({ from: FROM, to: TO });
      expect(data.generatedAt.toISOString()).toBe("2026-04-01T06:00:00.000Z");
      expect(data.projects.map((p) => p.slug)).toEqual(["default"]);
    });

    it("counts new issues and regressions detected in the period, of this organisation only", () => {
      expect(data.incidents).toMatchObject({ total: 7, newIssues: 5, regressions: 2 });
      const listed = data.incidents.listed.map((i) => [
        Object.entries(ids).find(([, id]) => id === i.issueId)?.[0],
        i.kind,
        i.detectedAt.toISOString(),
        i.approximate,
      ]);
      expect(listed).toEqual([
        ["N1", "new", "2026-03-02T00:00:00.000Z", false],
        ["N2", "new", "2026-03-03T00:00:00.000Z", false],
        ["N3", "new", "2026-03-10T00:00:00.000Z", false],
        ["R1", "regression", "2026-03-15T00:00:00.000Z", false],
        ["R2", "regression", "2026-03-21T05:00:00.000Z", true],
        ["N5", "new", "2026-03-28T00:00:00.000Z", false],
        ["N4", "new", "2026-03-31T20:00:00.000Z", false],
      ]);
      expect(data.incidents.listed[0]!.title).toBe(HOSTILE_TITLE);
    });

    it("measures acknowledgement and resolution up to the end of the period (median, p90)", () => {
      // Acknowledged: N2 1 h, N1 2 h, R1 3 h; N3, N4 (after the period), N5, R2 pending.
      expect(data.timeToAcknowledge).toMatchObject({ measured: 3, pending: 4 });
      expect(data.timeToAcknowledge.medianMs).toBeCloseTo(2 * HOUR, 3);
      expect(data.timeToAcknowledge.p90Ms).toBeCloseTo(2.8 * HOUR, 3);
      // Resolved: N1 2 h, R1 3 h, N2 48 h.
      expect(data.timeToResolve).toMatchObject({ measured: 3, pending: 4 });
      expect(data.timeToResolve.medianMs).toBeCloseTo(3 * HOUR, 3);
      expect(data.timeToResolve.p90Ms).toBeCloseTo(39 * HOUR, 3);
    });

    it("buckets the issues open at the end of the period by age", () => {
      expect(data.openIssues.total).toBe(4);
      expect(data.openIssues.byAge).toEqual([
        { label: "< 1 day", count: 1 },
        { label: "1-7 days", count: 1 },
        { label: "7-30 days", count: 1 },
        { label: "> 30 days", count: 1 },
      ]);
      expect(data.openIssues.oldest.map((i) => [i.issueId, i.status])).toEqual([
        [ids.R2, "regressed"],
        [ids.N3, "unresolved"],
        [ids.N5, "unresolved"],
        [ids.N4, "unresolved"],
      ]);
    });

    it("lists access changes with who, when and from where", () => {
      const rows = data.accessChanges.listed.map((c) => [
        c.at.toISOString(),
        c.action,
        c.actor,
        c.target,
        c.ip,
      ]);
      expect(rows).toEqual([
        [
          "2026-03-05T10:00:00.000Z",
          "api_token.created",
          "admin@example.com",
          'api_token "ci deploys" (cw_…9f2c)',
          "203.0.113.7",
        ],
        [
          "2026-03-06T10:00:00.000Z",
          "api_token.revoked",
          "admin@example.com",
          'api_token "ci deploys" (cw_…9f2c)',
          "203.0.113.7",
        ],
        [
          "2026-03-07T00:00:00.000Z",
          "member.invited",
          "admin@example.com",
          "temp@example.com (member)",
          "203.0.113.7",
        ],
        [
          "2026-03-07T01:00:00.000Z",
          "invitation.accepted",
          "temp@example.com",
          "temp@example.com (member)",
          "198.51.100.9",
        ],
        ["2026-03-08T00:00:00.000Z", "user.signed_in", "admin@example.com", "admin@example.com", null],
        ["2026-03-08T12:00:00.000Z", "user.signed_in", "temp@example.com", "temp@example.com", null],
        [
          "2026-03-09T00:00:00.000Z",
          "member.removed",
          "admin@example.com",
          "temp@example.com (member)",
          "203.0.113.7",
        ],
        [
          "2026-03-11T00:00:00.000Z",
          "member.invited",
          "admin@example.com",
          "someone@example.com (owner)",
          "203.0.113.7",
        ],
        [
          "2026-03-11T01:00:00.000Z",
          "invitation.revoked",
          "admin@example.com",
          "someone@example.com",
          "203.0.113.7",
        ],
        [
          "2026-03-12T00:00:00.000Z",
          "user.signed_out_everywhere",
          "admin@example.com",
          "3 session(s) revoked",
          "203.0.113.8",
        ],
      ]);
      expect(data.accessChanges.total).toBe(10);
    });

    it("passes alert deliveries through and states its method", () => {
      expect(data.alertDeliveries).toEqual([
        {
          channel: "email",
          destination: "oncall@example.com",
          delivered: 4,
          failed: 1,
          lastFailureAt: null,
          lastError: null,
        },
      ]);
      expect(data.notes.length).toBeGreaterThan(0);
    });

    it("refuses an empty period and an unknown organisation", async () => {
      await expect(gatherEvidence(handle.db, { orgId, from: TO, to: FROM })).rejects.toThrow(RangeError);
      await expect(
        gatherEvidence(handle.db, { orgId: "00000000-0000-4000-8000-000000000000", from: FROM, to: TO }),
      ).rejects.toThrow(/no organisation/);
    });
  });
}
