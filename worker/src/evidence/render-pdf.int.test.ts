/**
 * The evidence PDF, checked with independent readers: poppler's pdftoppm (one PNG per page) and
 * pdftotext (the text of each page), and rendered again under Bun.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EvidenceData } from "@codewarden/drizzle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVIDENCE_SECTIONS, type RenderedEvidence, renderEvidencePdf } from "./render-pdf";
import { sampleEvidenceData } from "./sample-data";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BUN = join(ROOT, "node_modules", ".bin", "bun");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cw-evidence-test-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writePdf(name: string, rendered: RenderedEvidence): string {
  const path = join(dir, `${name}.pdf`);
  writeFileSync(path, rendered.pdf);
  return path;
}

/** PNG files pdftoppm writes for the PDF at 50 dpi. */
function rasterise(name: string, pdfPath: string): string[] {
  const out = join(dir, `${name}-png`);
  execFileSync("mkdir", ["-p", out]);
  execFileSync("pdftoppm", ["-png", "-r", "50", pdfPath, join(out, "page")]);
  return readdirSync(out).filter((f) => f.endsWith(".png"));
}

const pageText = (pdfPath: string, page: number) =>
  execFileSync("pdftotext", ["-f", String(page), "-l", String(page), "-layout", pdfPath, "-"], {
    encoding: "utf8",
  });

describe("renderEvidencePdf", () => {
  it("renders the sample month: title, summary and one section per page, each page a PNG", async () => {
    const rendered = await renderEvidencePdf({ reportId: "rep_test_1", data: sampleEvidenceData() });
    const pdfPath = writePdf("sample", rendered);
    const pngs = rasterise("sample", pdfPath);
    // Title, summary (+ method), incidents, open issues, access changes (30 rows: two pages), alerts.
    expect(rendered.pages).toBe(7);
    expect(pngs).toHaveLength(7);
    for (const png of pngs) {
      expect(
        readFileSync(join(dir, "sample-png", png))
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    }

    const pages = Array.from({ length: 7 }, (_, i) => pageText(pdfPath, i + 1));
    expect(pages[0]).toContain("SOC 2 evidence report");
    expect(pages[0]).toContain("Acme Payments Ltd (acme)");
    expect(pages[0]).toContain("2026-03-01 00:00 UTC to 2026-04-01 00:00 UTC");
    expect(pages[0]).toContain("rep_test_1");
    expect(pages[1]).toContain(EVIDENCE_SECTIONS.summary);
    expect(pages[1]).toMatch(/Incidents detected\s+24\s+20 new issues, 4 regressions/);
    expect(pages[1]).toMatch(/median 1 h 30 min, p90 3 h/);
    expect(pages[1]).toContain(EVIDENCE_SECTIONS.method);
    expect(pages[2]).toContain(EVIDENCE_SECTIONS.incidents);
    expect(pages[3]).toContain(EVIDENCE_SECTIONS.openIssues);
    expect(pages[3]).toContain("3 more open issues are not listed");
    expect(pages[4]).toContain(EVIDENCE_SECTIONS.access);
    expect(pages[4]).toMatch(/api_token\.created\s+alice@example\.com\s+api_token/);
    expect(pages[5]).toMatch(/^\s*When\s+Action\s+Who/m); // the header row repeats on the next page
    expect(pages[6]).toContain(EVIDENCE_SECTIONS.alerts);
    expect(pages[6]).toContain("HTTP 503 from");
    pages.forEach((text, i) => {
      expect(text).toContain(`report rep_test_1 - page ${i + 1} of 7`);
    });
  });

  it("draws a hostile issue title as shortened plain text", async () => {
    const rendered = await renderEvidencePdf({ reportId: "rep_test_2", data: sampleEvidenceData() });
    const pdfPath = writePdf("hostile", rendered);
    const text = pageText(pdfPath, 3);
    expect(text).toContain('<script>alert("pwned")</script>');
    expect(text.includes("\u0000") || text.includes("\u001b")).toBe(false);
    // 400 A's in the title: capped (120 characters in all), ending in an ellipsis.
    const run = text.match(/A{20,}[\s\S]*?…/)?.[0].replace(/\s+/g, "") ?? "";
    expect(run.length).toBeGreaterThan(20);
    expect(run.length).toBeLessThan(120);
  });

  it("gives identical bytes for identical input, under Node and under Bun", async () => {
    const a = await renderEvidencePdf({ reportId: "rep_2026-03_acme", data: sampleEvidenceData() });
    const b = await renderEvidencePdf({ reportId: "rep_2026-03_acme", data: sampleEvidenceData() });
    expect(b.sha256).toBe(a.sha256);
    expect(b.pdf.equals(a.pdf)).toBe(true);

    const later = sampleEvidenceData();
    later.generatedAt = new Date(later.generatedAt.getTime() + 1000);
    expect((await renderEvidencePdf({ reportId: "rep_2026-03_acme", data: later })).sha256).not.toBe(
      a.sha256,
    );

    const out = join(dir, "bun.pdf");
    const printed = execFileSync(
      BUN,
      [join(ROOT, "scripts", "render-sample-evidence.ts"), "--pdf", out, "--no-png"],
      { cwd: join(ROOT, "worker"), encoding: "utf8", timeout: 60_000 },
    );
    expect(JSON.parse(printed.trim().split("\n").pop()!)).toEqual({
      sha256: a.sha256,
      pages: a.pages,
      bytes: a.pdf.length,
    });
    expect(readFileSync(out).equals(a.pdf)).toBe(true);
  });

  it("renders an empty month and a month too long for one page per section", async () => {
    const base = sampleEvidenceData();
    const empty: EvidenceData = {
      ...base,
      incidents: { total: 0, newIssues: 0, regressions: 0, listed: [] },
      timeToAcknowledge: { measured: 0, pending: 0, medianMs: null, p90Ms: null },
      timeToResolve: { measured: 0, pending: 0, medianMs: null, p90Ms: null },
      openIssues: { total: 0, byAge: base.openIssues.byAge.map((b) => ({ ...b, count: 0 })), oldest: [] },
      accessChanges: { total: 0, listed: [] },
      alertDeliveries: null,
    };
    const small = await renderEvidencePdf({ reportId: "rep_empty", data: empty });
    const smallPath = writePdf("empty", small);
    expect(small.pages).toBe(6);
    expect(rasterise("empty", smallPath)).toHaveLength(6);
    expect(pageText(smallPath, 2)).toMatch(/median -, p90 -/);
    expect(pageText(smallPath, 3)).toContain("No incidents were detected in the period.");
    expect(pageText(smallPath, 6)).toContain("Alert deliveries were not recorded for this report.");

    const many = base.incidents.listed[0]!;
    const big: EvidenceData = {
      ...base,
      incidents: {
        ...base.incidents,
        total: 900,
        listed: Array.from({ length: 500 }, (_, i) => ({
          ...many,
          issueId: `id-${i}`,
          title: `Error number ${i}`,
        })),
      },
    };
    const large = await renderEvidencePdf({ reportId: "rep_big", data: big });
    const largePath = writePdf("big", large);
    expect(large.pages).toBeGreaterThan(10);
    expect(rasterise("big", largePath)).toHaveLength(large.pages);
    const all = execFileSync("pdftotext", ["-layout", largePath, "-"], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    expect(all).toContain("Error number 0");
    expect(all).toContain("Error number 499");
    expect(all).toContain("400 more incidents are not listed (500 of 900 shown).");
  });
});
