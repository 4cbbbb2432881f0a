import { DEFAULT_EVENTS_PER_ISSUE_HOUR } from "@codewarden/drizzle";
import { z } from "zod";

/** Bounded storage (DESIGN.md): how many bodies are kept, for how long, and how long keys are remembered. */
export const storageSchema = z.object({
  CODEWARDEN_EVENTS_PER_ISSUE_HOUR: z.coerce
    .number()
    .int()
    .min(1, "must be at least 1 (the event that creates or reopens an issue is always kept)")
    .max(100_000)
    .default(DEFAULT_EVENTS_PER_ISSUE_HOUR),
  CODEWARDEN_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CODEWARDEN_EVENT_KEY_WINDOW_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(48),
});

export interface StorageConfig {
  /** Full event bodies kept per issue and hour; every event is still counted. */
  eventsPerIssueHour: number;
  /** Event bodies (and hourly counts) older than this are deleted. */
  eventRetentionDays: number;
  /** How long an event's natural key is remembered so that an OTLP retry counts once. */
  eventKeyWindowHours: number;
}

export function storageFrom(c: z.infer<typeof storageSchema>): StorageConfig {
  return {
    eventsPerIssueHour: c.CODEWARDEN_EVENTS_PER_ISSUE_HOUR,
    eventRetentionDays: c.CODEWARDEN_EVENT_RETENTION_DAYS,
    eventKeyWindowHours: c.CODEWARDEN_EVENT_KEY_WINDOW_HOURS,
  };
}
