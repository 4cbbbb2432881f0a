import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { issues } from "./issues";
import { projects } from "./projects";

/** A parsed stack frame as stored with an event (outermost last, like the original trace). */
export interface StackFrame {
  function: string | null;
  module: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  inApp: boolean;
}

export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    issueId: uuid("issue_id")
      .notNull()
      .references(() => issues.id, { onDelete: "cascade" }),
    /**
     * Natural key from the collector: retries of the same OTLP data map to the same key.
     * Uniqueness is kept by event_keys (every counted event), not here (only stored bodies).
     */
    eventKey: text("event_key").notNull(),
    source: text("source", { enum: ["span_event", "log", "span_status"] }).notNull(),
    timestamp: timestamp("timestamp", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    traceId: text("trace_id"),
    spanId: text("span_id"),
    serviceName: text("service_name"),
    serviceVersion: text("service_version"),
    environment: text("environment"),
    exceptionType: text("exception_type").notNull(),
    message: text("message").notNull(),
    stacktrace: text("stacktrace"),
    frames: jsonb("frames").$type<StackFrame[]>().notNull(),
    attributes: jsonb("attributes").$type<Record<string, string | number | boolean>>().notNull(),
    resource: jsonb("resource").$type<Record<string, string | null>>().notNull(),
    span: jsonb("span").$type<{ name: string; kind: number; statusCode: number } | null>(),
  },
  (t) => [
    index("events_issue_timestamp_idx").on(t.issueId, t.timestamp, t.id),
    // Retention deletes by receive time; rows arrive in that order, so a BRIN index is enough.
    index("events_received_at_brin").using("brin", t.receivedAt),
  ],
);

/**
 * Natural keys of every counted event (stored body or not), remembered for a window so that
 * OTLP retries count once even when the event's body was not kept (bounded storage).
 */
export const eventKeys = pgTable(
  "event_keys",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    eventKey: text("event_key").notNull(),
    seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.eventKey] }),
    index("event_keys_seen_at_brin").using("brin", t.seenAt),
  ],
);
