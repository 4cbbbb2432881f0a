import { lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { rateLimits } from "../schema/auth";

export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  hits: number;
  /** When the current window ends (the counter starts again from zero). */
  resetAt: Date;
}

/**
 * Counts one hit on `key` in a fixed window of `windowSeconds` and returns the count so far, in
 * one atomic upsert (concurrent hits from several processes are all counted). A window that has
 * ended starts again at 1. (Times go into raw SQL as ISO text: postgres.js cannot bind a Date in
 * a `sql` template.)
 */
export async function hitRateLimit(
  db: Db,
  params: { key: string; windowSeconds: number; now?: Date },
): Promise<RateLimitHit> {
  const now = params.now ?? new Date();
  const windowEndedBefore = new Date(now.getTime() - params.windowSeconds * 1000).toISOString();
  const stale = sql`${rateLimits.windowStart} <= ${windowEndedBefore}::timestamptz`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key: params.key, windowStart: now, hits: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        hits: sql`case when ${stale} then 1 else ${rateLimits.hits} + 1 end`,
        windowStart: sql`case when ${stale} then ${now.toISOString()}::timestamptz else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ hits: rateLimits.hits, windowStart: rateLimits.windowStart });
  if (!row) throw new Error("hitRateLimit: upsert returned no row");
  return { hits: row.hits, resetAt: new Date(row.windowStart.getTime() + params.windowSeconds * 1000) };
}

/** Deletes counters whose window started before `before` (they no longer limit anything). */
export async function pruneRateLimits(db: Db, params: { before: Date }): Promise<void> {
  await db.delete(rateLimits).where(lt(rateLimits.windowStart, params.before));
}
