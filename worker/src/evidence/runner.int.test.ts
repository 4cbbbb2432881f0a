/**
 * The report runners on real Postgres: the in-process one (all-in-one) and BullMQ on real Redis
 * (scale-out, its own queue prefix per test). Reports go to a local folder in a temp dir.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_EVIDENCE_SCHEDULE } from "@codewarden/common";
import {
  createEvidenceReport,
  type EvidenceReportRow,
  ensureBootstrap,
  getEvidenceReport,
  listEvidenceReports,
} from "@codewarden/drizzle";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../drizzle/src/testing";
import {
  createBullmqReportQueue,
  type RunningReports,
  startBullmqReports,
  startInProcessReports,
} from "./runner";
import { createLocalReportStorage, type ReportStorage } from "./storage";

const REDIS_URL = "redis://127.0.0.1:6379";
const logger = pino({ level: "silent" });
let database: TestDatabase;
let dir: string;
let storage: ReportStorage;
let orgId: string;
let adminUserId: string;
const running: Array<{ close(): Promise<void> }> = [];
const prefixes: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const boot = await ensureBootstrap(database.handle.db, { adminEmail: "admin@example.com" });
  orgId = boot.orgId;
  adminUserId = boot.adminUserId;
  dir = mkdtempSync(join(tmpdir(), "cw-evidence-runner-"));
  storage = createLocalReportStorage({ kind: "local", dir });
});

afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

afterAll(async () => {
  if (prefixes.length > 0) {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  }
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let month = 0;
/** An on-demand report of its own month (so tests never share one). */
async function newReport(): Promise<EvidenceReportRow> {
  month++;
  const row = await createEvidenceReport(database.handle.db, {
    orgId,
    periodStart: new Date(Date.UTC(2025, month - 1, 1)),
    periodEnd: new Date(Date.UTC(2025, month, 1)),
    scheduled: false,
    requestedBy: { userId: adminUserId, ip: null },
  });
  return row!;
}

