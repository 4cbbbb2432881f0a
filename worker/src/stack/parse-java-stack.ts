import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppJvm } from "./in-app";

/**
 * `at com.acme.Svc.run(Svc.java:12)`, with an optional class-loader/module prefix
 * (`java.base/…`, `app//…`), `(Native Method)` / `(Unknown Source)` locations, and the
 * packaging suffix Logback adds (`~[app.jar:1.4.2]`).
 */
const AT_LINE = /^\s*at\s+(?:[\w.@-]*\/{1,2})?([^\s(]+)\.([^.\s(]+)\(([^()]*)\)(?:\s+~?\[[^\][]*\])?\s*$/;
const CAUSE_LINE = /^\s*(Caused by|Suppressed):/;

function parseLocation(loc: string): { file: string | null; line: number | null } {
  const m = /^(.*?):(\d+)$/.exec(loc);
  if (m) return { file: m[1] || null, line: toInt(m[2]) };
  if (loc === "" || loc === "Native Method" || loc === "Unknown Source") return { file: null, line: null };
  return { file: loc, line: null };
}

/**
 * JVM traces (Java, Kotlin, Scala; also the Java-style traces of opentelemetry-php). Only the
 * reported exception's own frames are returned: `Caused by:` and `Suppressed:` blocks follow
 * it and describe other throwables.
 */
export function parseJavaStack(stacktrace: string): StackFrame[] {
  const frames: StackFrame[] = [];
  let started = false;
  for (const line of traceLines(stacktrace)) {
    if (started && CAUSE_LINE.test(line)) break;
    const m = AT_LINE.exec(line);
    if (!m) continue;
    started = true;
    const className = m[1]!;
    const { file, line: lineNo } = parseLocation(m[3]!);
    const f = frame({ function: m[2], module: className, file, line: lineNo, inApp: isInAppJvm(className) });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}
