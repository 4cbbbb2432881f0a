import type { AlertDeliveryJob, AlertQueue } from "@codewarden/common";
import { type Db, listStalePendingDeliveries, pruneAlertHistory } from "@codewarden/drizzle";
import type pino from "pino";

/** Ledger rows outlive the longest window (24 h) by a day; delivery records are kept 30 days. */
export const ALERT_LEDGER_KEEP_MS = 48 * 3_600_000;
export const ALERT_DELIVERIES_KEEP_MS = 30 * 24 * 3_600_000;

export interface AlertSweep {
  /** One pass now (tests); resolves with the deliveries re-enqueued. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs`: re-enqueues deliveries left `pending` for longer than `staleAfterMs` (their
 * job was lost, or a standalone web process recorded a test or a retry without a queue) and prunes old
 * ledger rows and delivery records. Several workers may run it: job ids make re-enqueues collapse.
 */
export function startAlertSweep(
  db: Db,
  queue: AlertQueue,
  logger: pino.Logger,
  opts: { intervalMs?: number; staleAfterMs?: number; now?: () => Date } = {},
): AlertSweep {
  const intervalMs = opts.intervalMs ?? 30_000;
  const staleAfterMs = opts.staleAfterMs ?? 30_000;
  const now = opts.now ?? (() => new Date());
  let running: Promise<number> | null = null;
  let stopped = false;
  let lastPrune = 0;

  const pass = async (): Promise<number> => {
    const t = now();
    const stale = await listStalePendingDeliveries(db, { olderThan: new Date(t.getTime() - staleAfterMs) });
    if (stale.length > 0) {
      await queue.enqueue(stale.map(sweptDeliveryJob));
      logger.info({ deliveries: stale.length }, "re-enqueued pending alert deliveries");
    }
    if (t.getTime() - lastPrune > 10 * 60_000) {
      lastPrune = t.getTime();
      const pruned = await pruneAlertHistory(db, {
        notificationsBefore: new Date(t.getTime() - ALERT_LEDGER_KEEP_MS),
        deliveriesBefore: new Date(t.getTime() - ALERT_DELIVERIES_KEEP_MS),
      });
      if (pruned.notifications + pruned.deliveries > 0) logger.info(pruned, "old alert records pruned");
    }
    return stale.length;
  };
  const run = (): Promise<number> => {
    if (running) return running;
    if (stopped) return Promise.resolve(0);
    running = pass()
      .catch((err: unknown) => {
        logger.warn({ err }, "alert sweep failed; retrying next interval");
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const every = setInterval(() => void run(), intervalMs);
  every.unref();
  return {
    runOnce: run,
    async stop() {
      stopped = true;
      clearInterval(every);
      await running;
    },
  };
}

/**
 * The job that re-enqueues a delivery left pending. A pending delivery has attempts only when it is a
 * dead one retried by hand (every attempt records sent, failed or dead): it goes under its retry's job
 * id, the same one the web enqueued, since the queue still holds the dead job's id. A delivery never
 * attempted goes under its own id, so that a job of it still in the queue absorbs the new one.
 */
export function sweptDeliveryJob(d: { id: string; attempts: number }): AlertDeliveryJob {
  return {
    v: 1,
    kind: "delivery",
    deliveryId: d.id,
    retry: d.attempts > 0 ? d.attempts : undefined,
  };
}
