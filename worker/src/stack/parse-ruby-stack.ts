import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppRuby } from "./in-app";

/**
 * `/app/models/user.rb:12:in 'User#name'` (Ruby 3.4 quotes) or `` in `name' `` (older), with
 * an optional `from ` prefix (`full_message`) and an optional trailing message on the first line.
 */
const RUBY_LINE =
  /^\s*(?:from\s+)?((?:[A-Za-z]:[\\/])?<internal:[^>\s]+>|(?:[A-Za-z]:[\\/])?[^\s:][^:]*?):(\d+)(?::in\s+[`'‘]([^'’]*)['’])?(?::\s.*)?\s*$/;
const FROM_LINE = /^\s+from\s/;

/**
 * Ruby backtraces (`Exception#full_message` or `backtrace.join("\n")`), innermost first.
 * `full_message` prints the causes after the reported exception, each starting with an
 * unindented `file:line:in …: message (Type)` line: reading stops there.
 */
export function parseRubyStack(stacktrace: string): StackFrame[] {
  const frames: StackFrame[] = [];
  let fullMessage = false;
  for (const line of traceLines(stacktrace)) {
    if (FROM_LINE.test(line)) fullMessage = true;
    else if (fullMessage && frames.length > 0 && /^\S/.test(line)) break;
    const m = RUBY_LINE.exec(line);
    if (!m) continue;
    const file = m[1]!;
    let fn = m[3] ?? null;
    let module: string | null = null;
    if (fn) {
      fn = fn.replace(/^(block|rescue|ensure)( \(\d+ levels\))? in /, "");
      const sep = /^(.+?)([#.])([^#.]+)$/.exec(fn);
      if (sep) {
        module = sep[1]!;
        fn = sep[3]!;
      }
    }
    if (
      !pushFrame(frames, frame({ function: fn, module, file, line: toInt(m[2]), inApp: isInAppRuby(file) }))
    )
      break;
  }
  return frames;
}