/** The report once it is no longer pending (bounded wait). */
async function settled(reportId: string, timeoutMs = 30_000): Promise<EvidenceReportRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await getEvidenceReport(database.handle.db, { orgId, reportId });
    if (row && row.status !== "pending") return row;
    if (Date.now() > deadline) throw new Error(`report ${reportId} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectStoredPdf(row: EvidenceReportRow): Promise<void> {
  expect(row).toMatchObject({ status: "ready", storageKey: `orgs/${orgId}/evidence/${row.id}.pdf` });
  const stored = await storage.get(row.storageKey!);
  expect(stored?.contentType).toBe("application/pdf");
  expect(Buffer.from(stored!.bytes).subarray(0, 5).toString("latin1")).toBe("%PDF-");
  expect(createHash("sha256").update(stored!.bytes).digest("hex")).toBe(row.sha256);
}

/** Storage that is down: every put fails (a test double of the storage service). */
function downStorage(): ReportStorage & { puts: number } {
  const s = {
    kind: "local" as const,
    puts: 0,
    async put() {
      s.puts++;
      throw new Error("bucket unavailable");
    },
    async get() {
      return null;
    },
  };
  return s;
}

describe("in-process report runner", () => {
  it("generates an enqueued report", async () => {
    const db = database.handle.db;
    const reports = startInProcessReports({ db, storage, logger }, { firstCheckMs: 3600_000 });
    running.push(reports);
    const report = await newReport();
    await reports.queue.enqueue(report.id);
    await expectStoredPdf(await settled(report.id));
  });

  it("retries a failing report, then records it failed with the error", async () => {
    const db = database.handle.db;
    const down = downStorage();
    const reports = startInProcessReports(
      { db, storage: down, logger },
      { firstCheckMs: 3600_000, backoffMs: 10 },
    );
    running.push(reports);
    const report = await newReport();
    await reports.queue.enqueue(report.id);
    const row = await settled(report.id);
    expect(row.status).toBe("failed");
    expect(row.error).toBe("Error: bucket unavailable");
    expect(row.sha256).toBeNull();
    expect(down.puts).toBe(3);
  });

  it("close() does not wait out a retry's backoff, and refuses new reports", async () => {
    const db = database.handle.db;
    const down = downStorage();
    const reports = startInProcessReports(
      { db, storage: down, logger },
      { firstCheckMs: 3600_000, backoffMs: 3600_000 },
    );
    const report = await newReport();
    await reports.queue.enqueue(report.id);
    const deadline = Date.now() + 30_000;
    while (down.puts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(down.puts).toBe(1);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      reports.close().then(() => "closed"),
      new Promise((r) => {
        timer = setTimeout(() => r("still waiting"), 10_000);
      }),
    ]);
    clearTimeout(timer);
    expect(closed).toBe("closed");
    // Left pending: the next start picks it up.
    expect((await getEvidenceReport(db, { orgId, reportId: report.id }))?.status).toBe("pending");
    await expect(reports.queue.enqueue(report.id)).rejects.toThrow(/stopped/);
    await reports.close();
  });

  it("the first scheduled check creates last month's report and generates it, and picks up pending ones", async () => {
    const db = database.handle.db;
    // Left pending by the previous test (as by a stopped process).
    const pending = (await listEvidenceReports(db, { orgId })).filter((r) => r.status === "pending");
    expect(pending).toHaveLength(1);
    const now = () => new Date("2026-08-01T02:00:00Z");
    const reports = startInProcessReports({ db, storage, logger, now }, { firstCheckMs: 0 });
    running.push(reports);
    let scheduled: EvidenceReportRow | undefined;
    const deadline = Date.now() + 30_000;
    while (!scheduled && Date.now() < deadline) {
      scheduled = (await listEvidenceReports(db, { orgId })).find((r) => r.scheduled);
      if (!scheduled) await new Promise((r) => setTimeout(r, 50));
    }
    expect(scheduled).toMatchObject({
      periodStart: new Date("2026-07-01T00:00:00Z"),
      periodEnd: new Date("2026-08-01T00:00:00Z"),
      requestedBy: null,
    });
    await expectStoredPdf(await settled(scheduled!.id));
    await expectStoredPdf(await settled(pending[0]!.id));
  });
});

describe("BullMQ report runner", () => {
  const newPrefix = () => {
    const prefix = `cw-test-reports-${randomBytes(4).toString("hex")}`;
    prefixes.push(prefix);
    return prefix;
  };

  it("generates a report enqueued by a separate producer, and registers the monthly schedule", async () => {
    const db = database.handle.db;
    const prefix = newPrefix();
    const reports: RunningReports = await startBullmqReports(
      { redisUrl: REDIS_URL, prefix },
      { db, storage, logger },
    );
    running.push(reports);
    const producer = createBullmqReportQueue({ redisUrl: REDIS_URL, prefix }, logger);
    running.push(producer);
    const report = await newReport();
    await producer.enqueue(report.id);
    await expectStoredPdf(await settled(report.id));
    const scheduler = await producer.bullmq.getJobScheduler(JOB_EVIDENCE_SCHEDULE);
    expect(scheduler).toMatchObject({ pattern: "0 2 1 * *", tz: "UTC" });
  });

  it("records a report failed after its last attempt", async () => {
    const db = database.handle.db;
    const down = downStorage();
    const reports = await startBullmqReports(
      { redisUrl: REDIS_URL, prefix: newPrefix(), backoffMs: 10 },
      { db, storage: down, logger },
    );
    running.push(reports);
    const report = await newReport();
    await reports.queue.enqueue(report.id);
    const row = await settled(report.id);
    expect(row).toMatchObject({ status: "failed", error: "Error: bucket unavailable" });
    expect(down.puts).toBe(3);
  });
});
