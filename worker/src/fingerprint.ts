import { createHash } from "node:crypto";
import type { StackFrame } from "@codewarden/drizzle";
import {
  normaliseFile,
  normaliseFunction,
  normaliseModule,
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

/**
 * Replaces the variable parts of a message so that the same error with different data
 * groups together: URLs, emails, UUIDs, quoted strings, paths, hex ids and numbers.
 */
export function maskMessage(message: string): string {
  return message
    .slice(0, 4 * MAX_MASKED_MESSAGE_CHARS)
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, "<url>")
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "<email>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>")
    .replace(
      /"(?:[^"\\\n]|\\.){0,512}"|'(?:[^'\\\n]|\\.){0,512}'|`[^`\n]{0,512}`|‘[^’\n]{0,512}’|“[^”\n]{0,512}”/g,
      "<str>",
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

function frameKey(f: StackFrame): string[] {
  return [normaliseFunction(f.function) ?? "", normaliseModule(f.module) ?? "", normaliseFile(f.file) ?? ""];
}

/**
 * Fingerprint v1: SHA-256 (hex) of the version, the exception type and the top in-app frame
 * (function, module and file; no line, column, absolute prefix or bundle hash). Without an
 * in-app frame, the top frame plus the masked message; without a usable stack, the message
 * with its variable tokens masked. An application-supplied `codewarden.fingerprint` wins.
 */
export function computeFingerprint(input: FingerprintInput): string {
  const custom = input.fingerprint?.trim();
  if (custom) return sha256(["custom", custom]);
  const type = input.exceptionType.trim() || "Error";
  const top = topFrame(input.frames);
  if (top?.inApp) return sha256([`v${FINGERPRINT_VERSION}`, "frame", type, ...frameKey(top)]);
  // Only library/runtime frames (e.g. a socket error raised in node:net): the frame alone would
  // merge unrelated failures, so the masked message joins it.
  if (top)
    return sha256([
      `v${FINGERPRINT_VERSION}`,
      "lib-frame",
      type,
      ...frameKey(top),
      maskMessage(input.message),
    ]);
  return sha256([`v${FINGERPRINT_VERSION}`, "message", type, maskMessage(input.message)]);
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
