import { z } from "zod";

/**
 * A deliberately permissive address check: one `@`, no whitespace, quotes, angle brackets or
 * other characters that could break an SMTP envelope or a header. Unlike zod's `email()`, it
 * accepts single-label domains such as the default admin `admin@localhost`.
 */
const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const emailSchema = z
  .string()
  .trim()
  .max(254, "is too long")
  .regex(EMAIL_RE, "must be an email address")
  .transform((e) => e.toLowerCase());

export function normaliseEmail(value: string): string | null {
  const r = emailSchema.safeParse(value);
  return r.success ? r.data : null;
}
