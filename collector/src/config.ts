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
  /**
   * CODEWARDEN_INGEST_RATE_LIMIT (items/s) and CODEWARDEN_INGEST_RATE_BURST: the per-ingest-key
   * token bucket of each collector process; null disables it. Absent: DEFAULT_INGEST_RATE_LIMIT.
   */
  ingestRateLimit?: IngestRateLimit | null;
  /** OPENOBSERVE_URL and its credentials: raw telemetry is fanned out there when set. */
  openobserve?: OpenObserveConfig | null;
}

export interface OpenObserveConfig {
  /** OPENOBSERVE_URL: the server's base URL (e.g. http://localhost:5080). */
  url: string;
  /** OPENOBSERVE_ORG (default "default"). */
  org: string;
  /**
   * The Authorization header: Basic from OPENOBSERVE_USER and OPENOBSERVE_PASSWORD, or
   * OPENOBSERVE_TOKEN (sent as `Basic <token>`, or as is when it names its scheme); null without credentials.
   */
  authorization: string | null;
}

export interface IngestRateLimit {
  /** Items (spans + log records + metric data points) per second per key. */
  itemsPerSecond: number;
  /** Items a key may send at once after being idle. */
  burst: number;
}

/**
 * A guard against a runaway client, not a quota: one all-in-one process ingests some 1-1.5M
 * spans/s of 100-span requests on one core (bench/ingest), and a bare node:http server that only
 * reads the bodies about 2M, so a single busy service never reaches it, while a flood from one
 * key cannot take more than this from any collector. Lower it for many tenants.
 */
export const DEFAULT_INGEST_RATE_LIMIT: IngestRateLimit = { itemsPerSecond: 5_000_000, burst: 10_000_000 };

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
  CODEWARDEN_INGEST_RATE_LIMIT: z.coerce
    .number()
    .int("must be an integer number of items per second (0 disables)")
    .min(0, "must be 0 (disabled) or more")
    .default(DEFAULT_INGEST_RATE_LIMIT.itemsPerSecond),
  CODEWARDEN_INGEST_RATE_BURST: z.coerce
    .number()
    .int("must be an integer number of items")
    .min(1, "must be at least 1")
    .optional(),
  OPENOBSERVE_URL: url(["http:", "https:"]).optional(),
  OPENOBSERVE_ORG: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, "must be an organisation identifier")
    .default("default"),
  OPENOBSERVE_USER: z.string().optional(),
  OPENOBSERVE_PASSWORD: z.string().optional(),
  OPENOBSERVE_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)?$/, "must be a token")
    .optional(),
});

const credentials = schema.superRefine((e, ctx) => {
  const user = e.OPENOBSERVE_USER !== undefined;
  const password = e.OPENOBSERVE_PASSWORD !== undefined;
  if (user !== password) {
    ctx.addIssue({
      code: "custom",
      path: [user ? "OPENOBSERVE_PASSWORD" : "OPENOBSERVE_USER"],
      message: "OPENOBSERVE_USER and OPENOBSERVE_PASSWORD go together",
    });
  }
  if (user && e.OPENOBSERVE_TOKEN !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["OPENOBSERVE_TOKEN"],
      message: "set either OPENOBSERVE_TOKEN or OPENOBSERVE_USER and OPENOBSERVE_PASSWORD, not both",
    });
  }
});

function openobserveAuthorization(e: z.infer<typeof schema>): string | null {
  if (e.OPENOBSERVE_TOKEN) {
    return /^(basic|bearer) /i.test(e.OPENOBSERVE_TOKEN)
      ? e.OPENOBSERVE_TOKEN
      : `Basic ${e.OPENOBSERVE_TOKEN}`;
  }
  if (e.OPENOBSERVE_USER === undefined) return null;
  const pair = `${e.OPENOBSERVE_USER}:${e.OPENOBSERVE_PASSWORD ?? ""}`;
  return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
}

/** Parses the collector's configuration from `env` (fails fast with a ConfigError naming each variable). */
export function loadCollectorConfig(env: Record<string, string | undefined>): CollectorConfig {
  const e = parseEnv(credentials, env, "collector");
  return {
    port: e.COLLECTOR_PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CODEWARDEN_DATA_DIR,
    queuePrefix: e.CODEWARDEN_QUEUE_PREFIX,
    maxBodyBytes: e.CODEWARDEN_MAX_BODY_BYTES,
    ingestRateLimit:
      e.CODEWARDEN_INGEST_RATE_LIMIT === 0
        ? null
        : {
            itemsPerSecond: e.CODEWARDEN_INGEST_RATE_LIMIT,
            burst: e.CODEWARDEN_INGEST_RATE_BURST ?? 2 * e.CODEWARDEN_INGEST_RATE_LIMIT,
          },
    openobserve: e.OPENOBSERVE_URL
      ? { url: e.OPENOBSERVE_URL, org: e.OPENOBSERVE_ORG, authorization: openobserveAuthorization(e) }
      : null,
  };
}
