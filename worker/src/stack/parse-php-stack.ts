import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppPhp } from "./in-app";
import { parseJavaStack } from "./parse-java-stack";

/** `#0 /var/www/src/Service.php(42): App\Service->run('x')` */
const HASH_LINE = /^\s*#\d+\s+(.+?)\((\d+)\):\s+(.+?)(?:\(.*\))?\s*$/;

/**
 * PHP `getTraceAsString()`; traces formatted Java-style (opentelemetry-php) go through the
 * JVM parser with PHP's notion of in-app (not under `vendor/`).
 *
 * In `#N file(line): callee()` the location is where `callee` was called, so the function
 * running at that location is the callee of the next line; frames are shifted accordingly
 * (the exception's own throw site is not part of the string).
 */
export function parsePhpStack(stacktrace: string): StackFrame[] {
  const rows: Array<{ file: string; line: number | null; callee: string }> = [];
  for (const line of traceLines(stacktrace)) {
    const m = HASH_LINE.exec(line);
    if (m) rows.push({ file: m[1]!, line: toInt(m[2]), callee: m[3]! });
  }
  if (rows.length === 0) {
    return parseJavaStack(stacktrace).map((f) => ({ ...f, inApp: isInAppPhp(f.file) && f.inApp }));
  }
  const frames: StackFrame[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const caller = rows[i + 1]?.callee ?? null;
    const sep = caller ? /^(.+?)(->|::)([^:>-]+)$/.exec(caller) : null;
    const f = frame({
      function: sep ? sep[3] : caller,
      module: sep ? sep[1] : null,
      file: row.file,
      line: row.line,
      inApp: isInAppPhp(row.file),
    });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}
