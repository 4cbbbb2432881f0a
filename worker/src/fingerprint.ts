import { createHash } from "node:crypto";
import type { StackFrame } from "@codewarden/drizzle";
import {
  frameGroupingKey,
  groupingFunction,
  isStackCaptureFrame,
  normaliseFile,
  qualifiedName,
  topFrame,
} from "./normalise-frame";

/**
 * Version of the grouping algorithm, stored with each issue. Changing what goes into the
 * digest changes which issue new events join, so it is a deliberate, versioned step.
 */
export const FINGERPRINT_VERSION = 1;

const MAX_TITLE_CHARS = 200;
const MAX_MASKED_MESSAGE_CHARS = 1024;

export interface FingerprintInput {
  exceptionType: string;
  message: string;
  frames: readonly StackFrame[];
  /** `codewarden.fingerprint` set by the application: overrides the computed grouping. */
  fingerprint?: string | null;
}

function sha256(parts: readonly string[]): string {
  const h = createHash("sha256");
  // NUL separators: no concatenation of different parts can produce the same input.
  for (const p of parts) h.update(p, "utf8").update("\u0000");
  return h.digest("hex");
}

/** Quoted code identifiers, as engines print them (`(reading 'toFixed')`, `'NoneType'`). */
const QUOTED_IDENTIFIER = /^(['"`‘“])[A-Za-z_$][\w$]{0,63}(['"`’”])$/;

/**
 * Replaces the variable parts of a message so that the same error with different data
 * groups together: URLs, emails, UUIDs, quoted strings, paths, hex ids and numbers.
 * With `keepIdentifiers`, quoted strings that look like code identifiers are kept: the
 * engine's own messages quote property and type names there, which tell bugs apart.
 */
export function maskMessage(message: string, options: { keepIdentifiers?: boolean } = {}): string {
  return message
    .slice(0, 4 * MAX_MASKED_MESSAGE_CHARS)
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, "<url>")
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "<email>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>")
    .replace(
      /"(?:[^"\\\n]|\\.){0,512}"|'(?:[^'\\\n]|\\.){0,512}'|`[^`\n]{0,512}`|‘[^’\n]{0,512}’|“[^”\n]{0,512}”/g,
      (quoted) => (options.keepIdentifiers && QUOTED_IDENTIFIER.test(quoted) ? quoted : "<str>"),
    )
    .replace(/(?:[A-Za-z]:)?(?:\/|\\)[\w.\-~@]+(?:[/\\][\w.\-~@]*)+/g, "<path>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}\b/gi, "<hex>")
    .replace(/\b\w{8,}\b/g, (tok) => (countDigits(tok) >= 2 ? "<id>" : tok))
    .replace(/\b\d+(?:[.,]\d+)*\b/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_MASKED_MESSAGE_CHARS);
}

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

/** In-app frames below an unnamed top frame that are searched for a named one. */
const NAMED_FRAME_LOOKAHEAD = 5;

/**
 * Fingerprint v1: SHA-256 (hex) of the version, the exception type and the top in-app frame's
 * grouping key (function and module, or file when there is no module; no line, column,
 * absolute prefix, bundle hash or generated ordinal). Then:
 * - when the top in-app frame has no usable name (anonymous callback, lambda, minified), the
 *   nearest named in-app frame below it joins the key, or, without one, the masked message
 *   (quoted identifiers kept);
 * - when the stack was captured where the error was *reported* (Go's `RecordError` with
 *   `WithStackTrace`, `debug.Stack()` outside a panic), the masked message joins the key;
 * - without an in-app frame, the top frame plus the masked message;
 * - without a usable stack, the type and the masked message.
 * An application-supplied `codewarden.fingerprint` wins over all of this.
 */
export function computeFingerprint(input: FingerprintInput): string {
  const custom = input.fingerprint?.trim();
  if (custom) return sha256(["custom", custom]);
  const type = input.exceptionType.trim() || "Error";
  const version = `v${FINGERPRINT_VERSION}`;
  const frames = input.frames;
  const topIndex = frames.findIndex((f) => f.inApp && (f.function || f.file || f.module));
  const top = frames[topIndex];
  if (top) {
    const parts = [version, "frame", type, ...frameGroupingKey(top)];
    if (groupingFunction(top) === "") {
      const named = frames
        .slice(topIndex + 1)
        .filter((f) => f.inApp)
        .slice(0, NAMED_FRAME_LOOKAHEAD)
        .find((f) => groupingFunction(f) !== "");
      if (named) parts.push("caller", ...frameGroupingKey(named));
      else parts.push("message", maskMessage(input.message, { keepIdentifiers: true }));
    }
    if (frames.slice(0, topIndex).some(isStackCaptureFrame))
      parts.push("reported", maskMessage(input.message));
    return sha256(parts);
  }
  // Only library/runtime frames (e.g. a socket error raised in node:net): the frame alone would
  // merge unrelated failures, so the masked message joins it.
  const lib = topFrame(frames);
  if (lib) return sha256([version, "lib-frame", type, ...frameGroupingKey(lib), maskMessage(input.message)]);
  return sha256([version, "message", type, maskMessage(input.message)]);
}

function capTitle(s: string): string {
  return s.length > MAX_TITLE_CHARS ? `${s.slice(0, MAX_TITLE_CHARS - 1)}…` : s;
}

/** `Type: first line of the message`, capped at 200 characters. */
export function issueTitle(event: { exceptionType: string; message: string }): string {
  const type = event.exceptionType.trim();
  const firstLine =
    event.message
      .split(/\r?\n/)
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  if (!type) return capTitle(firstLine || "Error");
  if (!firstLine || firstLine === type) return capTitle(type);
  return capTitle(`${type}: ${firstLine}`);
}

/**
 * Where the error happened, for lists: `function (file)` of the top in-app frame (the top
 * frame when none is in-app), with the file normalised; null without frames.
 */
export function culprit(frames: readonly StackFrame[]): string | null {
  const top = topFrame(frames);
  if (!top) return null;
  const name = qualifiedName(top);
  const file = normaliseFile(top.file);
  const out = name && file ? `${name} (${file})` : (name ?? file);
  return out ? capTitle(out) : null;
}
