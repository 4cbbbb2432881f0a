import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { projects } from "./projects";

export const ISSUE_STATUSES = ["unresolved", "regressed", "resolved", "ignored"] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

export const issues = pgTable(
  "issues",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    fingerprint: text("fingerprint").notNull(),
    fingerprintVersion: integer("fingerprint_version").notNull(),
    title: text("title").notNull(),
    exceptionType: text("exception_type").notNull(),
    message: text("message").notNull(),
    culprit: text("culprit"),
    status: text("status", { enum: ISSUE_STATUSES }).notNull().default("unresolved"),
    eventCount: bigint("event_count", { mode: "number" }).notNull().default(0),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
    services: text("services").array().notNull().default(sql`'{}'::text[]`),
    environments: text("environments").array().notNull().default(sql`'{}'::text[]`),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("issues_project_fingerprint_uq").on(t.projectId, t.fingerprint),
    index("issues_project_status_last_seen_idx").on(t.projectId, t.status, t.lastSeen, t.id),
  ],
);

/** Exact hourly event counts per issue (for charts and spike detection). */
export const issueHourlyCounts = pgTable(
  "issue_hourly_counts",
  {
    issueId: uuid("issue_id")
      .notNull()
      .references(() => issues.id, { onDelete: "cascade" }),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issueId, t.hour] })],
);

/** One summary per issue: from the LLM, or from the deterministic heuristic summariser. */
export const summaries = pgTable("summaries", {
  issueId: uuid("issue_id")
    .primaryKey()
    .references(() => issues.id, { onDelete: "cascade" }),
  source: text("source", { enum: ["llm", "heuristic"] }).notNull(),
  text: text("text").notNull(),
  likelyCause: text("likely_cause"),
  suggestedFix: text("suggested_fix"),
  model: text("model"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
