/**
 * Where the extra instructions of one variant of bench/sdk/instructions.ts over another ran, by function:
 * reads the cachegrind outputs `instructions.ts --keep DIR` left (`<variant>-<requests>.out`, one run after
 * the warm-up and one after warm-up + counted requests) and prints the steady-state instructions per
 * request of each function in both variants, largest difference first.
 *
 *   node --import tsx bench/sdk/cachegrind-diff.ts DIR [--base plain] [--with sdk] [--top 40]
 *
 * Functions are named as cachegrind names them: node's C++ (V8's runtime, the garbage collector, libuv),
 * V8's builtins (`Builtins_*`, embedded in the binary) and libc. JavaScript compiled at run time has no
 * symbol and is one `???` entry, so this says what kind of work grew (allocation, megamorphic property
 * access, calls into C++, garbage collection), not which JavaScript function did it.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { intArg, runMain } from "../lib/cli";
import { fmt } from "../lib/stats";
import { perRequestByFunction } from "./cachegrind";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: "string", default: "plain" },
    with: { type: "string", default: "sdk" },
    top: { type: "string", default: "40" },
  },
});

/** Per-request instructions by function of `variant`: (long run − short run) / counted requests. */
function perRequest(dir: string, variant: string): { requests: number; byFunction: Map<string, number> } {
  const runs = readdirSync(dir)
    .map((name) => /^(.+)-(\d+)\.out$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === variant)
    .map((m) => ({ file: join(dir, m[0]), amount: Number(m[2]) }))
    .sort((a, b) => a.amount - b.amount);
  if (runs.length !== 2)
    throw new Error(`expected two ${variant}-<requests>.out files in ${dir}, found ${runs.length}`);
  const [short, long] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const requests = long.amount - short.amount;
  const byFunction = perRequestByFunction(short.file, long.file, requests);
  return { requests, byFunction };
}

async function main(): Promise<void> {
  const dir = positionals[0];
  if (!dir) throw new Error("usage: cachegrind-diff.ts DIR [--base plain] [--with sdk] [--top 40]");
  const top = intArg("top", args.top, 1, 10_000);
  const base = perRequest(dir, args.base ?? "plain");
  const other = perRequest(dir, args.with ?? "sdk");
  const rows = [...new Set([...base.byFunction.keys(), ...other.byFunction.keys()])].map((key) => {
    const a = base.byFunction.get(key) ?? 0;
    const b = other.byFunction.get(key) ?? 0;
    return { key, a, b, diff: b - a };
  });
  const sum = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  console.log(
    `instructions per request: ${args.base} ${fmt(sum(base.byFunction))}, ${args.with} ${fmt(sum(other.byFunction))}`,
  );
  console.log(
    `${"difference".padStart(10)} ${String(args.base).padStart(9)} ${String(args.with).padStart(9)}  function`,
  );
  rows.sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff));
  for (const r of rows.slice(0, top))
    console.log(
      `${(r.diff >= 0 ? "+" : "") + fmt(Math.round(r.diff))}`.padStart(10) +
        ` ${fmt(Math.round(r.a)).padStart(9)} ${fmt(Math.round(r.b)).padStart(9)}  ${r.key}`,
    );
}

runMain(main);
