import type { ChartPeriod } from "./list-params";

/** Time buckets of the event charts (sparklines, occurrences), in UTC. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface SeriesWindow {
  /** ISO start of the first bucket. */
  start: string;
  bucketMs: number;
  buckets: number;
}

/**
 * The window ending with the bucket that contains `now`: 24 hours by hour, or 14 days by
 * (UTC) day. The current hour or day is included, so it may be partial.
 */
export function seriesWindow(period: ChartPeriod, now: Date): SeriesWindow {
  const bucketMs = period === "24h" ? HOUR_MS : DAY_MS;
  const buckets = period === "24h" ? 24 : 14;
  const current = Math.floor(now.getTime() / bucketMs) * bucketMs;
  return { start: new Date(current - (buckets - 1) * bucketMs).toISOString(), bucketMs, buckets };
}

/** Start of bucket `index` as an ISO string. */
export function bucketStart(window: SeriesWindow, index: number): string {
  return new Date(Date.parse(window.start) + index * window.bucketMs).toISOString();
}

/** "Mar 10 14:00" for hourly buckets, "Mar 10" for daily ones (UTC). */
export function bucketLabel(window: SeriesWindow, index: number): string {
  const d = new Date(Date.parse(window.start) + index * window.bucketMs);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  if (window.bucketMs >= DAY_MS) return day;
  return `${day} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
