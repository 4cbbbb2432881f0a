import { type Db, pruneExpired } from "@codewarden/drizzle";
import type pino from "pino";
import type { StorageConfig } from "./storage-config";

export interface RetentionTimer {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `pruneExpired` (bounded storage's time limits) after `firstDelayMs` and then every
 * `intervalMs`. Several workers may run it: an advisory lock lets one prune at a time.
 */
export function startRetention(
  db: Db,
  storage: StorageConfig,
  logger: pino.Logger,
  opts: { intervalMs?: number; firstDelayMs?: number } = {},
): RetentionTimer {
  const intervalMs = opts.intervalMs ?? 10 * 60_000;
  let running: Promise<void> | null = null;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = pruneExpired(db, {
      eventRetentionDays: storage.eventRetentionDays,
      eventKeyWindowHours: storage.eventKeyWindowHours,
    })
      .then((r) => {
        if (r.events + r.eventKeys + r.hourlyCounts + r.llmBudgetDays + r.llmCachedAnswers > 0)
          logger.info(r, "expired events and keys pruned");
      })
      .catch((err: unknown) => logger.warn({ err }, "pruning expired events failed; retrying next interval"))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(run, opts.firstDelayMs ?? 30_000);
  const every = setInterval(run, intervalMs);
  first.unref();
  every.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
