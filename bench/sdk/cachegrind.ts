/**
 * Reading cachegrind's output (`valgrind --tool=cachegrind --cache-sim=no`) for bench/sdk/instructions.ts and
 * bench/sdk/cachegrind-diff.ts.
 */
import { readFileSync } from "node:fs";

/** Instructions by function (`file:function`, as cachegrind names them) in one cachegrind output. */
export function instructionsByFunction(path: string): Map<string, number> {
  const totals = new Map<string, number>();
  let file = "???";
  let fn = "???";
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("fl=")) file = line.slice(3);
    else if (line.startsWith("fn=")) fn = line.slice(3);
    else if (line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) {
      const count = Number(line.split(" ")[1]);
      if (Number.isFinite(count)) {
        const key = `${file.split("/").pop()}:${fn}`;
        totals.set(key, (totals.get(key) ?? 0) + count);
      }
    }
  }
  return totals;
}

/**
 * V8's garbage collector and its compilers (parser, bytecode, TurboFan), by function name. Their share of a
 * run moves by up to 2–3% of a request between two runs of the same app: whether a major collection or an
 * optimisation lands inside the counted requests or in the warm-up is a matter of timing, and under
 * valgrind, ~30× slower, the allocation rate looks low to V8's memory reducer, which then runs major
 * collections that a real run does not (at full speed the memory app does none in 100,000 requests, with
 * or without the SDK). So the benchmark also reports the count without them, which moves less (25 to 1,000
 * instructions, 0.02–0.8%, between two runs of the same app on 2026-12-06, against up to 3,000 for the total)
 * but not nothing: which tier of V8's code (interpreter, baseline, optimised) runs a function also varies.
 * A heuristic on C++ symbol names, checked on Node.js 20.
 */
const GC_OR_COMPILER =
  /Marking|Sweep|Evacuat|Scaveng|GC|Heap|RememberedSet|MemoryChunk|sprp|popcount|SlotSet|ActiveSystemPages|IterateObjectCache|Visitor|Compactor|MarkCompact|Concurrent|compiler::|Zone|Maglev|Parser|Scanner|Ast|Bytecode|Compil|Liveness|Graph|Typer|Reducer|Schedul|LiveRange|_Rb_tree/;

export function isGcOrCompiler(fn: string): boolean {
  return GC_OR_COMPILER.test(fn);
}

/** Per-request instructions by function: (long run − short run) / (the long run's requests − the short run's). */
export function perRequestByFunction(short: string, long: string, requests: number): Map<string, number> {
  const a = instructionsByFunction(short);
  const b = instructionsByFunction(long);
  const out = new Map<string, number>();
  for (const key of new Set([...a.keys(), ...b.keys()]))
    out.set(key, ((b.get(key) ?? 0) - (a.get(key) ?? 0)) / requests);
  return out;
}
