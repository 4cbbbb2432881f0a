/**
 * Where the SDK's cost is: the CPU profiles of the app without and with the SDK (same load, each
 * over its last measured round), as self time per 1,000 requests, by area and by function, and the
 * difference between the two.
 */
import type { ProfileSummary } from "../ingest/profile";

export interface ProfiledRound {
  profile: ProfileSummary;
  responses: number;
}

export interface ProfileDiff {
  byArea: Array<{ area: string; withoutMsPerK: number; withMsPerK: number; deltaMsPerK: number }>;
  topGrowth: Array<{ fn: string; withoutMsPerK: number; withMsPerK: number; deltaMsPerK: number }>;
}

const perK = (ms: number, responses: number) => (ms * 1000) / Math.max(1, responses);

function table<T extends { selfMs: number }>(
  rows: T[],
  key: (r: T) => string,
  responses: number,
): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + perK(r.selfMs, responses));
  return m;
}

function diff(a: Map<string, number>, b: Map<string, number>) {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .filter((k) => k !== "(idle)")
    .map((k) => {
      const withoutMsPerK = +(a.get(k) ?? 0).toFixed(2);
      const withMsPerK = +(b.get(k) ?? 0).toFixed(2);
      return { key: k, withoutMsPerK, withMsPerK, deltaMsPerK: +(withMsPerK - withoutMsPerK).toFixed(2) };
    })
    .sort((x, y) => y.deltaMsPerK - x.deltaMsPerK);
}

export function diffProfiles(without: ProfiledRound, withSdk: ProfiledRound, top = 12): ProfileDiff {
  const areas = diff(
    table(without.profile.byArea, (r) => r.area, without.responses),
    table(withSdk.profile.byArea, (r) => r.area, withSdk.responses),
  );
  const fns = diff(
    table(without.profile.topSelf, (r) => r.fn, without.responses),
    table(withSdk.profile.topSelf, (r) => r.fn, withSdk.responses),
  );
  return {
    byArea: areas.map(({ key, ...r }) => ({ area: key, ...r })),
    topGrowth: fns.slice(0, top).map(({ key, ...r }) => ({ fn: key, ...r })),
  };
}

export function printProfileDiff(d: ProfileDiff): void {
  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(
    "\nCPU profiles, self time in ms per 1,000 requests (last round of each): without → with SDK (Δ)",
  );
  console.log("  by area:");
  for (const a of d.byArea) {
    console.log(`    ${f(a.withoutMsPerK)} → ${f(a.withMsPerK)}  (${f(a.deltaMsPerK)})  ${a.area}`);
  }
  console.log("  functions that grew most:");
  for (const x of d.topGrowth) {
    console.log(`    ${f(x.withoutMsPerK)} → ${f(x.withMsPerK)}  (${f(x.deltaMsPerK)})  ${x.fn}`);
  }
}
