import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppGo } from "./in-app";

const GOROUTINE = /^goroutine \d+ \[/;
const FILE_LINE = /^\s+(.+?):(\d+)(?:\s+\+0x[0-9a-fA-F]+)?\s*$/;
const CREATED_BY = /^created by (\S+)/;

/** `github.com/acme/app/db.(*Store).Get` → package `github.com/acme/app/db`, function `(*Store).Get`. */
export function splitGoFunction(qualified: string): { pkg: string | null; fn: string } {
  const slash = qualified.lastIndexOf("/");
  const dot = qualified.indexOf(".", slash + 1);
  if (dot <= 0) return { pkg: null, fn: qualified };
  return { pkg: qualified.slice(0, dot), fn: qualified.slice(dot + 1) };
}

/** `main.(*T).m(0x0, {0x1?})` → `main.(*T).m`; lines that are not calls → null. */
function callName(line: string): string | null {
  const created = CREATED_BY.exec(line);
  if (created) return created[1]!;
  if (/^\s/.test(line) || !line.endsWith(")")) return null;
  const open = line.lastIndexOf("(");
  if (open <= 0) return null;
  const name = line.slice(0, open);
  return /\s/.test(name) ? null : name;
}

/** The runtime's `panic(…)` (Go ≥ 1.17 prints the builtin) or `runtime.gopanic` (older). */
function isPanicFrame(f: StackFrame): boolean {
  if (f.module === "runtime" && f.function === "gopanic") return true;
  return f.module === null && f.function === "panic" && /(^|[/\\])runtime[/\\]panic\.go$/.test(f.file ?? "");
}

/**
 * Go panics and `debug.Stack()` / `runtime.Stack()` output: pairs of a call line and a
 * tab-indented `file:line +0xNN` line. Only the first goroutine (the one that panicked or
 * captured the stack) is read.
 *
 * When a deferred function recovered a panic and printed the stack there (recovery
 * middleware), the frames above the runtime's `panic(…)` are the recovering code, not the
 * failure: they are dropped, and the trace starts at the panic.
 */
export function parseGoStack(stacktrace: string): StackFrame[] {
  const lines = traceLines(stacktrace);
  let i = lines.findIndex((l) => GOROUTINE.test(l));
  i = i < 0 ? 0 : i + 1;
  const frames: StackFrame[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (frames.length > 0 && (GOROUTINE.test(line) || line.trim() === "")) break;
    const name = callName(line);
    if (!name) continue;
    const loc = FILE_LINE.exec(lines[i + 1] ?? "");
    if (!loc) continue;
    i++;
    const { pkg, fn } = splitGoFunction(name);
    const file = loc[1]!;
    const f = frame({ function: fn, module: pkg, file, line: toInt(loc[2]), inApp: isInAppGo(pkg, file) });
    if (!pushFrame(frames, f)) break;
  }
  let lastPanic = -1;
  for (let j = 0; j < frames.length; j++) if (isPanicFrame(frames[j]!)) lastPanic = j;
  return lastPanic > 0 ? frames.slice(lastPanic) : frames;
}
