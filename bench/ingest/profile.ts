/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the subject's CPU time went, by
 * area of the code base (self time) and by function (self and inclusive time).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Whether only the requested window was counted. */
  windowed: boolean;
  totalMs: number;
  byArea: Array<{ area: string; selfMs: number; pct: number }>;
  topSelf: Array<{ fn: string; selfMs: number; pct: number }>;
  topInclusive: Array<{ fn: string; totalMs: number; pct: number }>;
}

/** A coarse owner for a stack frame: our packages, the big dependencies, Node, or V8. */
export function areaOf(cf: CallFrame): string {
  const u = cf.url;
  if (!u) {
    if (cf.functionName.startsWith("(")) return cf.functionName; // (idle) (program) (garbage collector) (root)
    return "native (syscalls, V8 builtins)";
  }
  const rules: Array<[RegExp, string]> = [
    [/\/collector\/src\/otlp\//, "collector: decode"],
    [/\/collector\/src\/extract\//, "collector: extract"],
    [/\/collector\/src\/queue\//, "collector: queue"],
    [/\/collector\/src\//, "collector: http/ingest"],
    [/\/worker\/src\//, "worker"],
    [/\/drizzle\/src\//, "drizzle (ours)"],
    [/\/common\/src\//, "common"],
    [/\/web\/build\//, "web"],
    [/node_modules\/@electric-sql\/pglite/, "PGlite (JS)"],
    [/^wasm:\/\//, "PGlite (WebAssembly)"], // the only WebAssembly in the launcher
    [/node_modules\/drizzle-orm/, "drizzle-orm"],
    [/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream)\//, "pino"],
    [/node_modules\/zod\//, "zod"],
    [/node_modules\/(tsx|esbuild|get-tsconfig)\//, "tsx loader"],
    [/node_modules\//, "other dependencies"],
    [/^node:/, "node core"],
  ];
  for (const [re, area] of rules) if (re.test(u)) return area;
  return "other";
}

function label(cf: CallFrame): string {
  const file = cf.url.replace(
    /^file:\/\/.*?\/(node_modules\/|(?=(collector|worker|drizzle|common|web|scripts)\/))/,
    "",
  );
  return `${cf.functionName || "(anonymous)"} ${file ? `${file}:${cf.lineNumber + 1}` : ""}`.trim();
}

/**
 * `window`: only samples taken between these CLOCK_MONOTONIC times in microseconds (the clock
 * of V8's profile timestamps and of `process.hrtime`), e.g. the load phase only. When no sample
 * falls in the window, the whole profile is used (and `windowed` says so).
 */
export function summariseProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  top = 15,
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const tally = (from: number, to: number) => {
    const self = new Map<number, number>();
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const dt = p.timeDeltas[i] ?? 0;
      t += dt;
      if (t < from || t > to) continue;
      const id = p.samples[i]!;
      self.set(id, (self.get(id) ?? 0) + Math.max(0, dt));
    }
    return self;
  };
  let selfUs = window ? tally(window.fromUs, window.toUs) : new Map<number, number>();
  const windowed = selfUs.size > 0;
  if (!windowed) selfUs = tally(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;

  const area = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  const fnIncl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const a = areaOf(node.callFrame);
    area.set(a, (area.get(a) ?? 0) + us);
    const l = label(node.callFrame);
    fnSelf.set(l, (fnSelf.get(l) ?? 0) + us);
    // Inclusive: every distinct function on this sample's stack (bounded by the tree's depth).
    const seen = new Set<string>();
    for (let cur: number | undefined = id, depth = 0; cur !== undefined && depth < 10_000; depth++) {
      const cf = byId.get(cur)!.callFrame;
      if (cf.functionName !== "(root)") {
        const key = label(cf);
        if (!seen.has(key)) {
          seen.add(key);
          fnIncl.set(key, (fnIncl.get(key) ?? 0) + us);
        }
      }
      cur = parent.get(cur);
    }
  }
  const ms = (us: number) => +(us / 1000).toFixed(0);
  const pct = (us: number) => +((100 * us) / totalUs).toFixed(1);
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    file,
    windowed,
    totalMs: ms(totalUs),
    byArea: sorted(area).map(([a, us]) => ({ area: a, selfMs: ms(us), pct: pct(us) })),
    topSelf: sorted(fnSelf)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, selfMs: ms(us), pct: pct(us) })),
    topInclusive: sorted(fnIncl)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, totalMs: ms(us), pct: pct(us) })),
  };
}

/** The main-thread profile that process `pid` wrote into `dir` (CPU.<date>.<time>.<pid>.<tid>.<n>.cpuprofile). */
export function profileOf(dir: string, pid: number): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.`))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  return files[0];
}

export function printProfile(s: ProfileSummary): void {
  const span = s.windowed ? "load phase only" : "whole process lifetime";
  console.log(
    `\nCPU profile of the subject: ${s.file} (${(s.totalMs / 1000).toFixed(1)} s sampled, ${span})`,
  );
  console.log("  self time by area:");
  for (const a of s.byArea) console.log(`    ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`);
  console.log("  top functions by self time:");
  for (const f of s.topSelf) console.log(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.fn}`);
  console.log("  top functions by inclusive time:");
  for (const f of s.topInclusive) console.log(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.fn}`);
}
