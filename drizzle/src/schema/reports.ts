import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations, users } from "./auth";

export const EVIDENCE_REPORT_STATUSES = ["pending", "ready", "failed"] as const;
export type EvidenceReportStatus = (typeof EVIDENCE_REPORT_STATUSES)[number];

/**
 * SOC 2 evidence reports: one row per generated (or generating) PDF of an organisation and period.
 * The PDF itself is in report storage (R2 / a local folder) under `storageKey`; `sha256` is the hash of
 * its bytes, recorded when it was stored, so a downloaded copy can be checked against the database.
 */
export const evidenceReports = pgTable(
  "evidence_reports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    /** Exclusive. */
    periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
    status: text("status").$type<EvidenceReportStatus>().notNull().default("pending"),
    storageKey: text("storage_key"),
    /** Hex SHA-256 of the stored PDF. */
    sha256: text("sha256"),
    byteSize: integer("byte_size"),
    pages: integer("pages"),
    error: text("error"),
    /** Made by the monthly schedule (else on demand, by `requestedBy`). */
    scheduled: boolean("scheduled").notNull().default(false),
    /** Who asked for it (null when scheduled, or when that user was deleted). */
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [
    index("evidence_reports_org_created_idx").on(t.orgId, t.createdAt),
    // The monthly schedule makes one report per organisation and period, however often it runs.
    uniqueIndex("evidence_reports_scheduled_uq")
      .on(t.orgId, t.periodStart, t.periodEnd)
      .where(sql`${t.scheduled}`),
  ],
);
