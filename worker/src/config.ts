import { DEFAULT_QUEUE_PREFIX, parseEnv } from "@codewarden/common";
import { z } from "zod";
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
});

const schema = llmSchema.extend({
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
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface WorkerConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  concurrency: number;
  shutdownTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** LLM summaries when CODEWARDEN_LLM_BASE_URL is set; otherwise heuristic summaries only. */
  llm: LlmConfig | null;
}

function llmFrom(c: z.infer<typeof llmSchema>): LlmConfig | null {
  if (!c.CODEWARDEN_LLM_BASE_URL) return null;
  return {
    baseUrl: c.CODEWARDEN_LLM_BASE_URL,
    apiKey: c.CODEWARDEN_LLM_API_KEY ?? null,
    model: c.CODEWARDEN_LLM_MODEL,
    timeoutMs: c.CODEWARDEN_LLM_TIMEOUT_MS,
    dailyBudgetPerProject: c.CODEWARDEN_LLM_DAILY_BUDGET,
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
    logLevel: c.LOG_LEVEL,
    llm: llmFrom(c),
  };
}
