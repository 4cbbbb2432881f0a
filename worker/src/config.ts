import { DEFAULT_QUEUE_PREFIX, parseEnv } from "@codewarden/common";
import { z } from "zod";
import { type AlertsConfig, alertsFrom, alertsSchema } from "./alerts/config";
import { type ReportsConfig, refineReports, reportsFrom, reportsSchema } from "./evidence/config";
import { type ScrubConfig, scrubFrom, scrubSchema } from "./scrub-config";
import { type StorageConfig, storageFrom, storageSchema } from "./storage-config";
import type { LlmConfig } from "./summarise/llm";

const llmSchema = z.object({
  CODEWARDEN_LLM_BASE_URL: z
    .string()
    .url("must be the base URL of an OpenAI-compatible API, e.g. http://litellm:4000/v1")
    .optional(),
  CODEWARDEN_LLM_API_KEY: z.string().max(4096).optional(),
  CODEWARDEN_LLM_MODEL: z.string().min(1).max(200).default("gpt-4o-mini"),
  CODEWARDEN_LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(20_000),
  CODEWARDEN_LLM_DAILY_BUDGET: z.coerce.number().int().min(0).max(1_000_000).default(200),
  CODEWARDEN_LLM_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(60),
  CODEWARDEN_LLM_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  CODEWARDEN_LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  CODEWARDEN_LLM_RESPONSE_FORMAT: z.enum(["json_object", "json_schema"]).default("json_object"),
});

const schema = llmSchema
  .extend(storageSchema.shape)
  .extend(scrubSchema.shape)
  .extend(alertsSchema.shape)
  .extend(reportsSchema.shape)
  .extend({
    DATABASE_URL: z
      .string({ error: "required: the Postgres connection URL the Bun worker stores issues in" })
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL"),
    REDIS_URL: z
      .string({ error: "required: the Redis URL of the BullMQ error queue (redis:// or rediss://)" })
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    CODEWARDEN_QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "letters, digits, _ . : - only (max 64)")
      .default(DEFAULT_QUEUE_PREFIX),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
    WORKER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
    WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine(refineReports);

export interface WorkerConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  concurrency: number;
  shutdownTimeoutMs: number;
  /**
   * BullMQ job lock (renewed every half of it while a job runs): a worker that dies holding a job
   * loses it after this long, and the stalled check hands the job to another worker.
   */
  lockDurationMs: number;
  /** How often each worker looks for jobs whose lock expired (stalled) and puts them back in the queue. */
  stalledIntervalMs: number;
  /**
   * Times a job may stall (its worker died) and be put back before it fails for good. Storage is
   * idempotent, so a re-run costs only time: higher than BullMQ's default of 1.
   */
  maxStalledCount: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** LLM summaries when CODEWARDEN_LLM_BASE_URL is set; otherwise heuristic summaries only. */
  llm: LlmConfig | null;
  /** Bounded event storage (per-issue hourly cap, retention, retry window). */
  storage: StorageConfig;
  /** PII scrubbing rules. */
  scrub: ScrubConfig;
  /** Alert delivery (links, SMTP, retries). */
  alerts: AlertsConfig;
  /** Where SOC 2 evidence reports are stored (S3/R2, else CODEWARDEN_DATA_DIR/reports). */
  reports: ReportsConfig;
}

/** Only the alert settings (for the all-in-one launcher). */
export function loadAlertsConfig(env: Record<string, string | undefined>): AlertsConfig {
  return alertsFrom(parseEnv(alertsSchema, env, "worker"));
}

/** Only the scrubbing settings (for the all-in-one launcher). */
export function loadScrubConfig(env: Record<string, string | undefined>): ScrubConfig {
  return scrubFrom(parseEnv(scrubSchema, env, "worker"));
}

/** Only the storage settings (for the all-in-one launcher). */
export function loadStorageConfig(env: Record<string, string | undefined>): StorageConfig {
  return storageFrom(parseEnv(storageSchema, env, "worker"));
}

function llmFrom(c: z.infer<typeof llmSchema>): LlmConfig | null {
  if (!c.CODEWARDEN_LLM_BASE_URL) return null;
  return {
    baseUrl: c.CODEWARDEN_LLM_BASE_URL,
    apiKey: c.CODEWARDEN_LLM_API_KEY ?? null,
    model: c.CODEWARDEN_LLM_MODEL,
    timeoutMs: c.CODEWARDEN_LLM_TIMEOUT_MS,
    dailyBudgetPerProject: c.CODEWARDEN_LLM_DAILY_BUDGET,
    ratePerMinute: c.CODEWARDEN_LLM_RATE_LIMIT,
    concurrency: c.CODEWARDEN_LLM_CONCURRENCY,
    attempts: c.CODEWARDEN_LLM_MAX_ATTEMPTS,
    responseFormat: c.CODEWARDEN_LLM_RESPONSE_FORMAT,
  };
}

/** Only the LLM settings (for the all-in-one launcher, which runs the worker core in-process). */
export function loadLlmConfig(env: Record<string, string | undefined>): LlmConfig | null {
  return llmFrom(parseEnv(llmSchema, env, "worker"));
}

/** The Bun worker's configuration; throws ConfigError naming each missing or invalid variable. */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const c = parseEnv(schema, env, "worker");
  return {
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    queuePrefix: c.CODEWARDEN_QUEUE_PREFIX,
    concurrency: c.WORKER_CONCURRENCY,
    shutdownTimeoutMs: c.WORKER_SHUTDOWN_TIMEOUT_MS,
    lockDurationMs: c.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: c.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: c.WORKER_MAX_STALLED_COUNT,
    logLevel: c.LOG_LEVEL,
    llm: llmFrom(c),
    storage: storageFrom(c),
    scrub: scrubFrom(c),
    alerts: alertsFrom(c),
    reports: reportsFrom(c),
  };
}
