/**
 * A collector wired the all-in-one way (embedded PGlite, in-process queue) for tests that talk
 * HTTP to it: bootstrap project and ingest key, every enqueued job kept in `received`.
 */
import { type ErrorBatchJob, generateSecret, INGEST_KEY_PREFIX } from "@codewarden/common";
import { type DbHandle, ensureBootstrap } from "@codewarden/drizzle";
import pino from "pino";
import { createTestPglite } from "../../drizzle/src/testing";
import type { CollectorConfig } from "../src/config";
import { createInProcessErrorQueue, type InProcessErrorQueue } from "../src/queue/in-process";
import { type CollectorOptions, type RunningCollector, startCollector } from "../src/server";

export interface TestCollector {
  base: string;
  key: string;
  projectId: string;
  received: ErrorBatchJob[];
  queue: InProcessErrorQueue;
  collector: RunningCollector;
  auth: () => Record<string, string>;
  /** GET /metrics as text. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestCollector(
  over: Partial<CollectorConfig> = {},
  options: CollectorOptions = {},
): Promise<TestCollector> {
  const logger = pino({ level: "silent" });
  const handle: DbHandle = await createTestPglite();
  const key = generateSecret(INGEST_KEY_PREFIX);
  const { projectId } = await ensureBootstrap(handle.db, { adminEmail: "a@example.com", ingestKey: key });
  const received: ErrorBatchJob[] = [];
  const queue = createInProcessErrorQueue(async (job) => void received.push(job), { logger });
  const config: CollectorConfig = {
    port: 0,
    host: "127.0.0.1",
    dataDir: "memory://",
    queuePrefix: "unused",
    maxBodyBytes: 4 * 1024 * 1024,
    ...over,
  };
  const collector = await startCollector(config, { db: handle.db, queue, logger }, options);
  const base = `http://127.0.0.1:${collector.port}`;
  return {
    base,
    key,
    projectId,
    received,
    queue,
    collector,
    auth: () => ({ authorization: `Bearer ${key}` }),
    async metrics() {
      const res = await fetch(`${base}/metrics`);
      return res.text();
    },
    async close() {
      await collector.close();
      await queue.close();
      await handle.close();
    },
  };
}
