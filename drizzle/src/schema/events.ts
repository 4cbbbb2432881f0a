import { index, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
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
    /** Natural key from the collector: retries of the same OTLP data map to the same key. */
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
    unique("events_project_event_key_uq").on(t.projectId, t.eventKey),
    index("events_issue_timestamp_idx").on(t.issueId, t.timestamp, t.id),
  ],
);
