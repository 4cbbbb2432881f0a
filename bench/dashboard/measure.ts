import type postgres from "postgres";
import { cpuSeconds } from "../lib/proc";
import { median } from "../lib/stats";
import { FETCH_TIMEOUT_MS } from "./web";

export { cpuSeconds, median };

/** One measured request: resolves to the response size in bytes, throws on anything but 200. */
export type Probe = () => Promise<number>;

export interface Target {
  /** Short id used in the JSON (`list`, `issue-hot`, …). */
  id: string;
  label: string;
  probe: Probe;
  /** Path requested (pages only). */
  path?: string;
}

export function httpProbe(base: string, path: string, cookie: string): Probe {
  return async () => {
    const res = await fetch(`${base}${path}`, {
      headers: { cookie },
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return body.byteLength;
  };
}

export function selectOneProbe(sql: postgres.Sql): Probe {
  return async () => {
    await sql`select 1`;
    return 0;
  };
}

export interface Batch {
  samples: number[];
  errors: string[];
  bytes: number;
  wallMs: number;
}

/** `requests` calls of `probe` by `concurrency` clients, each waiting for its previous answer. */
export async function runBatch(probe: Probe, requests: number, concurrency: number): Promise<Batch> {
  const samples: number[] = [];
  const errors: string[] = [];
  let bytes = 0;
  let issued = 0;
  const t0 = performance.now();
  const client = async () => {
    while (issued < requests) {
      issued++;
      const t = performance.now();
      try {
        bytes = await probe();
        samples.push(performance.now() - t);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { samples, errors, bytes, wallMs: performance.now() - t0 };
}

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in ms (rounded to 0.01). */
export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    p99: r(at(0.99)),
    max: r(s[s.length - 1] ?? Number.NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
  };
}

/** CPU seconds of several processes (the web service, the Postgres backends of its pool). */
export function cpuOf(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (Number.isFinite(s)) sum += s;
  }
  return sum;
}

export interface TargetResult {
  id: string;
  label: string;
  path?: string;
  concurrency: number;
  stats: Stats;
  /** p50 of each round, ms. */
  roundP50: number[];
  /** Median over rounds of (this target's round p50 / the baseline's round p50). */
  ratioP50: number;
  /** p95 over all samples / the baseline's p95 over all samples. */
  ratioP95: number;
  errors: number;
  firstError?: string;
  responseBytes: number;
  /** CPU per request, ms: the web process, and the Postgres backends of this database. */
  webCpuMsPerRequest: number;
  postgresCpuMsPerRequest: number;
  /** Requests per second the clients achieved (all rounds). */
  requestsPerSecond: number;
}

export interface RoundOptions {
  rounds: number;
  requests: number;
  concurrency: number;
  warmup: number;
  webPid: number;
  /** Postgres backend pids to charge (read each round: the pool opens connections lazily). */
  postgresPids: () => Promise<number[]>;
  log: (line: string) => void;
}

/**
 * All targets, `rounds` times, alternating; `targets[0]` is the baseline the ratios refer to.
 */
export async function measureTargets(targets: Target[], o: RoundOptions): Promise<TargetResult[]> {
  const acc = targets.map(() => ({
    samples: [] as number[],
    roundP50: [] as number[],
    errors: [] as string[],
    bytes: 0,
    wallMs: 0,
    webCpu: 0,
    pgCpu: 0,
  }));
  if (o.warmup > 0) for (const t of targets) await runBatch(t.probe, o.warmup, 1);
  for (let round = 0; round < o.rounds; round++) {
    const order = targets.map((_, i) => (i + round) % targets.length);
    const pgPids = await o.postgresPids();
    for (const i of order) {
      const a = acc[i]!;
      const web0 = cpuSeconds(o.webPid);
      const pg0 = cpuOf(pgPids);
      const b = await runBatch(targets[i]!.probe, o.requests, o.concurrency);
      a.webCpu += cpuSeconds(o.webPid) - web0;
      a.pgCpu += cpuOf(pgPids) - pg0;
      a.samples.push(...b.samples);
      a.roundP50.push(stats(b.samples).p50);
      a.errors.push(...b.errors);
      a.bytes = b.bytes || a.bytes;
      a.wallMs += b.wallMs;
    }
    o.log(
      `  c=${o.concurrency} round ${round + 1}/${o.rounds}: ${targets
        .map((t, i) => `${t.id} ${acc[i]!.roundP50[round]!.toFixed(1)}`)
        .join(", ")} ms (p50)`,
    );
  }
  const base = acc[0]!;
  const baseStats = stats(base.samples);
  return targets.map((t, i) => {
    const a = acc[i]!;
    const s = stats(a.samples);
    const requests = a.samples.length + a.errors.length;
    return {
      id: t.id,
      label: t.label,
      path: t.path,
      concurrency: o.concurrency,
      stats: s,
      roundP50: a.roundP50.map((x) => Math.round(x * 100) / 100),
      ratioP50: +median(a.roundP50.map((p, r) => p / base.roundP50[r]!)).toFixed(1),
      ratioP95: +(s.p95 / baseStats.p95).toFixed(1),
      errors: a.errors.length,
      firstError: a.errors[0],
      responseBytes: a.bytes,
      webCpuMsPerRequest: +((a.webCpu * 1000) / requests).toFixed(2),
      postgresCpuMsPerRequest: +((a.pgCpu * 1000) / requests).toFixed(2),
      requestsPerSecond: +(requests / (a.wallMs / 1000)).toFixed(1),
    };
  });
}
