import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connectPglite, connectPostgres, type DbHandle } from "./client";
import { migrate } from "./migrate";

/** Admin URL of the Postgres that integration tests use (trust auth on the dev and CI machines). */
export const TEST_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  handle: DbHandle;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated Postgres database of its own for one test file. */
export async function createTestDatabase(adminUrl = TEST_POSTGRES_ADMIN_URL): Promise<TestDatabase> {
  const name = `cw_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = connectPostgres(url.toString(), { max: 5 });
  await migrate(handle);
  return {
    url: url.toString(),
    handle,
    async drop() {
      await handle.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** A fresh, migrated in-memory PGlite database. */
export async function createTestPglite(): Promise<DbHandle> {
  const handle = await connectPglite("memory://");
  await migrate(handle);
  return handle;
}

/** A test database that a test file opens and closes itself. */
export interface TestBackend {
  name: "postgres" | "pglite";
  open(): Promise<{ handle: DbHandle; close: () => Promise<void> }>;
}

/** Both databases CodeWarden runs on — for tests that must hold on each (`describe.each(TEST_BACKENDS)`). */
export const TEST_BACKENDS: readonly TestBackend[] = [
  {
    name: "postgres",
    async open() {
      const t = await createTestDatabase();
      return { handle: t.handle, close: () => t.drop() };
    },
  },
  {
    name: "pglite",
    async open() {
      const handle = await createTestPglite();
      return { handle, close: () => handle.close() };
    },
  },
];
