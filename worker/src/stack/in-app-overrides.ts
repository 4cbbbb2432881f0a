import { MAX_IN_APP_PATTERN_CHARS, MAX_IN_APP_PATTERNS } from "@codewarden/common";
import { stripBundleHash } from "../normalise-frame";
import type { StackFrame } from "./frame";

/**
 * Per-project corrections to the built-in in-app rules.
 *
 * Pattern language (patterns are user input, so it is deliberately small):
 * - A pattern is a **prefix**: it matches a value that starts with it. `com.acme.shared.`
 *   matches `com.acme.shared.Strings`; `src/lib/http/` matches `src/lib/http/client.ts`.
 * - `*` stands for any run of characters, `/` and `.` included: `*.generated.ts`,
 *   `com.acme.*Proxy`. There are no other special characters; matching is case-sensitive.
 * - A pattern is tried against the frame's **module** (JVM class, .NET type, Go package,
 *   Ruby/PHP class, npm package, Python module under site-packages) from its start, and
 *   against the frame's **file path** from the start of any path segment, both as reported
 *   and normalised (`\` → `/`, no URL scheme or host, no query, no `:line:column`, no bundle
 *   hash). So `src/lib/http/`, `lib/http/` and `/srv/app/src/lib/http/` all match
 *   `/srv/app/src/lib/http/client.ts`. `\` in a pattern is read as `/`, so PHP namespaces
 *   can be written either way (`App\Support\` or `App/Support/`).
 * - Exclude wins over include. Patterns after the first {@link MAX_IN_APP_PATTERNS} of a list,
 *   longer than {@link MAX_IN_APP_PATTERN_CHARS} characters, empty or not strings are ignored.
 *
 * Matching is plain substring search, never a regular expression built from user input, so
 * no pattern can cause catastrophic backtracking; its cost is bounded by the caps above,
 * the frame cap and the 512-character cap of frame names.
 */
export interface InAppOptions {
  /** Frames matching one of these are in-app (unless an exclude pattern matches too). */
  inAppInclude?: readonly string[];
  /** Frames matching one of these are not in-app. */
  inAppExclude?: readonly string[];
}

export { MAX_IN_APP_PATTERN_CHARS, MAX_IN_APP_PATTERNS };

/** A pattern split at its `*`: the first piece is anchored, the others are found in order. */
type CompiledPattern = readonly string[];

function compile(patterns: readonly string[] | undefined): CompiledPattern[] {
  if (!Array.isArray(patterns)) return [];
  const out: CompiledPattern[] = [];
  for (const raw of patterns.slice(0, MAX_IN_APP_PATTERNS)) {
    if (typeof raw !== "string") continue;
    const p = raw.trim();
    if (p === "" || p.length > MAX_IN_APP_PATTERN_CHARS) continue;
    out.push(canonical(p).split("*"));
  }
  return out;
}

function canonical(value: string): string {
  return value.replace(/\\/g, "/");
}

/** Whether `pieces` (a prefix pattern) matches `value` starting at `start`. Greedy is exact here. */
function matchesAt(pieces: CompiledPattern, value: string, start: number): boolean {
  const first = pieces[0]!;
  if (!value.startsWith(first, start)) return false;
  let pos = start + first.length;
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece === "") continue;
    const at = value.indexOf(piece, pos);
    if (at < 0) return false;
    pos = at + piece.length;
  }
  return true;
}

function matchesPath(pieces: CompiledPattern, path: string): boolean {
  if (matchesAt(pieces, path, 0)) return true;
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    if (i + 1 < path.length && matchesAt(pieces, path, i + 1)) return true;
  }
  return false;
}

/** The file as a plain path: `/` separators, no URL scheme/host, query, fragment or line suffix. */
function plainPath(file: string): string {
  return canonical(file)
    .replace(/^file:\/\/+/, "/")
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "")
    .replace(/[?#].*$/, "")
    .replace(/:\d+(:\d+)?$/, "");
}

/** Same file without bundle hashes (`main.3f9a1c2b.js` → `main.js`). */
function withoutBundleHash(path: string): string {
  const slash = path.lastIndexOf("/");
  return path.slice(0, slash + 1) + stripBundleHash(path.slice(slash + 1));
}

function matchesFrame(patterns: readonly CompiledPattern[], f: StackFrame): boolean {
  if (patterns.length === 0) return false;
  const module = f.module ? canonical(f.module) : null;
  const path = f.file ? plainPath(f.file) : null;
  const unhashed = path ? withoutBundleHash(path) : null;
  return patterns.some(
    (p) =>
      (module !== null && matchesAt(p, module, 0)) ||
      (path !== null && matchesPath(p, path)) ||
      (unhashed !== null && unhashed !== path && matchesPath(p, unhashed)),
  );
}

/**
 * Frames with `inApp` corrected by the project's patterns (see {@link InAppOptions}); the
 * input is returned unchanged when there are no usable patterns.
 */
export function applyInAppOverrides(frames: StackFrame[], options: InAppOptions | undefined): StackFrame[] {
  if (!options) return frames;
  const include = compile(options.inAppInclude);
  const exclude = compile(options.inAppExclude);
  if (include.length === 0 && exclude.length === 0) return frames;
  return frames.map((f) => {
    const inApp = matchesFrame(exclude, f) ? false : matchesFrame(include, f) ? true : f.inApp;
    return inApp === f.inApp ? f : { ...f, inApp };
  });
}
