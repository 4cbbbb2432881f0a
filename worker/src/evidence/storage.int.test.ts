/**
 * Report storage: an S3-compatible bucket (against s3rver, a local S3-compatible server on a
 * loopback port) and the all-in-one folder.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalS3, startLocalS3 } from "./s3-test-server";
import {
  createLocalReportStorage,
  createReportStorage,
  createS3ReportStorage,
  evidenceReportKey,
  InvalidReportKeyError,
  type ReportStorage,
} from "./storage";

const PDF = new Uint8Array(Buffer.from("%PDF-1.3\n% a report\n%%EOF\n"));
const HOSTILE_KEYS = [
  "../outside.pdf",
  "orgs/../../outside.pdf",
  "orgs/./x.pdf",
  "/etc/passwd",
  "orgs//x.pdf",
  ".meta/orgs/x.pdf.json",
  "orgs\\..\\x.pdf",
  "orgs/%2e%2e/x.pdf",
  "orgs/x.pdf\u0000.txt",
  "",
  `orgs/${"a".repeat(600)}.pdf`,
];

describe("S3-compatible report storage", () => {
  let s3: LocalS3;
  let storage: ReportStorage;

  beforeAll(async () => {
    s3 = await startLocalS3("cw-reports");
    storage = createReportStorage({ storage: s3.config(), signedUrlTtlSeconds: 60 });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it("stores a report and reads it back", async () => {
    const key = evidenceReportKey(randomUUID(), "rep_2026-03");
    expect(storage.kind).toBe("s3");
    await storage.put(key, PDF, "application/pdf");
    const got = await storage.get(key);
    expect(got?.contentType).toBe("application/pdf");
    expect(Buffer.from(got!.bytes).equals(Buffer.from(PDF))).toBe(true);
    expect(await storage.get(evidenceReportKey(randomUUID(), "missing"))).toBeNull();
  });

  it("hands out a short-lived signed URL that plain fetch can download", async () => {
    const key = evidenceReportKey(randomUUID(), "rep_signed");
    await storage.put(key, PDF, "application/pdf");
    const url = new URL(await storage.signedUrl!(key, 60));
    expect(url.origin).toBe(s3.endpoint);
    expect(url.pathname).toBe(`/cw-reports/${key}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(PDF))).toBe(true);
  });

  it("signs URLs that stop working when their lifetime is over", async () => {
    const key = evidenceReportKey(randomUUID(), "rep_expired");
    await storage.put(key, PDF, "application/pdf");
    const past = createS3ReportStorage(s3.config(), { now: () => new Date(Date.now() - 10 * 60_000) });
    const res = await fetch(await past.signedUrl!(key, 60));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Request has expired");
    await expect(storage.signedUrl!(key, 0)).rejects.toThrow(RangeError);
    await expect(storage.signedUrl!(key, 7200)).rejects.toThrow(RangeError);
  });

  it("fails on wrong credentials and refuses unsafe keys before any request", async () => {
    const wrong = createS3ReportStorage({ ...s3.config(), accessKeyId: "NOT-A-KEY" });
    await expect(wrong.put(evidenceReportKey(randomUUID(), "x"), PDF, "application/pdf")).rejects.toThrow(
      /Access Key Id/,
    );
    for (const key of HOSTILE_KEYS) {
      await expect(storage.put(key, PDF, "application/pdf")).rejects.toThrow(InvalidReportKeyError);
      await expect(storage.get(key)).rejects.toThrow(InvalidReportKeyError);
    }
  });
});

describe("local folder report storage", () => {
  let base: string;
  let dir: string;
  let storage: ReportStorage;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "cw-reports-"));
    dir = join(base, "data", "reports");
    storage = createLocalReportStorage({ kind: "local", dir });
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it("stores a report privately and reads it back, with its content type", async () => {
    const orgId = randomUUID();
    const key = evidenceReportKey(orgId, "rep_local");
    expect(storage.kind).toBe("local");
    expect(storage.signedUrl).toBeUndefined();
    expect(await storage.get(key)).toBeNull();
    await storage.put(key, PDF, "application/pdf");
    const got = await storage.get(key);
    expect(got?.contentType).toBe("application/pdf");
    expect(Buffer.from(got!.bytes).equals(Buffer.from(PDF))).toBe(true);
    const file = join(dir, "orgs", orgId, "evidence", "rep_local.pdf");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "orgs")).mode & 0o777).toBe(0o700);
    // Written whole: no temporary file left behind.
    expect(readdirSync(join(dir, "orgs", orgId, "evidence"))).toEqual(["rep_local.pdf"]);

    await storage.put(key, new Uint8Array([1, 2, 3]), "application/octet-stream");
    expect(await storage.get(key)).toEqual({
      bytes: new Uint8Array([1, 2, 3]),
      contentType: "application/octet-stream",
    });
  });

  it("rejects keys that could leave the folder", async () => {
    for (const key of HOSTILE_KEYS) {
      await expect(storage.put(key, PDF, "application/pdf")).rejects.toThrow(InvalidReportKeyError);
      await expect(storage.get(key)).rejects.toThrow(InvalidReportKeyError);
    }
    expect(existsSync(join(base, "data", "outside.pdf"))).toBe(false);
    expect(existsSync(join(base, "outside.pdf"))).toBe(false);
    expect(readdirSync(join(base, "data"))).toEqual(["reports"]);
  });
});
