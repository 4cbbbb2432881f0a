import {
  createEvidenceReport,
  type Db,
  gatherEvidence,
  getEvidenceReportById,
  listOrganizationIds,
  markEvidenceReportFailed,
  markEvidenceReportReady,
  previousMonthUtc,
  summariseAlertDeliveries,
  UnknownOrganizationError,
} from "@codewarden/drizzle";
import type pino from "pino";
import { renderEvidencePdf } from "./render-pdf";
import { evidenceReportKey, type ReportStorage } from "./storage";

export interface EvidenceReportDeps {
  db: Db;
  storage: ReportStorage;
  logger: pino.Logger;
  /** Clock (tests). */
  now?: () => Date;
}

/** A report that can never be generated (its organisation is gone, or its period is invalid). */
export class UnrecoverableReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnrecoverableReportError";
  }
}

export type GenerateOutcome = "ready" | "already-done" | "missing";

/**
 * Generates the PDF of a pending report: gathers the evidence, renders it, stores it under
 * `orgs/<org>/evidence/<report>.pdf` and records its SHA-256. A report that is not pending (done
 * before, e.g. a retried job) is left as it is. Throws on failure; the caller retries, and calls
 * `failEvidenceReport` when it gives up.
 */
export async function generateEvidenceReport(
  deps: EvidenceReportDeps,
  reportId: string,
): Promise<GenerateOutcome> {
  const report = await getEvidenceReportById(deps.db, reportId);
  if (!report) return "missing";
  if (report.status !== "pending") return "already-done";
  const generatedAt = deps.now?.() ?? new Date();
  let data: Awaited<ReturnType<typeof gatherEvidence>>;
  try {
    const alertDeliveries = await summariseAlertDeliveries(deps.db, {
      orgId: report.orgId,
      from: report.periodStart,
      to: report.periodEnd,
    });
    data = await gatherEvidence(deps.db, {
      orgId: report.orgId,
      from: report.periodStart,
      to: report.periodEnd,
      generatedAt,
      alertDeliveries,
    });
  } catch (err) {
    if (err instanceof UnknownOrganizationError || err instanceof RangeError)
      throw new UnrecoverableReportError(err.message);
    throw err;
  }
  const rendered = await renderEvidencePdf({ reportId, data });
  const storageKey = evidenceReportKey(report.orgId, reportId);
  await deps.storage.put(storageKey, rendered.pdf, "application/pdf");
  await markEvidenceReportReady(deps.db, {
    reportId,
    storageKey,
    sha256: rendered.sha256,
    byteSize: rendered.pdf.byteLength,
    pages: rendered.pages,
  });
  deps.logger.info(
    { reportId, orgId: report.orgId, pages: rendered.pages, bytes: rendered.pdf.byteLength },
    "evidence report generated",
  );
  return "ready";
}

/** Marks a report failed for good (the last attempt failed), with the error shown in the UI. */
export async function failEvidenceReport(db: Db, reportId: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  await markEvidenceReportFailed(db, { reportId, error: message });
}

/**
 * The monthly schedule: a report of the previous calendar month (UTC) for every organisation that
 * has none yet. Safe to run any number of times (one scheduled report per organisation and
 * period, by a unique index). Returns the ids of the reports it created, to be generated.
 */
export async function scheduleMonthlyReports(
  deps: Pick<EvidenceReportDeps, "db" | "now">,
): Promise<string[]> {
  const { periodStart, periodEnd } = previousMonthUtc(deps.now?.() ?? new Date());
  const created: string[] = [];
  for (const orgId of await listOrganizationIds(deps.db)) {
    const row = await createEvidenceReport(deps.db, { orgId, periodStart, periodEnd, scheduled: true });
    if (row) created.push(row.id);
  }
  return created;
}
