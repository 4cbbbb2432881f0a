import { z } from "zod";

/**
 * SOC 2 evidence reports: generating one report's PDF (on demand from the web, or created by the
 * monthly schedule), and the schedule's own repeatable job.
 */
export const QUEUE_REPORTS = "codewarden-reports";
export const JOB_EVIDENCE_REPORT = "evidence-report";
export const JOB_EVIDENCE_SCHEDULE = "evidence-monthly";
/** Cron pattern (UTC) of the monthly schedule: 02:00 on the 1st, for the month that just ended. */
export const EVIDENCE_SCHEDULE_PATTERN = "0 2 1 * *";

export const evidenceReportJobSchema = z.object({
  v: z.literal(1),
  reportId: z.string().uuid(),
});
export type EvidenceReportJob = z.infer<typeof evidenceReportJobSchema>;

/** Where the web hands on-demand reports (BullMQ in scale-out, the in-process runner all-in-one). */
export interface ReportQueue {
  enqueue(reportId: string): Promise<void>;
}

/**
 * What the web needs of report storage to serve a download: the stored bytes (checked against the
 * SHA-256 on the report's row) or, where the storage can sign one (S3/R2), a short-lived URL.
 * The worker's `ReportStorage` satisfies it.
 */
export interface ReportReader {
  /** The stored report, or null when there is none under `key`. */
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
  signedUrl?(key: string, ttlSeconds: number): Promise<string>;
}

/** Evidence reports as the web uses them: where "Generate" enqueues, and where PDFs are read. */
export interface ReportsAccess {
  queue: ReportQueue;
  storage: ReportReader;
  /** Lifetime of a signed download URL (storage with `signedUrl`); default 300 s. */
  signedUrlTtlSeconds?: number;
}
