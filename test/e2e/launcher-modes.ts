import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { QUEUE_ALERTS, QUEUE_ERRORS, QUEUE_REPORTS, QUEUE_SUMMARIES } from "../../common/src/index";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";

/** How a test runs `npm start`'s launcher: its environment, and what to remove afterwards. */
export interface LauncherMode {
  name: "all-in-one" | "scale-out";
  env(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/**
 * The launcher's two modes: all-in-one (PGlite in a new data directory, in-process queues) and
 * scale-out (a new Postgres database, BullMQ on the local Redis under a prefix of its own, the Bun
 * worker with one job at a time, so jobs are stored in arrival order). Cleanup removes the data
 * directory, or the database and every CodeWarden queue under the prefix (bounded waits).
 */
export function launcherModes(label: string): LauncherMode[] {
  let dir = "";
  let db: TestDatabase | null = null;
  const prefix = `cw-${label}-${randomBytes(4).toString("hex")}`;
  return [
    {
      name: "all-in-one",
      async env() {
        dir = mkdtempSync(join(tmpdir(), `cw-${label}-`));
        return { CODEWARDEN_DATA_DIR: dir };
      },
      async cleanup() {
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    },
    {
      name: "scale-out",
      async env() {
        db = await createTestDatabase();
        return {
          DATABASE_URL: db.url,
          REDIS_URL: "redis://127.0.0.1:6379",
          CODEWARDEN_QUEUE_PREFIX: prefix,
          WORKER_CONCURRENCY: "1",
        };
      },
      async cleanup() {
        const connection = new Redis("redis://127.0.0.1:6379", {
          maxRetriesPerRequest: null,
          connectTimeout: 2000,
        });
        for (const name of [QUEUE_ERRORS, QUEUE_SUMMARIES, QUEUE_ALERTS, QUEUE_REPORTS]) {
          const queue = new Queue(name, { connection, prefix });
          await Promise.race([queue.obliterate({ force: true }), new Promise((r) => setTimeout(r, 5000))]);
          await queue.close();
        }
        connection.disconnect();
        await db?.drop();
      },
    },
  ];
}
