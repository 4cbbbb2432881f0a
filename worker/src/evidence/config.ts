import { parseEnv } from "@codewarden/common";
import { z } from "zod";

/**
 * Where evidence reports are kept. With `CODEWARDEN_REPORTS_S3_BUCKET` set: an S3-compatible
 * bucket (Cloudflare R2 in production: endpoint `https://<account>.r2.cloudflarestorage.com`,
 * region `auto`). Otherwise (the all-in-one default): the folder `CODEWARDEN_DATA_DIR/reports`.
 * Reports are never public: they are read back through the app (streamed, or a short-lived
 * signed URL).
 */
const bool = z
  .enum(["true", "false", "1", "0"], { error: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

export const reportsSchema = z.object({
  CODEWARDEN_DATA_DIR: z.string().min(1).default("./.codewarden"),
  CODEWARDEN_REPORTS_S3_ENDPOINT: z
    .string()
    .url("must be the S3 API URL, e.g. https://<account>.r2.cloudflarestorage.com")
    .regex(/^https?:\/\//, "must be an http:// or https:// URL")
    .optional(),
  CODEWARDEN_REPORTS_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a bucket name (3-63 of a-z 0-9 . -)")
    .optional(),
  CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID: z.string().min(1).max(256).optional(),
  CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY: z.string().min(1).max(512).optional(),
  CODEWARDEN_REPORTS_S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be a region name ("auto" for Cloudflare R2)')
    .default("auto"),
  CODEWARDEN_REPORTS_S3_FORCE_PATH_STYLE: bool.default(false),
  CODEWARDEN_REPORTS_SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
});

type ReportsEnv = z.infer<typeof reportsSchema>;

/**
 * The S3 variables that need each other (kept apart from the shape so a service's schema can
 * `.extend(reportsSchema.shape).superRefine(refineReports)`).
 */
export function refineReports(c: ReportsEnv, ctx: z.RefinementCtx): void {
  const s3Vars = [
    "CODEWARDEN_REPORTS_S3_ENDPOINT",
    "CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID",
    "CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY",
  ] as const;
  if (c.CODEWARDEN_REPORTS_S3_BUCKET === undefined) {
    for (const name of s3Vars) {
      if (c[name] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["CODEWARDEN_REPORTS_S3_BUCKET"],
          message: `required when ${name} is set (reports go to the local folder without it)`,
        });
        return;
      }
    }
    return;
  }
  for (const name of [
    "CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID",
    "CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY",
  ] as const) {
    if (c[name] === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "required when CODEWARDEN_REPORTS_S3_BUCKET is set",
      });
    }
  }
}

export interface S3ReportsConfig {
  kind: "s3";
  /** Custom endpoint (R2, MinIO, …); undefined for AWS S3 itself. */
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO, local servers). */
  forcePathStyle: boolean;
}

export interface LocalReportsConfig {
  kind: "local";
  /** `CODEWARDEN_DATA_DIR/reports`. */
  dir: string;
}

export interface ReportsConfig {
  storage: S3ReportsConfig | LocalReportsConfig;
  /** Lifetime of a signed download URL. */
  signedUrlTtlSeconds: number;
}

export function reportsFrom(c: ReportsEnv): ReportsConfig {
  const storage: ReportsConfig["storage"] =
    c.CODEWARDEN_REPORTS_S3_BUCKET !== undefined
      ? {
          kind: "s3",
          endpoint: c.CODEWARDEN_REPORTS_S3_ENDPOINT,
          bucket: c.CODEWARDEN_REPORTS_S3_BUCKET,
          region: c.CODEWARDEN_REPORTS_S3_REGION,
          accessKeyId: c.CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID!,
          secretAccessKey: c.CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY!,
          forcePathStyle: c.CODEWARDEN_REPORTS_S3_FORCE_PATH_STYLE,
        }
      : { kind: "local", dir: `${c.CODEWARDEN_DATA_DIR.replace(/\/+$/, "")}/reports` };
  return { storage, signedUrlTtlSeconds: c.CODEWARDEN_REPORTS_SIGNED_URL_TTL_SECONDS };
}

/** Parses the report storage settings; throws ConfigError naming each bad variable. */
export function loadReportsConfig(
  env: Record<string, string | undefined>,
  service = "worker",
): ReportsConfig {
  return reportsFrom(parseEnv(reportsSchema.superRefine(refineReports), env, service));
}
