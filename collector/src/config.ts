import { DEFAULT_QUEUE_PREFIX, parseEnv, portFrom } from "@codewarden/common";
import { z } from "zod";

export interface CollectorConfig {
  /** COLLECTOR_PORT (default 4318; 0 picks a free port). */
  port: number;
  /** HOST (default 127.0.0.1). */
  host: string;
  /** REDIS_URL: BullMQ queue when set; the all-in-one mode uses an in-process queue otherwise. */
  redisUrl?: string;
  /** DATABASE_URL: Postgres when set; PGlite in dataDir otherwise. */
  databaseUrl?: string;
  /** CODEWARDEN_DATA_DIR (default ./.codewarden). */
  dataDir: string;
  /** CODEWARDEN_QUEUE_PREFIX (default "cw"): BullMQ key prefix. */
  queuePrefix: string;
  /** CODEWARDEN_MAX_BODY_BYTES (default 8 MiB): request body limit, measured after decompression. */
  maxBodyBytes: number;
}

const port = z.string().transform((v, ctx) => {
  try {
    return portFrom(v);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

const url = (schemes: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${schemes.join(", ")})` },
  );

const schema = z.object({
  COLLECTOR_PORT: port.default(4318),
  HOST: z.string().min(1).default("127.0.0.1"),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  CODEWARDEN_DATA_DIR: z.string().min(1).default("./.codewarden"),
  CODEWARDEN_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")
    .default(DEFAULT_QUEUE_PREFIX),
  CODEWARDEN_MAX_BODY_BYTES: z.coerce
    .number()
    .int("must be an integer number of bytes")
    .min(1024, "must be at least 1024")
    .max(1024 * 1024 * 1024, "must be at most 1 GiB")
    .default(8 * 1024 * 1024),
});

/** Parses the collector's configuration from `env` (fails fast with a ConfigError naming each variable). */
export function loadCollectorConfig(env: Record<string, string | undefined>): CollectorConfig {
  const e = parseEnv(schema, env, "collector");
  return {
    port: e.COLLECTOR_PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CODEWARDEN_DATA_DIR,
    queuePrefix: e.CODEWARDEN_QUEUE_PREFIX,
    maxBodyBytes: e.CODEWARDEN_MAX_BODY_BYTES,
  };
}
