/**
 * The web service for the benchmark's EXPLAIN phase: `startWeb` on DATABASE_URL exactly as
 * web/server/main.ts wires it (same pool size, prepared statements, application name), except that
 * postgres.js's `debug` hook writes every statement and its parameters to stderr as one line
 * `[query] {"query": …, "params": […]}`. The timed rounds use web/server/main.ts itself.
 *
 * Run by run.ts: node --import tsx bench/dashboard/web-server.ts (DATABASE_URL, WEB_PORT, HOST).
 */
import type { Db } from "@codewarden/drizzle";
import { schema } from "@codewarden/drizzle";
import { drizzle } from "drizzle-orm/postgres-js";
import pino from "pino";
import postgres from "postgres";
import { loadWebConfig } from "../../web/server/config";
import { startWeb } from "../../web/server/index";

process.env.NODE_ENV ??= "production";
const config = loadWebConfig(process.env);
const databaseUrl = config.databaseUrl;
if (!databaseUrl) throw new Error("bench web-server: DATABASE_URL is required");

const client = postgres(databaseUrl, {
  max: 10,
  onnotice: () => {},
  connection: { application_name: "codewarden" },
  debug: (_connection, query, params) => {
    process.stderr.write(`[query] ${JSON.stringify({ query, params })}\n`);
  },
});
const db = drizzle(client, { schema }) as unknown as Db;
const web = await startWeb(config, { db, logger: pino({ level: "warn" }) });
process.stdout.write(`[bench-web] listening on ${web.port}\n`);

const stop = async () => {
  await web.close().catch(() => {});
  await client.end({ timeout: 5 });
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
