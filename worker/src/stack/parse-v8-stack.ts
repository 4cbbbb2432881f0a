import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppJs } from "./in-app";

/** A frame line; util.inspect appends ` {` to the last one when the error has own properties. */
const AT_LINE = /^\s*at\s+(.*?)(?:\s+\{)?\s*$/;
/** Firefox / Safari: `fn@url:line:col`, `@url:line:col`. */
const GECKO_LINE = /^\s*([^@\s]*(?:\s[^@\s]+)*)@(.+?):(\d+):(\d+)\s*$/;
const GECKO_NATIVE = /^\s*(?:([^@\s]+)@)?\[native code\]\s*$/;
const LOCATION = /^(.*?):(\d+)(?::(\d+))?$/;
const EVAL_ORIGIN = /\(([^()]+?):(\d+):(\d+)\)/;

interface Location {
  file: string | null;
  line: number | null;
  column: number | null;
}

/** `file:///app/x.js` → `/app/x.js`; other URLs and paths unchanged. */
export function fileFromUrl(file: string): string {
  if (!file.startsWith("file://")) return file;
  let path = file.slice("file://".length);
  if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function parseLocation(raw: string): Location {
  const loc = raw.trim();
  if (loc.startsWith("eval at ")) {
    const m = EVAL_ORIGIN.exec(loc);
    if (m) return { file: fileFromUrl(m[1]!), line: toInt(m[2]), column: toInt(m[3]) };
    return { file: null, line: null, column: null };
  }
  if (/^index \d+$/.test(loc)) return { file: null, line: null, column: null };
  const m = LOCATION.exec(loc);
  if (m?.[1]) return { file: fileFromUrl(m[1]), line: toInt(m[2]), column: toInt(m[3]) };
  return { file: loc === "" ? null : fileFromUrl(loc), line: null, column: null };
}

function cleanFunction(raw: string | null): string | null {
  if (!raw) return null;
  let fn = raw.trim();
  if (fn.startsWith("async ")) fn = fn.slice("async ".length);
  fn = fn.replace(/\s*\[as [^\]]*\]$/, "");
  return fn === "" ? null : fn;
}

/** npm package of a file under node_modules (scoped packages included), or null. */
function packageOf(file: string | null): string | null {
  if (!file) return null;
  const f = file.replace(/\\/g, "/");
  const i = f.lastIndexOf("node_modules/");
  if (i < 0) return null;
  const parts = f.slice(i + "node_modules/".length).split("/");
  if (parts[0]?.startsWith("@") && parts[1]) return `${parts[0]}/${parts[1]}`;
  return parts[0] || null;
}

/**
 * Memo of parsed frame lines: every occurrence of a bug repeats the same `at …` lines, and a
 * service has few distinct ones. Frames are shared read-only (overrides copy them).
 */
const frameMemo = new Map<string, StackFrame>();
const MAX_MEMO_FRAMES = 20_000;

function v8Frame(body: string): StackFrame {
  const known = frameMemo.get(body);
  if (known) return known;
  const f = computeV8Frame(body);
  if (frameMemo.size >= MAX_MEMO_FRAMES) frameMemo.clear();
  if (body.length <= 2048) frameMemo.set(body, Object.freeze(f) as StackFrame);
  return f;
}

function computeV8Frame(body: string): StackFrame {
  let fn: string | null = null;
  let location = body;
  const open = body.indexOf(" (");
  if (body.endsWith(")") && open > 0) {
    fn = body.slice(0, open);
    location = body.slice(open + 2, -1);
  } else if (body.startsWith("async ")) {
    location = body.slice("async ".length);
  }
  const loc = parseLocation(location);
  return frame({
    function: cleanFunction(fn),
    module: packageOf(loc.file),
    file: loc.file,
    line: loc.line,
    column: loc.column,
    inApp: isInAppJs(loc.file),
  });
}

/**
 * V8 traces (Node, Bun, Deno, Chrome, Edge), with Firefox/Safari `fn@url:line:col` as a
 * fallback. Only the first contiguous block of frames is read: `[cause]` and AggregateError
 * children that Node prints afterwards belong to other errors.
 */
export function parseV8Stack(stacktrace: string): StackFrame[] {
  const lines = traceLines(stacktrace);
  const frames: StackFrame[] = [];
  let started = false;
  for (const line of lines) {
    const m = AT_LINE.exec(line);
    if (m?.[1]) {
      started = true;
      if (!pushFrame(frames, v8Frame(m[1]))) break;
    } else if (started) {
      break;
    }
  }
  if (frames.length > 0) return frames;

  for (const line of lines) {
    const native = GECKO_NATIVE.exec(line);
    if (native) {
      // Safari: `dispatchEvent@[native code]`, `[native code]`.
      started = true;
      const f = frame({ function: native[1] || null, file: "[native code]", inApp: false });
      if (!pushFrame(frames, f)) break;
      continue;
    }
    const m = GECKO_LINE.exec(line);
    if (m) {
      started = true;
      const file = fileFromUrl(m[2]!);
      const fn = m[1]
        ? m[1]
            .replace(/^async\*/, "")
            .replace(/\/<$/, "")
            .replace(/<\/?$/, "")
        : null;
      const f = frame({
        function: fn === "global code" || fn === "module code" || fn === "eval code" ? null : fn,
        module: packageOf(file),
        file,
        line: toInt(m[3]),
        column: toInt(m[4]),
        inApp: isInAppJs(file),
      });
      if (!pushFrame(frames, f)) break;
    } else if (started && line.trim() !== "") {
      break;
    }
  }
  return frames;
}
