/**
 * Standalone web service: `tsx web/server/main.ts`. Parses config, connects (DATABASE_URL or
 * PGlite in CODEWARDEN_DATA_DIR), migrates, bootstraps, serves, and stops cleanly on SIGTERM/SIGINT.
 */
import { connect, ensureBootstrap, migrate } from "@codewarden/drizzle";
import pino from "pino";
import { bootstrapBanner } from "./bootstrap-banner";
import { loadWebConfig } from "./config";
import { startWeb } from "./index";

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main() {
  // React picks its production build from NODE_ENV when the server build is first imported.
  process.env.NODE_ENV ??= "production";
  const config = loadWebConfig(process.env);
  const logger = pino({ base: { service: "web" } });
  const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(handle);
  const boot = await ensureBootstrap(handle.db, {
    adminEmail: config.adminEmail,
    ingestKey: config.bootstrapIngestKey,
    apiToken: config.bootstrapApiToken,
  });
  const web = await startWeb(config, { db: handle.db, logger });
  process.stdout.write(
    bootstrapBanner(boot, {
      title: `CodeWarden web is running (${handle.kind === "pglite" ? "PGlite" : "Postgres"})`,
      dashboardUrl: config.publicUrl,
      adminEmail: config.adminEmail,
      otlpEndpoint: config.otlpUrl,
    }),
  );
  logger.info({ url: config.publicUrl, port: web.port, db: handle.kind }, "CodeWarden web ready");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      logger.error("shutdown deadline passed; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    try {
      await web.close();
      await handle.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  process.stderr.write(
    `codewarden web: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
