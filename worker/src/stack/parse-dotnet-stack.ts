import { frame, pushFrame, type StackFrame, toInt, traceLines } from "./frame";
import { isInAppDotnet } from "./in-app";

/** `   at Ns.Type.Method(Int32 id) in /src/File.cs:line 42` (the ` in …` part only with PDBs). */
const AT_LINE = /^\s*at\s+([^\s(]+)\(([^()]*)\)(?:\s+in\s+(.+?):line\s+(\d+))?\s*$/;
const END_OF_INNER = /---\s*End of inner exception stack trace\s*---/;

/** `<Outer>g__Local|3_0` (local function) → `Outer.Local`; other compiler names unchanged. */
function sourceName(generated: string): string {
  const local = /^<([^<>]+)>g__([^|]+)\|\w+$/.exec(generated);
  return local ? `${local[1]}.${local[2]}` : generated;
}

/**
 * `Ns.Type.<PlaceAsync>d__5.MoveNext` → type `Ns.Type`, method `PlaceAsync`;
 * `Ns.Type.<>c__DisplayClass2_0.<Run>b__0` → type `Ns.Type`, method `Run`;
 * `Ns.Type.<<Run>g__Parse|2_0>d.MoveNext` → type `Ns.Type`, method `Run.Parse`;
 * `Ns.Type.<Run>g__Parse|2_0` → type `Ns.Type`, method `Run.Parse`;
 * `Ns.Type.<>c.<<Run>b__0_0>d.MoveNext` (async lambda) → type `Ns.Type`, method `Run`;
 * `Ns.Type.Method` → type `Ns.Type`, method `Method`.
 * The compiler's ordinals (`d__5`, `2_0`) change with unrelated edits, so they are dropped.
 */
export function splitDotnetMethod(name: string): { type: string | null; method: string } {
  // Async state machines: `<Method>d__5.MoveNext`, `<<Outer>g__Local|3_0>d.MoveNext`, `<<Run>b__0_0>d`.
  const asyncMethod = /^(.*?)\.<(<[^<>]+>(?:g__[^|]+\|\w+|b__\w+)|[^<>]+)>d(?:__\w+)?\.MoveNext$/.exec(name);
  const n = asyncMethod ? `${asyncMethod[1]!}.${asyncMethod[2]!}` : name;
  // Lambdas: `<>c.<Run>b__0_0`, `<>c__DisplayClass2_0.<Run>b__0`, `<Run>b__0` (async lambda).
  const lambda = /^(.*?)(?:\.<>c(?:__DisplayClass\w+)?)?\.<([^<>]+)>b__\w+$/.exec(n);
  if (lambda) return { type: lambda[1]!, method: lambda[2]! };
  const local = /^(.*?)\.(<[^<>]+>g__[^|]+\|\w+)$/.exec(n);
  if (local) return { type: local[1]!, method: sourceName(local[2]!) };
  if (asyncMethod) return { type: asyncMethod[1]!, method: asyncMethod[2]! };
  const dot = n.lastIndexOf(".");
  if (dot <= 0) return { type: null, method: n };
  return { type: n.slice(0, dot), method: n.slice(dot + 1) };
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
