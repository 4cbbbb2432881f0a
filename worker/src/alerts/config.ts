import { z } from "zod";
import { DEFAULT_ALERT_ATTEMPTS } from "./jobs";

/** Alert delivery: links, email, retries. */
export const alertsSchema = z.object({
  CODEWARDEN_PUBLIC_URL: z
    .string()
    .url()
    .refine(
      (u) => /^https?:\/\//i.test(u),
      "must be an http(s) URL (the dashboard's origin, for alert links)",
    )
    .optional(),
  SMTP_URL: z
    .string()
    .url()
    .refine((u) => /^smtps?:\/\//i.test(u), "must be an smtp:// or smtps:// URL")
    .optional(),
  SMTP_FROM: z
    .string()
    .max(254)
    .regex(/^[^\s<>"(),;:]+@[^\s<>"(),;:]+$/, "must be an email address")
    .optional(),
  CODEWARDEN_ALERT_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(DEFAULT_ALERT_ATTEMPTS),
  CODEWARDEN_ALERT_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
});

export interface AlertsConfig {
  /** Origin of the dashboard, without a trailing slash (alert links point at its issue pages). */
  publicUrl: string;
  /** Unset: alert emails are printed to stdout (dev mailer). */
  smtpUrl: string | null;
  smtpFrom: string;
  /** Attempts per delivery before it is recorded dead. */
  attempts: number;
  /** Time limit of one outbound request. */
  timeoutMs: number;
}

export function alertsFrom(c: z.infer<typeof alertsSchema>): AlertsConfig {
  const publicUrl = (c.CODEWARDEN_PUBLIC_URL ?? "http://localhost:3000").replace(/\/+$/, "");
  return {
    publicUrl,
    smtpUrl: c.SMTP_URL ?? null,
    smtpFrom: c.SMTP_FROM ?? `codewarden@${new URL(publicUrl).hostname}`,
    attempts: c.CODEWARDEN_ALERT_ATTEMPTS,
    timeoutMs: c.CODEWARDEN_ALERT_TIMEOUT_MS,
  };
}
