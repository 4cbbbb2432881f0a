/** Text and number formatting for the evidence report (pure; the PDF's standard fonts are WinAnsi). */

/** Characters beyond Latin-1 that WinAnsi (the standard PDF fonts' encoding) can draw. */
const WIN_ANSI_EXTRA = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");

/**
 * Makes an untrusted string safe to draw with a standard font: control characters (line breaks
 * included) become spaces, runs of whitespace collapse, characters the font cannot encode become
 * `?`, and the result is capped at `max` characters (ending in `…` when cut).
 */
export function safeText(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined) return "";
  let out = "";
  let length = 0;
  let space = false;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const isSpace = code <= 0x20 || (code >= 0x7f && code <= 0xa0) || ch === "\u2028" || ch === "\u2029";
    if (isSpace) {
      space = length > 0;
      continue;
    }
    const drawable = (code > 0x20 && code < 0x7f) || (code > 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch);
    const next = (space ? " " : "") + (drawable ? ch : "?");
    space = false;
    if (length + next.length > max) {
      return `${out.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
    }
    out += next;
    length += next.length;
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-03-02 00:00 UTC`. */
export function formatTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** `2026-03-02`. */
export function formatDay(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A duration for people: `45 s`, `12 min`, `2 h 48 min`, `3 d 4 h`; `-` for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "-";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}
