import type { StackFrame } from "@codewarden/drizzle";

export type { StackFrame };

/** Frames kept per trace; deeper traces (recursion) keep the innermost ones. */
export const MAX_FRAMES = 256;
/** Characters of a stack trace that are parsed (the collector caps at 64 KiB already). */
export const MAX_STACK_CHARS = 64 * 1024;
/** Longer lines are cut before any regular expression sees them. */
export const MAX_LINE_CHARS = 2048;
/** Cap for function, module and file names stored with a frame. */
const MAX_NAME_CHARS = 512;

/** A parser for one language: trace text in, frames out, innermost first. Must not throw. */
export type StackParser = (stacktrace: string) => StackFrame[];

/** Lines of a trace, capped in total size and per line. */
export function traceLines(stacktrace: string): string[] {
  const text = stacktrace.length > MAX_STACK_CHARS ? stacktrace.slice(0, MAX_STACK_CHARS) : stacktrace;
  return text.split(/\r?\n/).map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
}

/** A positive integer from a captured group, or null. */
export function toInt(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number.parseInt(value, 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function cap(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const v = value.trim();
  if (v === "") return null;
  return v.length > MAX_NAME_CHARS ? v.slice(0, MAX_NAME_CHARS) : v;
}

export function frame(parts: {
  function?: string | null;
  module?: string | null;
  file?: string | null;
  line?: number | null;
  column?: number | null;
  inApp: boolean;
}): StackFrame {
  return {
    function: cap(parts.function),
    module: cap(parts.module),
    file: cap(parts.file),
    line: parts.line ?? null,
    column: parts.column ?? null,
    inApp: parts.inApp,
  };
}

/** Adds a frame unless the cap is reached; returns false when full. */
export function pushFrame(frames: StackFrame[], f: StackFrame): boolean {
  if (frames.length >= MAX_FRAMES) return false;
  frames.push(f);
  return true;
}
