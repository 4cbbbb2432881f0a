import type { z } from "zod";

/** Thrown when the environment does not match a service's config schema. The message names each variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parses environment variables once, with a zod schema, failing fast with a message that
 * names every offending variable. Services call this only from their `config.ts`.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  service: string,
): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
  throw new ConfigError(`${service}: invalid configuration\n${lines.join("\n")}`);
}

/** A port number from the environment. */
export function portFrom(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error("must be a port number (0-65535)");
  return n;
}
