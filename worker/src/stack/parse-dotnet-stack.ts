import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppDotnet } from "./in-app";

/** `   at Ns.Type.Method(Int32 id) in /src/File.cs:line 42` (the ` in …` part only with PDBs). */
const AT_LINE = /^\s*at\s+([^\s(]+)\(([^()]*)\)(?:\s+in\s+(.+?):line\s+(\d+))?\s*$/;
const END_OF_INNER = /---\s*End of inner exception stack trace\s*---/;

/**
 * `Ns.Type.<PlaceAsync>d__5.MoveNext` → type `Ns.Type`, method `PlaceAsync`;
 * `Ns.Type.<>c__DisplayClass2_0.<Run>b__0` → type `Ns.Type`, method `Run`;
 * `Ns.Type.Method` → type `Ns.Type`, method `Method`.
 */
export function splitDotnetMethod(name: string): { type: string | null; method: string } {
  const asyncMethod = /^(.*?)\.<([^>]+)>d__\w+\.MoveNext$/.exec(name);
  if (asyncMethod) return { type: asyncMethod[1]!, method: asyncMethod[2]! };
  const lambda = /^(.*?)\.<>c(?:__DisplayClass\w+)?\.<([^>]+)>b__\w+$/.exec(name);
  if (lambda) return { type: lambda[1]!, method: lambda[2]! };
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return { type: null, method: name };
  return { type: name.slice(0, dot), method: name.slice(dot + 1) };
}

/**
 * .NET `Exception.ToString()`. Inner exceptions are printed first and closed by
 * "--- End of inner exception stack trace ---"; the reported (outer) exception's frames
 * are the ones after the last such marker.
 */
export function parseDotnetStack(stacktrace: string): StackFrame[] {
  const lines = traceLines(stacktrace);
  let start = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (END_OF_INNER.test(lines[i]!)) {
      start = i + 1;
      break;
    }
  }
  const frames: StackFrame[] = [];
  for (let i = start; i < lines.length; i++) {
    const m = AT_LINE.exec(lines[i]!);
    if (!m) continue;
    const { type, method } = splitDotnetMethod(m[1]!);
    const f = frame({
      function: method,
      module: type,
      file: m[3] ?? null,
      line: toInt(m[4]),
      inApp: isInAppDotnet(type),
    });
    if (!pushFrame(frames, f)) break;
  }
  return frames;
}
