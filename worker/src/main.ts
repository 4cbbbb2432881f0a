/**
 * The Bun worker process: `bun worker/src/main.ts`. Parses config, connects, migrates,
 * consumes the error queue (and, with an LLM configured, the summaries queue), and shuts down
 * cleanly on SIGTERM/SIGINT within a deadline.
 */
import { connectPostgres, migrate } from "@codewarden/drizzle";
import pino from "pino";
import { startBullmqAlerts } from "./alerts/queue";
import { createAlertSender } from "./alerts/send";
import { startAlertSweep } from "./alerts/sweep";
import { loadWorkerConfig } from "./config";
import { startWorker } from "./consumer";
import { startBullmqReports } from "./evidence/runner";
import { createReportStorage } from "./evidence/storage";
import { startRetention } from "./retention";
import { scrubberFrom } from "./scrub-config";
import { startBullmqSummaries } from "./summarise/queue";

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: "worker", pid: process.pid } });

  const handle = connectPostgres(config.databaseUrl, {
    // + 3: alert deliveries and digests (short queries) share the pool; + 1: evidence reports.
    max: config.concurrency + (config.llm?.concurrency ?? 0) + 4,
  });
  await migrate(handle);
  // LLM summaries run on their own rate-limited queue; processBatch only enqueues them.
  const summaries = config.llm
    ? await startBullmqSummaries(
        config.llm,
        {
          redisUrl: config.redisUrl,
          prefix: config.queuePrefix,
          // Calls in flight get a third of the shutdown deadline; unfinished jobs are retried elsewhere.
          closeTimeoutMs: Math.floor(config.shutdownTimeoutMs / 3),
        },
        { db: handle.db, logger },
      )
    : null;
  // Alert deliveries and digests run on their own queue; processBatch only enqueues them.
  const alerts = await startBullmqAlerts(
    {
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      attempts: config.alerts.attempts,
      closeTimeoutMs: Math.floor(config.shutdownTimeoutMs / 3),
    },
    {
      db: handle.db,
      logger,
      publicUrl: config.alerts.publicUrl,
      sender: createAlertSender({
        smtpUrl: config.alerts.smtpUrl,
        smtpFrom: config.alerts.smtpFrom,
        timeoutMs: config.alerts.timeoutMs,
        logger,
      }),
    },
  );
  // SOC 2 evidence reports: on-demand (enqueued by the web) and the monthly schedule.
  const reports = await startBullmqReports(
    { redisUrl: config.redisUrl, prefix: config.queuePrefix },
    { db: handle.db, logger, storage: createReportStorage(config.reports) },
  );
  const worker = await startWorker(config, {
    db: handle.db,
    logger,
    summariser: summaries?.queue ?? null,
    eventsPerIssueHour: config.storage.eventsPerIssueHour,
    scrubber: scrubberFrom(config.scrub),
    alerts: { queue: alerts.queue, publicUrl: config.alerts.publicUrl },
  });
  const retention = startRetention(handle.db, config.storage, logger.child({ component: "retention" }));
  const alertSweep = startAlertSweep(handle.db, alerts.queue, logger.child({ component: "alerts" }));
  logger.info(
    {
      queuePrefix: config.queuePrefix,
      concurrency: config.concurrency,
      summaries: config.llm ? `llm (${config.llm.model})` : "heuristic",
      reports: config.reports.storage.kind,
      runtime: process.versions.bun ? "bun" : "node",
    },
    "worker ready",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "worker shutting down");
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown deadline passed; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    let code = 0;
    try {
      await retention.stop();
      await alertSweep.stop();
      await worker.close();
    } catch (err) {
      code = 1;
      logger.error({ err }, "error while closing the queue consumer");
    }
    try {
      await alerts.close();
    } catch (err) {
      code = 1;
      logger.error({ err }, "error while closing the alerts queue");
    }
    try {
      await reports.close();
    } catch (err) {
      code = 1;
      logger.error({ err }, "error while closing the reports queue");
    }
    try {
      await summaries?.close();
    } catch (err) {
      code = 1;
      logger.error({ err }, "error while closing the summaries queue");
    }
    try {
      await handle.close();
    } catch (err) {
      code = 1;
      logger.error({ err }, "error while closing the database pool");
    }
    clearTimeout(deadline);
    logger.info({ code }, "worker stopped");
    process.exit(code);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  process.stderr.write(
    `worker: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
