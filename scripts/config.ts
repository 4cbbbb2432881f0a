import { parseEnv } from "@codewarden/common";
import { z } from "zod";

/** What the all-in-one launcher itself needs; each service parses its own variables (bootstrap: web). */
const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  CODEWARDEN_DATA_DIR: z.string().default("./.codewarden"),
  CODEWARDEN_LOG_FORMAT: z.enum(["pretty", "json"]).default("pretty"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
});

export type LauncherConfig = ReturnType<typeof loadLauncherConfig>;

export function loadLauncherConfig(env: Record<string, string | undefined>) {
  const c = parseEnv(schema, env, "codewarden");
  if (c.REDIS_URL && !c.DATABASE_URL) {
    throw new Error(
      "codewarden: REDIS_URL is set but DATABASE_URL is not. Bun workers need a shared Postgres; " +
        "set DATABASE_URL too, or unset REDIS_URL for the all-in-one mode (embedded PGlite, in-process queue).",
    );
  }
  return {
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    dataDir: c.CODEWARDEN_DATA_DIR,
    logFormat: c.CODEWARDEN_LOG_FORMAT,
    logLevel: c.LOG_LEVEL,
    /** Postgres + Redis: the worker runs as separate Bun processes. */
    mode: c.DATABASE_URL && c.REDIS_URL ? ("scale-out" as const) : ("all-in-one" as const),
  };
}
