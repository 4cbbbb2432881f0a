import type { Worker } from "bullmq";
import { Redis } from "ioredis";
import type pino from "pino";

/** How long start-up waits for Redis before failing. */
const READY_TIMEOUT_MS = 30_000;

/**
 * A BullMQ connection (`maxRetriesPerRequest: null`) that logs Redis errors at most every 30 s:
 * ioredis reports every reconnect attempt while Redis is down.
 */
export function quietRedis(url: string, logger: pino.Logger, name?: string): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
  let last = 0;
  connection.on("error", (err) => {
    if (Date.now() - last < 30_000) return;
    last = Date.now();
    logger.warn(
      { err: { message: err.message, code: (err as NodeJS.ErrnoException).code } },
      "redis connection error",
    );
  });
  return connection;
}

/**
 * Starts a Worker created with `autorun: false` once it is connected, or closes it and its
 * connection and throws when Redis is not ready within 30 s.
 */
export async function runWhenReady(
  worker: Worker,
  connection: Redis,
  logger: pino.Logger,
  label: string,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label}: Redis not ready after ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    await worker.close(true).catch(() => {});
    connection.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  void worker.run().catch((err) => logger.error({ err }, `${label} stopped with an error`));
}

/**
 * `work`, or an error saying `what` timed out after `ms` (the work itself is not cancelled). For
 * enqueues: with Redis down, ioredis would hold a command until it reconnects.
 */
export async function withinMs<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a Worker, waiting at most `ms` for the jobs it is running; then its connection: quit when
 * they finished, dropped (with `unfinished` logged) when they did not — BullMQ retries them later.
 */
export async function closeWorkerWithin(
  worker: Worker,
  connection: Redis,
  ms: number,
  logger: pino.Logger,
  unfinished: string,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    worker.close().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  if (finished) await connection.quit().catch(() => connection.disconnect());
  else {
    logger.warn({ closeTimeoutMs: ms }, unfinished);
    connection.disconnect();
  }
}
