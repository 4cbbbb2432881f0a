import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReportQueue, ReportReader } from "@codewarden/common";
import { type Db, getEvidenceReport, listAuditLog, listEvidenceReports } from "@codewarden/drizzle";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, signedIn } from "./accounts-helpers";
import { seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

/**
 * The worker's report runner and storage, loaded through non-literal specifiers: a static import
 * would make the web TypeScript program (DOM typings) type-check the worker's sources.
 */
const WORKER: string = "../../worker/src/index.ts";
interface WorkerModule {
  createLocalReportStorage(config: { kind: "local"; dir: string }): ReportReader;
  startInProcessReports(
    deps: { db: Db; storage: ReportReader; logger: pino.Logger },
    opts?: { firstCheckMs?: number },
  ): { queue: ReportQueue; close(): Promise<void> };
}

const EVIDENCE = "/settings/orgs/default/evidence";
const logger = pino({ level: "silent" });

let t: TestWeb;
let bare: TestWeb;
let dir: string;
let runner: { queue: ReportQueue; close(): Promise<void> } | null = null;
let storage: ReportReader;
let owner: Client;
let member: Client;
let other: Client;
let otherSlug: string;

beforeAll(async () => {
  const worker = (await import(WORKER)) as WorkerModule;
  dir = mkdtempSync(join(tmpdir(), "cw-web-evidence-"));
  const local = worker.createLocalReportStorage({ kind: "local", dir });
  // The local folder, and (when a test sets it) the signing of an S3-like bucket.
  storage = { get: (key) => local.get(key) };
  t = await startTestWeb(
    {},
    {
      reports: (db) => {
        // No scheduled check during the test: only reports the page asks for are generated.
        runner = worker.startInProcessReports({ db, storage: local, logger }, { firstCheckMs: 3600_000 });
        return { queue: runner.queue, storage };
      },
    },
  );
  // The same app without report generation.
  bare = await startTestWeb();
  owner = await signedIn(t);
  await seedMember(t.db, t.boot.orgId, "evidence-member@example.com");
  member = await signedIn(t, "evidence-member@example.com");
  const o = await seedOtherOrg(t.db);
  other = await signedIn(t, o.email);
  otherSlug = (await (await other.get("/settings")).text()).match(/\/settings\/orgs\/(other-[a-z0-9]+)/)![1]!;
});

afterAll(async () => {
  await runner?.close();
  await t?.close();
  await bare?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Last month, UTC (the form's default). */
function lastMonth(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/** The report's row once it is no longer pending (bounded wait). */
async function settled(reportId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await getEvidenceReport(t.db, { orgId: t.boot.orgId, reportId });
    if (row && row.status !== "pending") return row;
    if (Date.now() > deadline) throw new Error(`report ${reportId} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Evidence settings page", () => {
  let reportId: string;
  let sha: string;

  it("owners see the tab and the form, defaulting to last month", async () => {
    const res = await owner.get(EVIDENCE);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`href="${EVIDENCE}"`);
    expect(html).toContain("No reports yet.");
    expect(html).toContain(`value="${lastMonth()}"`);
    expect(html).toContain("Generate report");
    expect(html).not.toContain("not configured");
  });

  it("an owner generates a report: it becomes ready, and the page shows its SHA-256", async () => {
    const res = await owner.post(EVIDENCE, { intent: "generate", month: lastMonth() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Report for ${lastMonth()} requested.`);
    const [row] = await listEvidenceReports(t.db, { orgId: t.boot.orgId });
    expect(row).toMatchObject({ scheduled: false, requestedBy: t.boot.adminUserId });
    reportId = row!.id;
    const ready = await settled(reportId);
    expect(ready.status).toBe("ready");

    const html = await (await owner.get(EVIDENCE)).text();
    const shown = /title="([0-9a-f]{64})" data-sha256="[0-9a-f]{64}">([0-9a-f]{12})(?:<!-- -->)?…/.exec(html);
    expect(shown).not.toBeNull();
    sha = shown![1]!;
    expect(shown![2]).toBe(sha.slice(0, 12));
    expect(html).toContain(`href="${EVIDENCE}/${reportId}/download"`);
    expect(html).toContain(lastMonth());
    expect(html).toContain("admin@localhost");
  });

  it("the owner downloads the PDF: its SHA-256 is the one on the page; the download is audit-logged", async () => {
    const res = await owner.get(`${EVIDENCE}/${reportId}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="codewarden-evidence-default-${lastMonth()}.pdf"`,
    );
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    // Set by the route and by the server's security headers alike (as for audit.csv).
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha);

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: reportId });
    expect(audit.map((a) => a.action).sort()).toEqual([
      "evidence_report.downloaded",
      "evidence_report.generated",
      "evidence_report.requested",
    ]);
    for (const action of ["evidence_report.requested", "evidence_report.downloaded"])
      expect(audit.find((a) => a.action === action)).toMatchObject({
        actorType: "user",
        actorUserId: t.boot.adminUserId,
        ip: "127.0.0.1",
      });
  });

  it("members get 403 on the page, the form and the download; they do not see the tab", async () => {
    expect((await member.get(EVIDENCE)).status).toBe(403);
    expect((await member.post(EVIDENCE, { intent: "generate", month: lastMonth() })).status).toBe(403);
    expect((await member.get(`${EVIDENCE}/${reportId}/download`)).status).toBe(403);
    const members = await (await member.get("/settings/orgs/default")).text();
    expect(members).not.toContain(`href="${EVIDENCE}"`);
  });

  it("another organisation's owner gets 404, and cannot reach the report through their own org", async () => {
    expect((await other.get(EVIDENCE)).status).toBe(404);
    expect((await other.post(EVIDENCE, { intent: "generate", month: lastMonth() })).status).toBe(404);
    expect((await other.get(`${EVIDENCE}/${reportId}/download`)).status).toBe(404);
    // Their own evidence page works; this org's report id is not found there.
    expect((await other.get(`/settings/orgs/${otherSlug}/evidence`)).status).toBe(200);
    expect((await other.get(`/settings/orgs/${otherSlug}/evidence/${reportId}/download`)).status).toBe(404);
  });

  it("refuses a missing CSRF token and a month that has not begun", async () => {
    const before = (await listEvidenceReports(t.db, { orgId: t.boot.orgId })).length;
    expect((await owner.postWithoutToken(EVIDENCE, { intent: "generate", month: lastMonth() })).status).toBe(
      403,
    );
    expect((await owner.post(EVIDENCE, { intent: "generate", month: "2999-01" })).status).toBe(400);
    expect((await owner.post(EVIDENCE, { intent: "generate", month: "last month" })).status).toBe(400);
    expect(await listEvidenceReports(t.db, { orgId: t.boot.orgId })).toHaveLength(before);
  });

  it("with storage that signs URLs, the download redirects to a short-lived URL (audit-logged)", async () => {
    const row = await getEvidenceReport(t.db, { orgId: t.boot.orgId, reportId });
    storage.signedUrl = async (key, ttl) => `https://reports.example/${key}?ttl=${ttl}`;
    try {
      const res = await owner.get(`${EVIDENCE}/${reportId}/download`);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`https://reports.example/${row!.storageKey}?ttl=300`);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect((await member.get(`${EVIDENCE}/${reportId}/download`)).status).toBe(403);
    } finally {
      delete storage.signedUrl;
    }
    const downloads = (await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: reportId })).filter(
      (a) => a.action === "evidence_report.downloaded",
    );
    expect(downloads.map((a) => a.metadata)).toEqual([
      expect.objectContaining({ via: "signed_url" }),
      expect.objectContaining({ via: "app" }),
    ]);
  });

  it("a stored file that no longer matches its SHA-256 is not served", async () => {
    const row = await getEvidenceReport(t.db, { orgId: t.boot.orgId, reportId });
    writeFileSync(join(dir, row!.storageKey!), "%PDF-1.7 tampered");
    const res = await owner.get(`${EVIDENCE}/${reportId}/download`);
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("tampered");
    const downloads = (await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: reportId })).filter(
      (a) => a.action === "evidence_report.downloaded",
    );
    expect(downloads).toHaveLength(2);
  });
});

describe("Evidence page without report generation in this process", () => {
  it("says so and disables the form; a POST is refused", async () => {
    const admin = await signedIn(bare);
    const html = await (await admin.get(EVIDENCE)).text();
    expect(html).toContain("Report generation is not configured in this process.");
    expect(html).toMatch(/<fieldset disabled=""/);
    const res = await admin.post(EVIDENCE, { intent: "generate", month: lastMonth() });
    expect(res.status).toBe(503);
    expect(await listEvidenceReports(bare.db, { orgId: bare.boot.orgId })).toHaveLength(0);
  });
});
