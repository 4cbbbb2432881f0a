import { z } from "zod";
import { createScrubber, SCRUB_RULES, type Scrubber, type ScrubRule } from "./scrub";

const MAX_PATTERNS = 50;
const MAX_PATTERN_LENGTH = 500;

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** PII scrubbing settings (DESIGN.md "PII"); every built-in rule is on unless narrowed here. */
export const scrubSchema = z.object({
  CODEWARDEN_SCRUB_RULES: z
    .string()
    .optional()
    .transform((s, ctx): ScrubRule[] => {
      if (s === undefined || s.trim() === "" || s.trim() === "all") return [...SCRUB_RULES];
      if (s.trim() === "none") return [];
      const names = list(s);
      const unknown = names.filter((n) => !(SCRUB_RULES as readonly string[]).includes(n));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `unknown rule(s) ${unknown.join(", ")}; use all, none or a comma list of ${SCRUB_RULES.join(", ")}`,
        });
        return z.NEVER;
      }
      return names as ScrubRule[];
    }),
  CODEWARDEN_SCRUB_KEYS: z
    .string()
    .max(4096)
    .optional()
    .transform((s) => (s ? list(s) : [])),
  CODEWARDEN_SCRUB_PATTERNS: z
    .string()
    .max(MAX_PATTERNS * (MAX_PATTERN_LENGTH + 4))
    .optional()
    .transform((s, ctx): RegExp[] => {
      if (!s) return [];
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        ctx.addIssue({
          code: "custom",
          message: 'must be a JSON array of regular expressions, e.g. ["order-\\\\d+"]',
        });
        return z.NEVER;
      }
      const arr = z.array(z.string().min(1).max(MAX_PATTERN_LENGTH)).max(MAX_PATTERNS).safeParse(parsed);
      if (!arr.success) {
        ctx.addIssue({
          code: "custom",
          message: `must be a JSON array of at most ${MAX_PATTERNS} patterns of at most ${MAX_PATTERN_LENGTH} characters`,
        });
        return z.NEVER;
      }
      const out: RegExp[] = [];
      for (const p of arr.data) {
        try {
          out.push(new RegExp(p, "g"));
        } catch (err) {
          ctx.addIssue({
            code: "custom",
            message: `invalid pattern ${JSON.stringify(p)}: ${(err as Error).message}`,
          });
          return z.NEVER;
        }
      }
      return out;
    }),
});

export interface ScrubConfig {
  rules: ScrubRule[];
  extraKeys: string[];
  extraPatterns: RegExp[];
}

export function scrubFrom(c: z.infer<typeof scrubSchema>): ScrubConfig {
  return {
    rules: c.CODEWARDEN_SCRUB_RULES,
    extraKeys: c.CODEWARDEN_SCRUB_KEYS,
    extraPatterns: c.CODEWARDEN_SCRUB_PATTERNS,
  };
}

export function scrubberFrom(config: ScrubConfig): Scrubber {
  return createScrubber(config);
}
