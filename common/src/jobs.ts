import { z } from "zod";

/** Size caps applied by the collector before a string leaves it. Every telemetry string is untrusted. */
export const LIMITS = {
  exceptionType: 256,
  message: 8 * 1024,
  stacktrace: 64 * 1024,
  attributeKey: 128,
  attributeValue: 1024,
  attributesPerEvent: 64,
  shortString: 256,
  errorsPerJob: 1000,
} as const;

const short = z.string().max(LIMITS.shortString);
const hexId = (len: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-f]{${len}}$`))
    .nullable();

export const resourceInfoSchema = z.object({
  serviceName: short.nullable(),
  serviceNamespace: short.nullable(),
  serviceVersion: short.nullable(),
  serviceInstanceId: short.nullable(),
  environment: short.nullable(),
  sdkLanguage: short.nullable(),
  hostName: short.nullable(),
});
export type ResourceInfo = z.infer<typeof resourceInfoSchema>;

export const spanInfoSchema = z.object({
  name: short,
  kind: z.number().int().min(0).max(5),
  statusCode: z.number().int().min(0).max(2),
});
export type SpanInfo = z.infer<typeof spanInfoSchema>;

export const attributeValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** One exception extracted from OTLP, as the collector hands it to the worker. */
export const errorEventSchema = z.object({
  /** Where it came from: an `exception` span event, a log record, or an ERROR span with `error.type`. */
  source: z.enum(["span_event", "log", "span_status"]),
  /**
   * Natural key of the event inside its project (hex digest of trace id, span id, source,
   * time and position). OTLP is at-least-once: the same event always gets the same key,
   * so retries never double-count.
   */
  eventKey: z.string().regex(/^[0-9a-f]{32,64}$/),
  /** Event time, ISO-8601. */
  timestamp: z.string().datetime({ offset: true }),
  traceId: hexId(32),
  spanId: hexId(16),
  exceptionType: z.string().max(LIMITS.exceptionType),
  message: z.string().max(LIMITS.message),
  stacktrace: z.string().max(LIMITS.stacktrace).nullable(),
  /** Value of `codewarden.fingerprint` when the app set one. */
  fingerprint: short.nullable(),
  resource: resourceInfoSchema,
  span: spanInfoSchema.nullable(),
  /** Event, span/log and resource attributes of interest, capped in count and size. */
  attributes: z.record(z.string().max(LIMITS.attributeKey), attributeValueSchema),
});
export type ErrorEvent = z.infer<typeof errorEventSchema>;

/** The one job the collector enqueues per OTLP request that carried at least one exception. */
export const errorBatchJobSchema = z.object({
  v: z.literal(1),
  projectId: z.string().uuid(),
  receivedAt: z.string().datetime({ offset: true }),
  errors: z.array(errorEventSchema).min(1).max(LIMITS.errorsPerJob),
});
export type ErrorBatchJob = z.infer<typeof errorBatchJobSchema>;

/** Producer side of the error queue: BullMQ in production, in-process in the all-in-one mode. */
export interface ErrorQueue {
  /** Resolves once the job is durably accepted (BullMQ) or buffered (in-process). Throws QueueUnavailableError when it cannot take it. */
  enqueue(job: ErrorBatchJob): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a queue adapter that cannot accept work right now; the collector answers 503 + Retry-After. */
export class QueueUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
    this.name = "QueueUnavailableError";
  }
}

/** Caps on what a summary job carries into the LLM prompt (it is attacker-controlled text). */
export const SUMMARY_LIMITS = {
  message: 1000,
  frames: 15,
  frameField: 256,
} as const;

export const summaryFrameSchema = z.object({
  function: z.string().max(SUMMARY_LIMITS.frameField).nullable(),
  module: z.string().max(SUMMARY_LIMITS.frameField).nullable(),
  file: z.string().max(SUMMARY_LIMITS.frameField).nullable(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  inApp: z.boolean(),
});

/**
 * One LLM summary to write: for a new issue, or for a resolved issue that came back. It
 * carries only what the prompt may hold, already scrubbed: type, message, in-app frames,
 * span name/route and resource — never raw attributes.
 */
export const issueSummaryJobSchema = z.object({
  v: z.literal(1),
  projectId: z.string().uuid(),
  issueId: z.string().uuid(),
  occasion: z.enum(["new", "regressed"]),
  /** Key of the event that created (new) or reopened (regressed) the issue: one job per occasion. */
  eventKey: z.string().regex(/^[0-9a-f]{32,64}$/),
  event: z.object({
    exceptionType: z.string().max(LIMITS.exceptionType),
    message: z.string().max(SUMMARY_LIMITS.message),
    frames: z.array(summaryFrameSchema).max(SUMMARY_LIMITS.frames),
    language: short.nullable(),
    serviceName: short.nullable(),
    serviceVersion: short.nullable(),
    spanName: short.nullable(),
    route: short.nullable(),
  }),
});
export type IssueSummaryJob = z.infer<typeof issueSummaryJobSchema>;

/**
 * BullMQ job id of a summary job: enqueueing the same (issue, occasion) twice adds one job.
 * (BullMQ ids may not contain `:`.)
 */
export function issueSummaryJobId(job: Pick<IssueSummaryJob, "issueId" | "occasion" | "eventKey">): string {
  return job.occasion === "new"
    ? `summary-${job.issueId}-new`
    : `summary-${job.issueId}-regressed-${job.eventKey}`;
}

/** Producer side of the summaries queue: BullMQ in scale-out, in-process in the all-in-one mode. */
export interface SummaryQueue {
  /** Schedules the jobs (duplicates of a queued (issue, occasion) collapse); never calls the model inline. */
  enqueue(jobs: readonly IssueSummaryJob[]): Promise<void>;
  close(): Promise<void>;
}

/** Deliver one `alert_deliveries` row (the message and channel are read from the database). */
export const alertDeliveryJobSchema = z.object({
  v: z.literal(1),
  kind: z.literal("delivery"),
  deliveryId: z.string().uuid(),
  /**
   * Set when a dead delivery is sent again by hand: its attempts so far. It gives the job a new
   * id, since the queue still holds the dead job's id and would collapse the new job into it;
   * attempts only grow, so every retry gets an id of its own.
   */
  retry: z.number().int().min(1).optional(),
});
export type AlertDeliveryJob = z.infer<typeof alertDeliveryJobSchema>;

/** Send a rule's digest for one digest window once the window has closed (`runAt`). */
export const alertDigestJobSchema = z.object({
  v: z.literal(1),
  kind: z.literal("digest"),
  projectId: z.string().uuid(),
  ruleId: z.string().uuid(),
  /** Start of the digest window, ISO-8601. */
  windowStart: z.string().datetime({ offset: true }),
  /** Length of the digest window in milliseconds. */
  windowMs: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3_600_000),
  /** Not before this time (ISO-8601): the window's end plus a grace for late commits. */
  runAt: z.string().datetime({ offset: true }),
});
export type AlertDigestJob = z.infer<typeof alertDigestJobSchema>;

export const alertJobSchema = z.discriminatedUnion("kind", [alertDeliveryJobSchema, alertDigestJobSchema]);
export type AlertJob = z.infer<typeof alertJobSchema>;

/**
 * BullMQ job id of an alert job: a delivery is enqueued once per delivery row (and once more per
 * retry by hand), a digest once per (rule, window) however many workers schedule it. (BullMQ ids
 * may not contain `:`.)
 */
export function alertJobId(job: AlertJob): string {
  if (job.kind === "digest") return `alert-digest-${job.ruleId}-${Date.parse(job.windowStart)}`;
  return job.retry === undefined
    ? `alert-delivery-${job.deliveryId}`
    : `alert-delivery-${job.deliveryId}-retry-${job.retry}`;
}

/** Producer side of the alerts queue: BullMQ in scale-out, in-process in the all-in-one mode. */
export interface AlertQueue {
  /** Schedules the jobs (a digest not before its `runAt`); duplicates of a queued id collapse. */
  enqueue(jobs: readonly AlertJob[]): Promise<void>;
  close(): Promise<void>;
}
