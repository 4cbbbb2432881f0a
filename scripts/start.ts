/**
 * `npm start`: CodeWarden in one command. Wires the services' own `start()` functions and
 * holds no product logic of its own.
 *
 * - all-in-one (default): embedded PGlite in CODEWARDEN_DATA_DIR, in-process queue, the
 *   worker core in this process.
 * - scale-out (DATABASE_URL and REDIS_URL set): Postgres, BullMQ on Redis, the worker as a
 *   separate Bun process (restarted if it dies).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createBullmqErrorQueue,
  createInProcessErrorQueue,
  loadCollectorConfig,
  startCollector,
} from "@codewarden/collector";
import type { AlertQueue, ErrorQueue, ReportsAccess } from "@codewarden/common";
import { connect, ensureBootstrap, migrate } from "@codewarden/drizzle";
import { bootstrapBanner, loadWebConfig, startWeb } from "@codewarden/web";
import {
  createAlertSender,
  createBullmqAlertQueue,
  createBullmqReportQueue,
  createInProcessAlerts,
  createInProcessSummaries,
  createReportStorage,
  loadAlertsConfig,
  loadLlmConfig,
  loadReportsConfig,
  loadScrubConfig,
  loadStorageConfig,
  processBatch,
  scrubberFrom,
  startAlertSweep,
  startInProcessReports,
  startRetention,
} from "@codewarden/worker";
import pino from "pino";
import { loadLauncherConfig } from "./config";
import { prettyDestination } from "./pretty-log";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main() {
  const startedAt = performance.now();
  // Server rendering uses React's production build unless a developer asks otherwise.
  process.env.NODE_ENV ??= "production";
  const config = loadLauncherConfig(process.env);
  const collectorConfig = loadCollectorConfig(process.env);
  const webConfig = loadWebConfig(process.env);
  const llmConfig = loadLlmConfig(process.env);
  const storageConfig = loadStorageConfig(process.env);
  const scrubber = scrubberFrom(loadScrubConfig(process.env));
  const alertsConfig = loadAlertsConfig(process.env);
  const reportsConfig = loadReportsConfig(process.env);
  const logger = pino(
    { level: config.logLevel, base: { pid: process.pid } },
    config.logFormat === "pretty" ? prettyDestination() : undefined,
  );

  const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(handle);
  const boot = await ensureBootstrap(handle.db, {
    adminEmail: webConfig.adminEmail,
    ingestKey: webConfig.bootstrapIngestKey,
    apiToken: webConfig.bootstrapApiToken,
  });

  const closers: Array<() => Promise<void>> = [];
  let queue: ErrorQueue;
  let workerChild: { stop(): Promise<void> } | null = null;
  let summaries: { close(): Promise<void> } | null = null;
  // Alerts: the Bun worker delivers them in scale-out (the web's "Send test" only enqueues);
  // here, in all-in-one, an in-process queue does. Links point at the dashboard's public URL.
  let alertQueue: AlertQueue;
  // Evidence reports: the web's "Generate" enqueues, and reads finished PDFs from the storage the
  // generator writes to (the Bun worker in scale-out; here, in all-in-one, an in-process runner).
  const reportStorage = createReportStorage(reportsConfig);
  let reports: ReportsAccess & { queue: { close(): Promise<void> } };
  if (config.mode === "scale-out") {
    queue = createBullmqErrorQueue({
      redisUrl: config.redisUrl!,
      prefix: collectorConfig.queuePrefix,
      logger: logger.child({ service: "collector" }),
    });
    alertQueue = createBullmqAlertQueue(
      { redisUrl: config.redisUrl!, prefix: collectorConfig.queuePrefix, attempts: alertsConfig.attempts },
      logger.child({ service: "web" }),
    );
    reports = {
      queue: createBullmqReportQueue(
        { redisUrl: config.redisUrl!, prefix: collectorConfig.queuePrefix },
        logger.child({ service: "web" }),
      ),
      storage: reportStorage,
      signedUrlTtlSeconds: reportsConfig.signedUrlTtlSeconds,
    };
    workerChild = superviseBunWorker(logger.child({ service: "launcher" }));
  } else {
    const workerLogger = logger.child({ service: "worker" });
    // LLM summaries go through their own in-process queue (rate limit, retries, budget, cache).
    const summariser = llmConfig
      ? createInProcessSummaries(llmConfig, { db: handle.db, logger: workerLogger })
      : null;
    summaries = summariser;
    const alerts = createInProcessAlerts({
      db: handle.db,
      logger: workerLogger,
      publicUrl: webConfig.publicUrl,
      attempts: alertsConfig.attempts,
      sender: createAlertSender({
        smtpUrl: webConfig.smtpUrl ?? null,
        smtpFrom: webConfig.smtpFrom,
        timeoutMs: alertsConfig.timeoutMs,
        logger: workerLogger,
      }),
    });
    alertQueue = alerts;
    queue = createInProcessErrorQueue(
      async (job) => {
        await processBatch(handle.db, job, {
          logger: workerLogger,
          summariser,
          eventsPerIssueHour: storageConfig.eventsPerIssueHour,
          scrubber,
          alerts: { queue: alerts, publicUrl: webConfig.publicUrl },
        });
      },
      { logger: workerLogger },
    );
    // In scale-out mode the Bun worker prunes; here the launcher does.
    const retention = startRetention(
      handle.db,
      storageConfig,
      workerLogger.child({ component: "retention" }),
    );
    closers.push(() => retention.stop());
    // Deliveries left pending by a previous run (the in-process queue does not survive restarts).
    const alertSweep = startAlertSweep(handle.db, alerts, workerLogger.child({ component: "alerts" }));
    closers.push(() => alertSweep.stop());
    // On-demand reports, the monthly schedule, and reports left pending by a previous run.
    const runner = startInProcessReports({ db: handle.db, storage: reportStorage, logger: workerLogger });
    reports = {
      queue: { enqueue: (id) => runner.queue.enqueue(id), close: () => runner.close() },
      storage: reportStorage,
      signedUrlTtlSeconds: reportsConfig.signedUrlTtlSeconds,
    };
  }

  const collector = await startCollector(collectorConfig, {
    db: handle.db,
    queue,
    logger: logger.child({ service: "collector" }),
  });
  // What apps send to: CODEWARDEN_OTLP_URL, else this collector's address (the setup page shows it too).
  const reachableHost = ["0.0.0.0", "::"].includes(collectorConfig.host) ? "localhost" : collectorConfig.host;
  const otlpEndpoint = webConfig.otlpUrlExplicit
    ? webConfig.otlpUrl
    : `http://${reachableHost}:${collector.port}`;
  const web = await startWeb(
    { ...webConfig, otlpUrl: otlpEndpoint },
    { db: handle.db, logger: logger.child({ service: "web" }), alerts: alertQueue, reports },
  );

  // Order matters: stop taking telemetry, finish what was acknowledged, then the rest.
  closers.push(
    () => collector.close(),
    () => queue.close(),
    async () => summaries?.close(),
    () => alertQueue.close(),
    () => reports.queue.close(),
    async () => workerChild?.stop(),
    () => web.close(),
    () => handle.close(),
  );

  process.stdout.write(
    bootstrapBanner(boot, {
      title: `CodeWarden is running (${config.mode}: ${handle.kind === "pglite" ? `PGlite in ${config.dataDir}` : "Postgres"}, ${config.mode === "scale-out" ? "BullMQ + Bun worker" : "in-process queue"})`,
      dashboardUrl: webConfig.publicUrlExplicit ? webConfig.publicUrl : `http://localhost:${web.port}`,
      adminEmail: webConfig.adminEmail,
      otlpEndpoint,
    }),
  );
  logger.info(
    {
      service: "launcher",
      ms: Math.round(performance.now() - startedAt),
      collectorPort: collector.port,
      webPort: web.port,
    },
    "CodeWarden ready",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ service: "launcher", signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.error({ service: "launcher" }, "shutdown deadline passed; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        logger.error({ service: "launcher", err }, "error during shutdown");
      }
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

/** Runs `bun worker/src/main.ts` as a child, restarting it with backoff if it dies. */
function superviseBunWorker(logger: pino.Logger): { stop(): Promise<void> } {
  const bun = join(ROOT, "node_modules", ".bin", "bun");
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;
  const launch = () => {
    if (stopping) return;
    const startedAt = Date.now();
    child = spawn(bun, [join(ROOT, "worker", "src", "main.ts")], {
      cwd: ROOT,
      env: process.env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    logger.info({ workerPid: child.pid }, "worker started under Bun");
    child.on("exit", (code, signal) => {
      if (stopping) return;
      // A worker that ran for a while before dying starts the backoff afresh.
      if (Date.now() - startedAt > 60_000) restarts = 0;
      const delay = Math.min(30_000, 500 * 2 ** restarts++);
      logger.error({ code, signal, restartInMs: delay }, "worker exited; restarting");
      setTimeout(launch, delay).unref();
    });
  };
  launch();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

main().catch((err) => {
  process.stderr.write(
    `codewarden: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
