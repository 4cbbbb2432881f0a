import { sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { type Db, rowsOf } from "../client";
import { eventKeys, events } from "../schema/events";
import { issueHourlyCounts, llmBudgetUsage, llmSummaryCache } from "../schema/issues";

/** Advisory lock id of the retention job: one worker at a time prunes, the others skip. */
const RETENTION_LOCK_ID = 0x63770002;

export interface PruneParams {
  /**
   * Event bodies received, hourly counts, LLM budget days and cached LLM answers older than this many days
   * are deleted.
   */
  eventRetentionDays: number;
  /** Natural keys seen longer ago than this are forgotten. */
  eventKeyWindowHours: number;
  /** Rows per delete statement (each in its own short transaction). */
  batchSize?: number;
  /** Upper bound on statements per table per run (a run never holds the database for long). */
  maxBatches?: number;
  now?: Date;
}

export interface PruneResult {
  /** False when another process holds the retention lock (nothing was done). */
  ran: boolean;
  events: number;
  eventKeys: number;
  hourlyCounts: number;
  llmBudgetDays: number;
  llmCachedAnswers: number;
}

/**
 * Applies bounded storage's time limits: deletes event bodies older than the retention period,
 * natural keys older than the retry window, and hourly counts, LLM budget days and cached LLM answers
 * older than the retention period, in small batches. (A cached answer only spares a call for the very same
 * prompt; the issue keeps the summary it was written into.) Issues, their counters and summaries stay.
 */
export async function pruneExpired(db: Db, params: PruneParams): Promise<PruneResult> {
  const now = params.now ?? new Date();
  const batch = params.batchSize ?? 5000;
  const maxBatches = params.maxBatches ?? 200;
  const eventsBefore = new Date(now.getTime() - params.eventRetentionDays * 86_400_000).toISOString();
  const keysBefore = new Date(now.getTime() - params.eventKeyWindowHours * 3_600_000).toISOString();

  // Each batch is its own short transaction holding a transaction-level advisory lock (a pool
  // may run statements on different connections, so a session lock could not be released).
  let ran = true;
  const drain = async (statement: (tx: Db) => ReturnType<Db["execute"]>): Promise<number> => {
    let total = 0;
    for (let i = 0; i < maxBatches && ran; i++) {
      const n = await db.transaction(async (tx) => {
        const got = rowsOf<{ locked: boolean }>(
          await tx.execute(sql`select pg_try_advisory_xact_lock(${RETENTION_LOCK_ID}) as locked`),
        );
        if (!got[0]?.locked) {
          ran = false;
          return 0;
        }
        return Number(rowsOf<{ n: number }>(await statement(tx))[0]?.n ?? 0);
      });
      total += n;
      if (n < batch) break;
    }
    return total;
  };
  /** Deletes up to `batch` rows of `table` whose `time` is before `before`, identified by `key`. */
  const expire = (table: PgTable, key: string, time: string, before: string) =>
    drain((tx) =>
      tx.execute(sql`
        with gone as (
          delete from ${table} where (${sql.raw(key)}) in (
            select ${sql.raw(key)} from ${table} where ${sql.raw(time)} < ${before}::timestamptz limit ${batch})
          returning 1)
        select count(*)::int as n from gone`),
    );
  const eventsDeleted = await expire(events, "id", "received_at", eventsBefore);
  const keysDeleted = await expire(eventKeys, "project_id, event_key", "seen_at", keysBefore);
  const countsDeleted = await expire(issueHourlyCounts, "issue_id, hour", "hour", eventsBefore);
  const budgetDaysDeleted = await expire(llmBudgetUsage, "project_id, day", "day", eventsBefore);
  const answersDeleted = await expire(
    llmSummaryCache,
    "project_id, prompt_digest",
    "created_at",
    eventsBefore,
  );
  return {
    ran,
    events: eventsDeleted,
    eventKeys: keysDeleted,
    hourlyCounts: countsDeleted,
    llmBudgetDays: budgetDaysDeleted,
    llmCachedAnswers: answersDeleted,
  };
}
