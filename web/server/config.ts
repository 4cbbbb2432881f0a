import { randomBytes } from "node:crypto";
import { parseEnv, portFrom } from "@codewarden/common";
import { z } from "zod";
import { emailSchema } from "../app/utils/email";
import { traceUrlTemplateProblem } from "../app/utils/trace-url";

/** Configuration of the web service (dashboard + REST API), parsed once from the environment. */
export interface WebConfig {
  port: number;
  host: string;
  /**
   * Origin the dashboard is reached at, without a trailing slash; used in sign-in links.
   * Defaults to http://localhost:<port>; with port 0 and no CODEWARDEN_PUBLIC_URL, startWeb fills
   * in the port it actually got.
   */
  publicUrl: string;
  /** True when CODEWARDEN_PUBLIC_URL was set. */
  publicUrlExplicit: boolean;
  /**
   * OTLP/HTTP endpoint that instrumented apps use (shown to users); CODEWARDEN_OTLP_URL. Unset, the
   * all-in-one launcher fills in the collector's actual address.
   */
  otlpUrl: string;
  /** True when CODEWARDEN_OTLP_URL was set. */
  otlpUrlExplicit: boolean;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  /** Key for CSRF token HMACs. */
  sessionSecret: string;
  /** True when SESSION_SECRET was unset and a random per-process secret is in use. */
  sessionSecretGenerated: boolean;
  /** smtp:// or smtps:// URL; unset means the dev mailer (sign-in links printed to stdout). */
  smtpUrl?: string;
  /** Sender address of sign-in emails. */
  smtpFrom: string;
  databaseUrl?: string;
  dataDir: string;
  adminEmail: string;
  bootstrapIngestKey?: string;
  bootstrapApiToken?: string;
  /** Link to a trace in a tracing UI, `{traceId}` replaced by the id; CODEWARDEN_TRACE_URL_TEMPLATE. */
  traceUrlTemplate: string | null;
}

const port = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return portFrom(value ?? fallback);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    });

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL");

const schema = z.object({
  WEB_PORT: port(3000),
  HOST: z.string().default("127.0.0.1"),
  SESSION_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//i.test(u), "must be an smtp:// or smtps:// URL")
    .optional(),
  SMTP_FROM: emailSchema.optional(),
  CODEWARDEN_PUBLIC_URL: httpUrl.optional(),
  CODEWARDEN_OTLP_URL: httpUrl.optional(),
  DATABASE_URL: z
    .string()
    .refine((u) => /^postgres(ql)?:\/\//i.test(u), "must be a postgres:// URL")
    .optional(),
  CODEWARDEN_DATA_DIR: z.string().default("./.codewarden"),
  CODEWARDEN_ADMIN_EMAIL: emailSchema.default("admin@localhost"),
  CODEWARDEN_BOOTSTRAP_INGEST_KEY: z.string().min(16).optional(),
  CODEWARDEN_BOOTSTRAP_API_TOKEN: z.string().min(16).optional(),
  CODEWARDEN_TRACE_URL_TEMPLATE: z
    .string()
    .superRefine((t, ctx) => {
      const problem = traceUrlTemplateProblem(t);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});

/** Parses the web service's environment; throws ConfigError naming each bad variable. */
export function loadWebConfig(env: Record<string, string | undefined>): WebConfig {
  const e = parseEnv(schema, env, "web");
  const publicUrl = (e.CODEWARDEN_PUBLIC_URL ?? `http://localhost:${e.WEB_PORT}`).replace(/\/+$/, "");
  return {
    port: e.WEB_PORT,
    host: e.HOST,
    publicUrl,
    publicUrlExplicit: e.CODEWARDEN_PUBLIC_URL !== undefined,
    otlpUrl: (e.CODEWARDEN_OTLP_URL ?? "http://localhost:4318").replace(/\/+$/, ""),
    otlpUrlExplicit: e.CODEWARDEN_OTLP_URL !== undefined,
    secureCookies: publicUrl.toLowerCase().startsWith("https://"),
    sessionSecret: e.SESSION_SECRET ?? randomBytes(32).toString("base64url"),
    sessionSecretGenerated: e.SESSION_SECRET === undefined,
    smtpUrl: e.SMTP_URL,
    smtpFrom: e.SMTP_FROM ?? `codewarden@${new URL(publicUrl).hostname}`,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CODEWARDEN_DATA_DIR,
    adminEmail: e.CODEWARDEN_ADMIN_EMAIL,
    bootstrapIngestKey: e.CODEWARDEN_BOOTSTRAP_INGEST_KEY,
    bootstrapApiToken: e.CODEWARDEN_BOOTSTRAP_API_TOKEN,
    traceUrlTemplate: e.CODEWARDEN_TRACE_URL_TEMPLATE ?? null,
  };
}
