import type { AlertQueue } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import type pino from "pino";

/**
 * The worker's alert modules, loaded through non-literal specifiers: a static import would make
 * the web TypeScript program (DOM typings) type-check the worker's sources.
 */
const WORKER: string = "../../worker/src/index.ts";
const RECEIVERS: string = "../../worker/src/alerts/test-receivers.ts";

export type TestAlertQueue = AlertQueue & { drain(): Promise<void> };

interface WorkerModule {
  createInProcessAlerts(opts: {
    db: Db;
    logger: pino.Logger;
    publicUrl: string;
    attempts?: number;
    sender: unknown;
  }): TestAlertQueue;
  createAlertSender(opts: { smtpFrom: string; logger: pino.Logger; write?: (l: string) => void }): unknown;
}

/** A local webhook receiver (worker/src/alerts/test-receivers.ts) and what reached it. */
export interface Receiver {
  url: string;
  requests: Array<{ headers: Record<string, string | string[] | undefined>; body: string }>;
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 answering `status` (default 200). */
export async function startWebhookReceiver(status?: number): Promise<Receiver> {
  const receivers = (await import(RECEIVERS)) as { startWebhookReceiver(status?: number): Promise<Receiver> };
  return receivers.startWebhookReceiver(status);
}

/**
 * For startTestWeb's `alerts` option: the worker's in-process alerts queue on the test database,
 * one attempt per delivery, emails written nowhere.
 */
export async function inProcessAlerts(logger: pino.Logger): Promise<(db: Db) => TestAlertQueue> {
  const worker = (await import(WORKER)) as WorkerModule;
  return (db) =>
    worker.createInProcessAlerts({
      db,
      logger,
      publicUrl: "http://localhost:3000",
      attempts: 1,
      sender: worker.createAlertSender({ smtpFrom: "cw@localhost", logger, write: () => {} }),
    });
}
