import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppPhp, isInAppPhpClass, isVendorPhpClass } from "./in-app";

/** `#0 /var/www/src/Service.php(42): App\Service->run('x')` or `#3 [internal function]: App\X->y()` */
const HASH_LINE = /^\s*#\d+\s+(?:(.+?)\((\d+)\)|\[internal function\]):\s+(.+?)(?:\(.*\))?\s*$/;
/** End of the header of `(string) $exception`: `Type: message in /path/File.php:12`. */
const THROW_SITE = /^((?:[A-Za-z]:)?[\\/][^:]*\.php|[^\s:]+\.php):(\d+)\s*$/;

/** The location after the header's last ` in ` (messages may contain " in " themselves). */
function throwSiteOf(line: string): { file: string; line: number | null } | null {
  const at = line.lastIndexOf(" in ");
  if (at < 0) return null;
  const m = THROW_SITE.exec(line.slice(at + " in ".length));
  return m ? { file: m[1]!, line: toInt(m[2]) } : null;
}
/**
 * OpenTelemetry PHP's Java-style trace (`StackTraceFormatter`): `at App.Service.run(Service.php:42)`,
 * `at helper(helpers.php:3)`, `at {main}(index.php:20)`, `(Unknown Source)`.
 */
const JAVA_STYLE_AT = /^\s*at\s+([^\s(]+)\(([^()]*)\)\s*$/;
const JAVA_STYLE_CAUSE = /^\s*Caused by:/;
const NEXT_BLOCK = /^Next \S/;
/** The `in file:line` header ends the (possibly multi-line) message before `Stack trace:`. */
const MAX_HEADER_LINES = 20;

function splitCallee(callee: string | null): { module: string | null; fn: string | null } {
  if (!callee) return { module: null, fn: null };
  const sep = /^(.+?)(?:->|::)(\{closure[^}]*\}|[^:>-]+)$/.exec(callee);
  return sep ? { module: sep[1]!, fn: sep[2]! } : { module: null, fn: callee };
}

/** OpenTelemetry PHP's Java-style format; namespaces are written back with `\`. */
function parseJavaStyle(stacktrace: string): StackFrame[] {
  const frames: StackFrame[] = [];
  let started = false;
  for (const line of traceLines(stacktrace)) {
    if (started && JAVA_STYLE_CAUSE.test(line)) break;
    const m = JAVA_STYLE_AT.exec(line);
    if (!m) continue;
    started = true;
    const qualified = m[1]!;
    const dot = qualified.lastIndexOf(".");
    const module = dot > 0 ? qualified.slice(0, dot).replace(/\./g, "\\") : null;
    const fn = dot > 0 ? qualified.slice(dot + 1) : qualified;
    const loc = /^(.*?):(\d+)$/.exec(m[2]!);
    const file = loc ? loc[1]! : m[2] === "Unknown Source" || m[2] === "" ? null : m[2]!;
    const f = frame({ function: fn, module, file, line: toInt(loc?.[2]), inApp: isInAppPhpClass(module) });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}

/**
 * PHP traces: `getTraceAsString()` (optionally after the `Type: message in file:line` line
 * of `(string) $e`), and OpenTelemetry PHP's Java-style format.
 *
 * In `#N file(line): callee()` the location is where `callee` was called, so the function
 * running at that location is the callee of the next line; frames are shifted accordingly.
 * The innermost frame is the callee of `#0`, the function that threw: its location is the
 * `in file:line` of the header when there is one. With chained exceptions (`Next …`), only
 * the reported (last) exception's block is read.
 */
export function parsePhpStack(stacktrace: string): StackFrame[] {
  let lines = traceLines(stacktrace);
  // `(string) $e` prints previous exceptions first; the reported one is the last `Next …` block.
  const next = lines.findLastIndex((l) => NEXT_BLOCK.test(l));
  if (next > 0) lines = lines.slice(next);
  const rows: Array<{ file: string | null; line: number | null; callee: string }> = [];
  let throwSite: { file: string; line: number | null } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = HASH_LINE.exec(line);
    if (m) rows.push({ file: m[1] ?? null, line: toInt(m[2]), callee: m[3]! });
    else if (rows.length === 0 && throwSite === null && i < MAX_HEADER_LINES) {
      throwSite = throwSiteOf(line);
    }
  }
  if (rows.length === 0) return parseJavaStyle(stacktrace);

  const frames: StackFrame[] = [];
  const thrower = splitCallee(rows[0]!.callee);
  if (thrower.fn && thrower.fn !== "{main}") {
    frames.push(
      frame({
        function: thrower.fn,
        module: thrower.module,
        file: throwSite?.file ?? null,
        line: throwSite?.line ?? null,
        // A vendor class throwing for app code (an error handler turning a warning into an
        // ErrorException) reports the app's file: the class decides then.
        inApp: throwSite
          ? isInAppPhp(throwSite.file) && !isVendorPhpClass(thrower.module)
          : isInAppPhpClass(thrower.module),
      }),
    );
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const { module, fn } = splitCallee(rows[i + 1]?.callee ?? null);
    const f = frame({
      function: fn,
      module,
      file: row.file,
      line: row.line,
      inApp: isInAppPhp(row.file),
    });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}
