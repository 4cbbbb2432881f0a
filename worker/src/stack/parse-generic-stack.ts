import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";

/** A `path/file.ext:line[:col]` token anywhere in a line. */
const LOCATION = /((?:[A-Za-z]:)?[\w.\-/\\@~+]*[\w\-/\\@~+]\.[A-Za-z][A-Za-z0-9]{0,5}):(\d+)(?::(\d+))?/;
const AT_NAME = /^\s*at\s+([^\s(]+)/;

const LIBRARY_PATH =
  /\/(node_modules|site-packages|dist-packages|vendor|gems|pkg\/mod)\/|^(node|internal|bun):|\/usr\/(lib|local\/lib)\//;

/** Last resort for unknown formats: one frame per line that names a source location. */
export function parseGenericStack(stacktrace: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const full of traceLines(stacktrace)) {
    // Unknown shapes get a shorter line budget: the unanchored search is quadratic in the worst case.
    const line = full.length > 512 ? full.slice(0, 512) : full;
    const m = LOCATION.exec(line);
    if (!m) continue;
    const file = m[1]!;
    const at = AT_NAME.exec(line.slice(0, m.index));
    const f = frame({
      function: at?.[1] ?? null,
      file,
      line: toInt(m[2]),
      column: toInt(m[3]),
      inApp: !LIBRARY_PATH.test(file.replace(/\\/g, "/")),
    });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}
