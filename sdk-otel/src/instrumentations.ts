import { FastifyOtelInstrumentation } from "@fastify/otel";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { KoaInstrumentation } from "@opentelemetry/instrumentation-koa";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { MySQLInstrumentation } from "@opentelemetry/instrumentation-mysql";
import { MySQL2Instrumentation } from "@opentelemetry/instrumentation-mysql2";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { RedisInstrumentation } from "@opentelemetry/instrumentation-redis";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { warnOnce } from "./diagnostics.js";
import { PostgresJsInstrumentation } from "./instrumentation-postgres-js.js";

/**
 * The bundled instrumentations, all on by default. `undici` also covers the global fetch(); `postgres` is
 * postgres.js (npm `postgres`), `pg` is node-postgres.
 */
export const INSTRUMENTATION_NAMES = [
  "http",
  "undici",
  "express",
  "koa",
  "fastify",
  "pg",
  "postgres",
  "mysql",
  "mysql2",
  "redis",
  "ioredis",
  "mongodb",
] as const;

export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

const FACTORIES: Record<InstrumentationName, () => Instrumentation> = {
  http: () => new HttpInstrumentation(),
  undici: () => new UndiciInstrumentation(),
  express: () => new ExpressInstrumentation(),
  koa: () => new KoaInstrumentation(),
  // registerOnInitialization: every Fastify instance is instrumented when created (diagnostics_channel
  // `fastify.initialization`), without the app registering the plugin.
  fastify: () => new FastifyOtelInstrumentation({ registerOnInitialization: true }),
  pg: () => new PgInstrumentation(),
  postgres: () => new PostgresJsInstrumentation(),
  mysql: () => new MySQLInstrumentation(),
  mysql2: () => new MySQL2Instrumentation(),
  redis: () => new RedisInstrumentation(),
  ioredis: () => new IORedisInstrumentation(),
  mongodb: () => new MongoDBInstrumentation(),
};

/** Creates the named instrumentations; one that fails to construct is skipped with a warning. */
export function createInstrumentations(names: readonly InstrumentationName[]): Instrumentation[] {
  const created: Instrumentation[] = [];
  for (const name of names) {
    try {
      created.push(FACTORIES[name]());
    } catch (error) {
      warnOnce(`instrumentation ${name} is off: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return created;
}
