import { frame, MAX_FRAMES, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppPython } from "./in-app";

/** `  File "/app/x.py", line 12, in handler` (also inside exception-group `|` borders). */
const FILE_LINE = /^[\s|+]*File "(.+)", line (\d+)(?:, in (.+?))?\s*$/;
const TRACEBACK_HEADER = /^[\s|+]*(?:Exception Group )?Traceback \(most recent call last\):\s*$/;

/** Dotted module of a file under site-packages / dist-packages, or null. */
function moduleOf(file: string): string | null {
  const f = file.replace(/\\/g, "/");
  const m = /\/(?:site|dist)-packages\/(.+)\.py$/.exec(f);
  if (!m?.[1]) return null;
  return m[1].replace(/\/__init__$/, "").replace(/\//g, ".");
}

/**
 * Python tracebacks (`traceback.format_exception`). With chained exceptions ("During
 * handling…", "The above exception was the direct cause…") the last traceback belongs to
 * the exception that was reported, so only that block is read. Python prints the innermost
 * call last; frames are returned innermost first like every other parser.
 */
export function parsePythonStack(stacktrace: string): StackFrame[] {
  const lines = traceLines(stacktrace);
  let start = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (TRACEBACK_HEADER.test(lines[i]!)) {
      start = i + 1;
      break;
    }
  }
  const outermostFirst: StackFrame[] = [];
  for (let i = start; i < lines.length; i++) {
    const m = FILE_LINE.exec(lines[i]!);
    if (!m) continue;
    const file = m[1]!;
    const fn = m[3] ?? null;
    outermostFirst.push(
      frame({ function: fn, module: moduleOf(file), file, line: toInt(m[2]), inApp: isInAppPython(file) }),
    );
  }
  return outermostFirst.reverse().slice(0, MAX_FRAMES);
}
