/**
 * The collector as its own production process: Postgres + BullMQ on Redis. (The all-in-one
 * launcher calls startCollector itself with PGlite and the in-process queue.)
 */
import { ConfigError } from "@codewarden/common";
import { connect, migrate } from "@codewarden/drizzle";
import pino from "pino";
import { loadCollectorConfig } from "./config";
import { createBullmqErrorQueue } from "./queue/bullmq";
import { startCollector } from "./server";

const SHUTDOWN_DEADLINE_MS = 15_000;

async function main(): Promise<void> {
  const logger = pino({ name: "collector", level: process.env.LOG_LEVEL ?? "info" });
  const config = loadCollectorConfig(process.env);
  const missing = [!config.databaseUrl && "DATABASE_URL", !config.redisUrl && "REDIS_URL"].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(
      `collector: ${missing.join(" and ")} must be set to run the collector on its own ` +
        "(use `npm start` for the all-in-one mode with embedded storage)",
    );
  }

  const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(handle);
  const queue = createBullmqErrorQueue({ redisUrl: config.redisUrl!, prefix: config.queuePrefix, logger });
  const collector = await startCollector(config, { db: handle.db, queue, logger });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "collector shutting down");
    const deadline = setTimeout(() => {
      logger.error("shutdown deadline passed, exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    (async () => {
      await collector.close();
      await queue.close();
      await handle.close();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
