/**
 * Splits a raw stack trace into the reported exception and its chained exceptions, for display.
 * The worker's parsers (worker/src/stack) read only the reported exception's frames; the causes
 * are shown from the raw text. Pure and total: any input gives a result, and sizes are capped.
 */

export type ChainRelation = "cause" | "context" | "suppressed";

export interface ChainedBlock {
  /** How this exception relates to the one before it in the chain. */
  relation: ChainRelation;
  /** The exception line (`Type: message`), as printed. */
  header: string;
  /** The block's other lines (frames), as printed, without blank lines. */
  lines: string[];
  /** Lines left out beyond the cap. */
  omitted: number;
}

export const MAX_CHAINED = 10;
export const MAX_BLOCK_LINES = 100;
/** Longer traces are only scanned this far. */
const MAX_SCAN_CHARS = 200_000;

const PY_CONTEXT = "During handling of the above exception, another exception occurred:";
const PY_CAUSE = "The above exception was the direct cause of the following exception:";
const JAVA_CAUSE = /^\s*(Caused by|Suppressed):\s?(.*)$/;
const NODE_CAUSE = /^\s*\[cause\]:\s?(.*)$/;
const DOTNET_INNER = /^\s*--->\s?(.*)$/;
const DOTNET_END_INNER = /^\s*---\s*End of inner exception stack trace\s*---\s*$/;
const PHP_NEXT = /^Next (\S.*)$/;
const RUBY_FROM = /^\s+from\s/;
const RUBY_HEADER = /^\S[^:]*:\d+:in\s/;

interface RawBlock {
  relation: ChainRelation;
  header: string;
  lines: string[];
}

/** The chained exceptions after the reported one (nearest first); empty when there are none. */
export function chainedExceptions(stacktrace: string | null | undefined): ChainedBlock[] {
  if (!stacktrace) return [];
  const lines = stacktrace.slice(0, MAX_SCAN_CHARS).split(/\r\n|\r|\n/);
  const blocks =
    python(lines) ?? dotnet(lines) ?? node(lines) ?? java(lines) ?? php(lines) ?? ruby(lines) ?? [];
  return blocks.slice(0, MAX_CHAINED).map((b) => {
    const kept = dedent(b.lines.filter((l) => l.trim() !== ""));
    return {
      relation: b.relation,
      header: b.header.trim(),
      lines: kept.slice(0, MAX_BLOCK_LINES),
      omitted: Math.max(0, kept.length - MAX_BLOCK_LINES),
    };
  });
}

/** The lines without the indentation they all share (nested causes are printed indented). */
function dedent(lines: string[]): string[] {
  let common = Number.POSITIVE_INFINITY;
  for (const l of lines) common = Math.min(common, /^\s*/.exec(l)![0].length);
  return common > 0 && common !== Number.POSITIVE_INFINITY ? lines.map((l) => l.slice(common)) : lines;
}

/** Python prints the oldest exception first; the reported one is the last traceback. */
function python(lines: string[]): RawBlock[] | null {
  const segments: string[][] = [[]];
  const separators: ChainRelation[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (t === PY_CONTEXT || t === PY_CAUSE) {
      separators.push(t === PY_CAUSE ? "cause" : "context");
      segments.push([]);
    } else segments[segments.length - 1]!.push(line);
  }
  if (separators.length === 0) return null;
  const out: RawBlock[] = [];
  // Segment i is linked to segment i + 1 by separator i; walk back from the reported exception.
  for (let i = segments.length - 2; i >= 0; i--) {
    const seg = segments[i]!.filter((l) => l.trim() !== "");
    const header = seg.pop() ?? "";
    out.push({ relation: separators[i]!, header, lines: seg });
  }
  return out;
}

/** .NET nests inner exceptions: ` ---> Inner` … `--- End of inner exception stack trace ---`. */
function dotnet(lines: string[]): RawBlock[] | null {
  if (!lines.some((l) => DOTNET_INNER.test(l))) return null;
  const out: RawBlock[] = [];
  const open: Array<RawBlock | null> = [null]; // null: the reported exception (not displayed here)
  for (const line of lines.slice(1)) {
    const inner = DOTNET_INNER.exec(line);
    if (inner) {
      const block: RawBlock = { relation: "cause", header: inner[1] ?? "", lines: [] };
      out.push(block);
      open.push(block);
    } else if (DOTNET_END_INNER.test(line)) {
      if (open.length > 1) open.pop();
    } else open[open.length - 1]?.lines.push(line);
  }
  return out;
}

/** Node's util.inspect: `{ [cause]: Error: … }`, nested causes indented further. */
function node(lines: string[]): RawBlock[] | null {
  if (!lines.some((l) => NODE_CAUSE.test(l))) return null;
  const out: RawBlock[] = [];
  let current: RawBlock | null = null;
  for (const line of lines) {
    const m = NODE_CAUSE.exec(line);
    if (m) {
      current = { relation: "cause", header: (m[1] ?? "").replace(/\s*\{$/, ""), lines: [] };
      out.push(current);
    } else if (current && !/^\s*[}\]],?\s*$/.test(line)) {
      current.lines.push(line.replace(/\s*\{$/, ""));
    }
  }
  return out;
}

/** JVM (and OpenTelemetry PHP's Java-style traces): `Caused by:` / `Suppressed:` blocks follow. */
function java(lines: string[]): RawBlock[] | null {
  if (!lines.some((l) => JAVA_CAUSE.test(l))) return null;
  const out: RawBlock[] = [];
  let current: RawBlock | null = null;
  for (const line of lines) {
    const m = JAVA_CAUSE.exec(line);
    if (m) {
      current = { relation: m[1] === "Suppressed" ? "suppressed" : "cause", header: m[2] ?? "", lines: [] };
      out.push(current);
    } else current?.lines.push(line);
  }
  return out;
}

/** PHP's `(string) $e` prints the previous exceptions first, then `Next …` up to the reported one. */
function php(lines: string[]): RawBlock[] | null {
  if (!lines.some((l) => PHP_NEXT.test(l))) return null;
  const blocks: RawBlock[] = [{ relation: "cause", header: lines[0] ?? "", lines: [] }];
  for (const line of lines.slice(1)) {
    const m = PHP_NEXT.exec(line);
    if (m) blocks.push({ relation: "cause", header: m[1] ?? "", lines: [] });
    else blocks[blocks.length - 1]!.lines.push(line);
  }
  return blocks.slice(0, -1).reverse();
}

/** Ruby's `full_message`: each cause starts with an unindented `file:line:in …: message` line. */
function ruby(lines: string[]): RawBlock[] | null {
  if (!RUBY_HEADER.test(lines[0] ?? "") || !lines.some((l) => RUBY_FROM.test(l))) return null;
  const out: RawBlock[] = [];
  let current: RawBlock | null = null;
  let sawFrom = false;
  for (const line of lines.slice(1)) {
    if (RUBY_FROM.test(line)) {
      sawFrom = true;
      current?.lines.push(line);
    } else if (sawFrom && RUBY_HEADER.test(line)) {
      current = { relation: "cause", header: line, lines: [] };
      out.push(current);
      sawFrom = false;
    } else current?.lines.push(line);
  }
  return out.length > 0 ? out : null;
}
