import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEvidenceReport,
  ensureBootstrap,
  getEvidenceReport,
  listAuditLog,
  listEvidenceReports,
} from "@codewarden/drizzle";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../drizzle/src/testing";
import { failEvidenceReport, generateEvidenceReport, scheduleMonthlyReports } from "./generate-report";
import { EVIDENCE_SECTIONS } from "./render-pdf";
import { type LocalS3, startLocalS3 } from "./s3-test-server";
import { createLocalReportStorage, createS3ReportStorage, type ReportStorage } from "./storage";

const logger = pino({ level: "silent" });
let database: TestDatabase;
let dir: string;
let storage: ReportStorage;
let orgId: string;
let adminUserId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const boot = await ensureBootstrap(database.handle.db, { adminEmail: "admin@example.com" });
  orgId = boot.orgId;
  adminUserId = boot.adminUserId;
  dir = mkdtempSync(join(tmpdir(), "cw-evidence-"));
  storage = createLocalReportStorage({ kind: "local", dir });
});

afterAll(async () => {
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("evidence reports, generated", () => {
  it("an on-demand report is stored with its SHA-256 recorded, and audit-logged", async () => {
    const db = database.handle.db;
    const report = await createEvidenceReport(db, {
      orgId,
      periodStart: new Date("2026-11-01T00:00:00Z"),
      periodEnd: new Date("2026-12-01T00:00:00Z"),
      scheduled: false,
      requestedBy: { userId: adminUserId, ip: "198.51.100.4" },
    });
    expect(report?.status).toBe("pending");

    expect(await generateEvidenceReport({ db, storage, logger }, report!.id)).toBe("ready");
    // A retried job finds it done and leaves it alone.
    expect(await generateEvidenceReport({ db, storage, logger }, report!.id)).toBe("already-done");

    const row = await getEvidenceReport(db, { orgId, reportId: report!.id });
    expect(row).toMatchObject({ status: "ready", storageKey: `orgs/${orgId}/evidence/${report!.id}.pdf` });
    const stored = await storage.get(row!.storageKey!);
    expect(stored?.contentType).toBe("application/pdf");
    const bytes = Buffer.from(stored!.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(row!.sha256);
    expect(bytes.byteLength).toBe(row!.byteSize);

    // A real PDF: poppler reads it, with the report's sections.
    const file = join(dir, "check.pdf");
    writeFileSync(file, bytes);
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
    for (const heading of [EVIDENCE_SECTIONS.summary, EVIDENCE_SECTIONS.access])
      expect(text).toContain(heading);
    expect(text).toContain(report!.id);
    const info = execFileSync("pdfinfo", [file], { encoding: "utf8" });
    expect(info).toMatch(new RegExp(`Pages:\\s+${row!.pages}\\n`));

    const audit = await listAuditLog(db, { orgId, targetId: report!.id });
    expect(audit.map((a) => a.action).sort()).toEqual([
      "evidence_report.generated",
      "evidence_report.requested",
    ]);
    expect(audit.find((a) => a.action === "evidence_report.requested")).toMatchObject({
      actorType: "user",
      actorUserId: adminUserId,
      ip: "198.51.100.4",
    });
  });

  it("the monthly schedule makes one report per organisation and month, however often it runs", async () => {
    const db = database.handle.db;
    const now = () => new Date("2026-12-01T02:00:00Z");
    const first = await scheduleMonthlyReports({ db, now });
    expect(first).toHaveLength(1);
    expect(await scheduleMonthlyReports({ db, now })).toEqual([]);
    const row = await getEvidenceReport(db, { orgId, reportId: first[0]! });
    expect(row).toMatchObject({
      scheduled: true,
      requestedBy: null,
      periodStart: new Date("2026-11-01T00:00:00Z"),
      periodEnd: new Date("2026-12-01T00:00:00Z"),
    });
    // An on-demand report of the same month is still possible.
    const manual = await createEvidenceReport(db, {
      orgId,
      periodStart: row!.periodStart,
      periodEnd: row!.periodEnd,
      scheduled: false,
      requestedBy: { userId: adminUserId, ip: null },
    });
    expect(manual).not.toBeNull();
    const listed = await listEvidenceReports(db, { orgId });
    expect(listed.map((r) => r.id)).toContain(first[0]);
  });

  it("a report that failed for good shows the error; an inverted period is refused", async () => {
    const db = database.handle.db;
    const report = await createEvidenceReport(db, {
      orgId,
      periodStart: new Date("2026-10-01T00:00:00Z"),
      periodEnd: new Date("2026-11-01T00:00:00Z"),
      scheduled: false,
    });
    await failEvidenceReport(db, report!.id, new Error(`storage down ${"x".repeat(1000)}`));
    const row = await getEvidenceReport(db, { orgId, reportId: report!.id });
    expect(row?.status).toBe("failed");
    expect(row?.error?.startsWith("Error: storage down")).toBe(true);
    expect(row?.error?.length).toBeLessThanOrEqual(500);
    expect(await generateEvidenceReport({ db, storage, logger }, report!.id)).toBe("already-done");
    await expect(
      createEvidenceReport(db, {
        orgId,
        periodStart: new Date("2026-11-01T00:00:00Z"),
        periodEnd: new Date("2026-10-01T00:00:00Z"),
        scheduled: false,
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe("evidence reports, stored in an S3-compatible bucket", () => {
  let s3: LocalS3;
  let bucket: ReportStorage;

  beforeAll(async () => {
    s3 = await startLocalS3("cw-evidence");
    bucket = createS3ReportStorage(s3.config());
  });
  afterAll(async () => {
    await s3?.close();
  });

  it("the bytes read back from the bucket have the SHA-256 and size recorded in the database", async () => {
    const db = database.handle.db;
    const report = await createEvidenceReport(db, {
      orgId,
      periodStart: new Date("2026-09-01T00:00:00Z"),
      periodEnd: new Date("2026-10-01T00:00:00Z"),
      scheduled: false,
      requestedBy: { userId: adminUserId, ip: null },
    });
    expect(await generateEvidenceReport({ db, storage: bucket, logger }, report!.id)).toBe("ready");

    const row = await getEvidenceReport(db, { orgId, reportId: report!.id });
    expect(row).toMatchObject({ status: "ready", storageKey: `orgs/${orgId}/evidence/${report!.id}.pdf` });
    expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Read back over the S3 API by a client of its own, not the one that wrote it.
    const reader = createS3ReportStorage(s3.config());
    const stored = await reader.get(row!.storageKey!);
    expect(stored?.contentType).toBe("application/pdf");
    const bytes = Buffer.from(stored!.bytes);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(bytes.byteLength).toBe(row!.byteSize);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(row!.sha256);
    // Nothing was written to the local folder of the other tests.
    expect(await storage.get(row!.storageKey!)).toBeNull();
  });
});
