/**
 * PII scrubbing applied to every string from telemetry before it is stored or sent to an
 * LLM: emails, IP addresses, card numbers, bearer tokens, API keys, JWTs, passwords and
 * credentials in URLs.
 */

const SENSITIVE_KEY =
  /pass(word|wd|phrase)?|secret|token|api[-_.]?key|auth(orization)?|cookie|session|credential|private[-_.]?key|\bpwd\b/i;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

type Replacement = string | ((m: string, ...groups: string[]) => string);

/** The built-in rules, by name (CODEWARDEN_SCRUB_RULES picks among them; all by default). */
export const SCRUB_RULES = [
  "url-credentials",
  "bearer",
  "jwt",
  "api-key",
  "secret-value",
  "email",
  "card",
  "ip",
] as const;
export type ScrubRule = (typeof SCRUB_RULES)[number];

const RULES: Record<ScrubRule, Array<[RegExp, Replacement]>> = {
  // Credentials inside URLs: scheme://user:pass@host
  "url-credentials": [[/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, "$1[redacted]@"]],
  // Authorization headers and bearer / basic tokens.
  bearer: [[/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]"]],
  // JSON Web Tokens.
  jwt: [[/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, "[jwt]"]],
  // Well-known API key shapes: OpenAI/Anthropic, GitHub, Slack, AWS, Stripe, Google, CodeWarden.
  "api-key": [
    [
      /\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{30,}|cw_(?:ik|at)_[A-Za-z0-9_-]{10,})/g,
      "[api-key]",
    ],
  ],
  // key=value and "key": "value" pairs whose key names a secret.
  "secret-value": [
    [
      /(?<![A-Za-z0-9])((?:pass(?:word|wd|phrase)?|pwd|secret|api[-_]?key|access[-_]?token|refresh[-_]?token|auth[-_]?token|token|client[-_]?secret|private[-_]?key)["']?\s*[:=]\s*["']?)[^\s"'&,;}]{1,256}/gi,
      "$1[redacted]",
    ],
  ],
  // Emails.
  email: [
    [/[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g, "[email]"],
  ],
  // Card numbers: 13–19 digits, optionally grouped by spaces or dashes, Luhn-valid.
  card: [
    [
      /\b\d(?:[ -]?\d){12,18}\b/g,
      (m: string) => {
        const digits = m.replace(/[ -]/g, "");
        return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? "[card]" : m;
      },
    ],
  ],
  ip: [
    // IPv4 (not part of a version number such as v1.2.3.4 or pkg@1.2.3.4).
    [/(?<![\w.@/-])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w]|\.\d)/g, "[ip]"],
    // IPv6: full (8 groups) or compressed (one "::"); times like 12:30:45 do not qualify.
    [
      /(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi,
      (m: string) => {
        const compressed = m.split("::").length === 2;
        const full = !m.includes("::") && m.split(":").length === 8;
        return (compressed || full) && /\d/.test(m) ? "[ip]" : m;
      },
    ],
  ],
};

export interface ScrubOptions {
  /** Built-in rules to apply (default: all). */
  rules?: readonly ScrubRule[];
  /** Attribute key fragments (case-insensitive) whose values are dropped, besides the built-in ones. */
  extraKeys?: readonly string[];
  /** Further patterns replaced by `[redacted]` (global flag added). */
  extraPatterns?: readonly RegExp[];
}

export interface Scrubber {
  /** A string with PII replaced by placeholders. */
  text(text: string): string;
  /** Attributes with secret-named keys redacted and every string value scrubbed. */
  attributes<V extends string | number | boolean>(attributes: Record<string, V>): Record<string, V | string>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Cheap necessary conditions: a rule whose regex cannot match without this substring is skipped
 * (most telemetry strings have no `@`, `://` or token prefix, and a regex pass over a long stack
 * trace is the bulk of scrubbing's cost).
 */
const NEEDS: Partial<Record<ScrubRule, (s: string) => boolean>> = {
  "url-credentials": (s) => s.includes("://"),
  bearer: (s) => s.includes("Bearer") || s.includes("Basic") || s.includes("Token"),
  jwt: (s) => s.includes("eyJ"),
  email: (s) => s.includes("@"),
};

/** A scrubber with a chosen set of rules (deployment configuration: CODEWARDEN_SCRUB_*). */
export function createScrubber(options: ScrubOptions = {}): Scrubber {
  const chosen = new Set(options.rules ?? SCRUB_RULES);
  const rules: Array<[RegExp, Replacement, ((s: string) => boolean) | undefined]> = SCRUB_RULES.filter((r) =>
    chosen.has(r),
  ).flatMap((r) =>
    RULES[r].map(
      ([re, rep]) => [re, rep, NEEDS[r]] as [RegExp, Replacement, ((s: string) => boolean) | undefined],
    ),
  );
  for (const p of options.extraPatterns ?? []) {
    rules.push([
      new RegExp(p.source, p.flags.includes("g") ? p.flags : `${p.flags}g`),
      "[redacted]",
      undefined,
    ]);
  }
  const extraKey =
    options.extraKeys && options.extraKeys.length > 0
      ? new RegExp(options.extraKeys.map(escapeRegExp).join("|"), "i")
      : null;
  const sensitive = (key: string) => SENSITIVE_KEY.test(key) || (extraKey?.test(key) ?? false);
  const text = (input: string): string => {
    let out = input;
    for (const [re, replacement, needs] of rules) {
      if (needs && !needs(out)) continue;
      // biome-ignore lint/suspicious/noExplicitAny: String#replace accepts both forms
      out = out.replace(re, replacement as any);
    }
    return out;
  };
  return {
    text,
    attributes(attributes) {
      const out: Record<string, (typeof attributes)[string] | string> = {};
      for (const [key, value] of Object.entries(attributes)) {
        if (sensitive(key)) out[key] = "[redacted]";
        else out[key] = typeof value === "string" ? text(value) : value;
      }
      return out;
    },
  };
}

/** Every built-in rule: what runs unless the deployment configures otherwise. */
export const defaultScrubber: Scrubber = createScrubber();

/** A string with PII replaced by placeholders (every built-in rule). */
export function scrubText(text: string): string {
  return defaultScrubber.text(text);
}

/** Whether an attribute key names a secret (its value is then dropped entirely). */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Attributes with secret-named keys redacted and every string value scrubbed (every built-in rule). */
export function scrubAttributes<V extends string | number | boolean>(
  attributes: Record<string, V>,
): Record<string, V | string> {
  return defaultScrubber.attributes(attributes);
}
