/**
 * Renders the evidence report of the sample data (worker/src/evidence/sample-data.ts).
 *
 *   node --import tsx scripts/render-sample-evidence.ts                 # docs/screenshots/evidence-report-page-{1,2}.png
 *   node --import tsx scripts/render-sample-evidence.ts --pdf out.pdf   # also keep the PDF
 *   bun scripts/render-sample-evidence.ts --pdf out.pdf --no-png        # the PDF only (no poppler needed)
 *
 * Prints one JSON line: { sha256, pages, bytes }. PNGs need pdftoppm (Debian poppler-utils).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderEvidencePdf } from "../worker/src/evidence/render-pdf";
import { sampleEvidenceData } from "../worker/src/evidence/sample-data";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pdf: { type: "string" },
      "png-dir": { type: "string", default: join(ROOT, "docs", "screenshots") },
      "no-png": { type: "boolean", default: false },
      pages: { type: "string", default: "2" },
    },
  });
  const rendered = await renderEvidencePdf({ reportId: "rep_2026-03_acme", data: sampleEvidenceData() });
  const work = mkdtempSync(join(tmpdir(), "cw-evidence-"));
  try {
    const pdfPath = values.pdf ? resolve(values.pdf) : join(work, "sample.pdf");
    writeFileSync(pdfPath, rendered.pdf);
    if (!values["no-png"]) {
      const last = Math.min(rendered.pages, Math.max(1, Number(values.pages)));
      execFileSync("pdftoppm", [
        "-png",
        "-r",
        "60",
        "-f",
        "1",
        "-l",
        String(last),
        pdfPath,
        join(work, "page"),
      ]);
      for (let page = 1; page <= last; page++) {
        const digits = String(rendered.pages).length;
        renameSync(
          join(work, `page-${String(page).padStart(digits, "0")}.png`),
          join(resolve(values["png-dir"]), `evidence-report-page-${page}.png`),
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ sha256: rendered.sha256, pages: rendered.pages, bytes: rendered.pdf.length }));
}

await main();
