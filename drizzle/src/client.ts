import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index";

export type Schema = typeof schema;
/** The database handle every query function takes: Postgres (postgres.js) or embedded PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Db;
  kind: "postgres" | "pglite";
  /** Postgres connection URL (undefined for PGlite). */
  url?: string;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Connections in this process's pool. */
  max?: number;
  /** Supabase's transaction pooler (port 6543) needs prepared statements off. */
  prepare?: boolean;
}

export function connectPostgres(url: string, opts: PostgresOptions = {}): DbHandle {
  const client = postgres(url, {
    max: opts.max ?? 10,
    prepare: opts.prepare ?? !/:6543\b/.test(url),
    onnotice: () => {},
    connection: { application_name: "codewarden" },
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return { db, kind: "postgres", url, close: () => client.end({ timeout: 5 }) };
}

/** Embedded PGlite in `dataDir` (created if missing); `memory://` for a throwaway database. */
export async function connectPglite(dataDir: string): Promise<DbHandle> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return { db, kind: "pglite", close: () => client.close() };
}

/** Picks the driver from configuration: `DATABASE_URL` wins, otherwise PGlite in the data dir. */
export async function connect(opts: {
  databaseUrl?: string;
  dataDir: string;
  max?: number;
}): Promise<DbHandle> {
  if (opts.databaseUrl) return connectPostgres(opts.databaseUrl, { max: opts.max });
  return connectPglite(opts.dataDir);
}

/** Rows of a `db.execute()` result: postgres.js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
