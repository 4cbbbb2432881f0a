import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { issues } from "./issues";
import { projects } from "./projects";

export const ALERT_CHANNEL_KINDS = ["slack", "webhook", "email"] as const;
export type AlertChannelKind = (typeof ALERT_CHANNEL_KINDS)[number];

/**
 * Where a channel delivers: a Slack-compatible incoming webhook (`url`), a generic JSON webhook
 * signed with `secret` (`url`, `secret`), or email (`addresses`).
 */
export type AlertChannelConfig = { url: string } | { url: string; secret: string } | { addresses: string[] };

export const ALERT_RULE_KINDS = ["new_issue", "regression", "spike"] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

export const ALERT_DELIVERY_STATUSES = ["pending", "sent", "failed", "dead"] as const;
export type AlertDeliveryStatus = (typeof ALERT_DELIVERY_STATUSES)[number];

/** A project's notification destinations. */
export const alertChannels = pgTable(
  "alert_channels",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: ALERT_CHANNEL_KINDS }).notNull(),
    config: jsonb("config").$type<AlertChannelConfig>().notNull(),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("alert_channels_project_idx").on(t.projectId, t.createdAt)],
);

/**
 * A project's alert rules. `window_minutes` is the flood-protection window (at most one
 * notification per issue per rule per window) and, for spikes, the counting window.
 * Spike: fires when the window's events reach `spike_count` (N) and/or exceed `spike_factor` (k)
 * times the issue's usual hourly rate (previous 7 days of hourly counters) over the window.
 * `environment` / `service` null means any.
 */
export const alertRules = pgTable(
  "alert_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: ALERT_RULE_KINDS }).notNull(),
    windowMinutes: integer("window_minutes").notNull().default(60),
    spikeCount: integer("spike_count"),
    spikeFactor: real("spike_factor"),
    environment: text("environment"),
    service: text("service"),
    /** Also send one digest per digest window listing every issue that fired. */
    digest: boolean("digest").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("alert_rules_project_idx").on(t.projectId, t.createdAt)],
);

/** The channels a rule notifies. */
export const alertRuleChannels = pgTable(
  "alert_rule_channels",
  {
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => alertChannels.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.ruleId, t.channelId] }),
    index("alert_rule_channels_channel_idx").on(t.channelId),
  ],
);

/**
 * The notification ledger: one row per (rule, issue, window). Its unique constraint is what makes
 * "at most one notification per issue per rule per window" hold across concurrent workers: a
 * worker notifies only when its INSERT … ON CONFLICT DO NOTHING returned the row. Digest rows
 * have no issue (NULLS NOT DISTINCT: one digest per rule per digest window).
 */
export const alertNotifications = pgTable(
  "alert_notifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ruleId: uuid("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    issueId: uuid("issue_id").references(() => issues.id, { onDelete: "cascade" }),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    /** `new`, `regressed`, `spike` or `digest`. */
    reason: text("reason").notNull(),
    /** False when the issue was left to a digest (too many issues fired at once). */
    individual: boolean("individual").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("alert_notifications_rule_issue_window_uq")
      .on(t.ruleId, t.issueId, t.windowStart)
      .nullsNotDistinct(),
    index("alert_notifications_rule_created_idx").on(t.ruleId, t.createdAt),
    // Pruning of rows whose windows are long closed.
    index("alert_notifications_created_idx").on(t.createdAt),
  ],
);

/** One message to one channel, with its delivery state (`dead`: retries exhausted; kept for the UI). */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    channelId: uuid("channel_id").references(() => alertChannels.id, { onDelete: "set null" }),
    ruleId: uuid("rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    /** The issue alerted on; null for digests and test messages. */
    issueId: uuid("issue_id").references(() => issues.id, { onDelete: "set null" }),
    /** `alert`, `digest` or `test`. */
    kind: text("kind").notNull(),
    /** The channel-neutral message (see worker/src/alerts/message.ts). */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ALERT_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    index("alert_deliveries_project_created_idx").on(t.projectId, t.createdAt),
    // Pruning, and the sweep that re-enqueues deliveries left pending (a lost in-process job).
    index("alert_deliveries_created_idx").on(t.createdAt),
    index("alert_deliveries_pending_idx").on(t.createdAt).where(sql`status = 'pending'`),
  ],
);
