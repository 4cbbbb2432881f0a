/** Display helpers shared by server and browser rendering (pure, deterministic given `now`). */

const UNITS: Array<[limitSeconds: number, divisor: number, unit: string]> = [
  [60, 1, "s"],
  [3_600, 60, "min"],
  [86_400, 3_600, "h"],
  [30 * 86_400, 86_400, "d"],
  [365 * 86_400, 30 * 86_400, "mo"],
  [Number.POSITIVE_INFINITY, 365 * 86_400, "y"],
];

/**
 * "just now", "42s ago", "5 min ago", "3h ago", "2d ago", "4mo ago", "1y ago" ("in …" for the
 * future). `now` is passed in (the server's clock at render) so server and browser agree.
 */
export function relativeTime(iso: string, now: string): string {
  const seconds = Math.round((Date.parse(now) - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return "";
  const abs = Math.abs(seconds);
  if (abs < 5) return "just now";
  for (const [limit, divisor, unit] of UNITS) {
    if (abs < limit) {
      const n = Math.floor(abs / divisor);
      const text = unit === "min" ? `${n} min` : `${n}${unit}`;
      return seconds >= 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return "";
}

/** At most `max` characters (code points), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

const NUMBER = new Intl.NumberFormat("en-US");

export function formatCount(n: number): string {
  return NUMBER.format(n);
}

/** `2024-05-01 12:34:56 UTC`, the same on every machine. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Human name of an issue status. */
export function statusLabel(status: string): string {
  switch (status) {
    case "unresolved":
      return "Unresolved";
    case "regressed":
      return "Regressed";
    case "resolved":
      return "Resolved";
    case "ignored":
      return "Ignored";
    default:
      return status;
  }
}
