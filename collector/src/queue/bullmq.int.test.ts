import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { type ErrorBatchJob, JOB_ERROR_BATCH, QUEUE_ERRORS, QueueUnavailableError } from "@codewarden/common";
import { Queue } from "bullmq";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { errorEvent } from "../../test/error-event";
import { createBullmqErrorQueue, ERROR_JOB_OPTIONS } from "./bullmq";

const logger = pino({ level: "silent" });
const REDIS = { host: "127.0.0.1", port: 6379 };

const job = (eventKey: string): ErrorBatchJob => ({
  v: 1,
  projectId: "7d3c0a52-4f3e-4c1e-9a55-1b2f0c3d4e5f",
  receivedAt: "2026-03-01T12:00:00.000Z",
  errors: [errorEvent("m", { eventKey, exceptionType: "E", message: "m" })],
});

/** A TCP proxy to the real Redis that the test can cut and restore, to simulate an outage. */
function redisProxy() {
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  let port = 0;
  return {
    get port() {
      return port;
    },
    async up() {
      if (server) return;
      server = createServer((client) => {
        const upstream = tcpConnect(REDIS.port, REDIS.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject);
        server!.listen(port, "127.0.0.1", resolve);
      });
      port = (server.address() as { port: number }).port;
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = null;
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("BullMQ error queue", () => {
  it("adds error-batch jobs with retries and bounded retention", async () => {
    const prefix = `cwtest-${randomBytes(4).toString("hex")}`;
    const q = createBullmqErrorQueue({ redisUrl: "redis://127.0.0.1:6379", prefix, logger });
    cleanups.push(async () => {
      await q.queue.obliterate({ force: true });
      await q.close();
    });
    await expect.poll(() => q.isReady(), { timeout: 5000 }).toBe(true);
    await q.enqueue(job("a".repeat(32)));
    // Read through an independent Queue instance, as the worker would.
    const reader = new Queue(QUEUE_ERRORS, { connection: REDIS, prefix, skipMetasUpdate: true });
    cleanups.push(() => reader.close());
    const [stored] = await reader.getJobs(["waiting"]);
    expect(stored?.name).toBe(JOB_ERROR_BATCH);
    expect(stored?.data).toEqual(job("a".repeat(32)));
    expect(stored?.opts.attempts).toBe(ERROR_JOB_OPTIONS.attempts);
    expect(stored?.opts.backoff).toEqual(ERROR_JOB_OPTIONS.backoff);
    expect(stored?.opts.removeOnComplete).toEqual(ERROR_JOB_OPTIONS.removeOnComplete);
  });

  it("fails fast while Redis is down and recovers by itself when it returns", async () => {
    const proxy = redisProxy();
    await proxy.up();
    const prefix = `cwtest-${randomBytes(4).toString("hex")}`;
    const q = createBullmqErrorQueue({ redisUrl: `redis://127.0.0.1:${proxy.port}`, prefix, logger });
    cleanups.push(async () => {
      await proxy.up().catch(() => {});
      await q.queue.obliterate({ force: true }).catch(() => {});
      await q.close();
      await proxy.down();
    });
    await expect.poll(() => q.isReady(), { timeout: 5000 }).toBe(true);
    await q.enqueue(job("b".repeat(32)));

    await proxy.down();
    const started = Date.now();
    await expect(q.enqueue(job("c".repeat(32)))).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await q.isReady()).toBe(false);

    await proxy.up();
    await expect
      .poll(
        async () => {
          try {
            await q.enqueue(job("d".repeat(32)));
            return true;
          } catch {
            return false;
          }
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe(true);
    expect(await q.queue.getWaitingCount()).toBe(2);
  });

  it("reports saturation when the backlog passes its bound", async () => {
    const prefix = `cwtest-${randomBytes(4).toString("hex")}`;
    const q = createBullmqErrorQueue({ redisUrl: "redis://127.0.0.1:6379", prefix, logger, maxBacklog: 2 });
    cleanups.push(async () => {
      await q.queue.obliterate({ force: true });
      await q.close();
    });
    await expect.poll(() => q.isReady(), { timeout: 5000 }).toBe(true);
    await q.enqueue(job("e".repeat(32)));
    await q.enqueue(job("f".repeat(32)));
    await new Promise((r) => setTimeout(r, 1100)); // the backlog is sampled at most once a second
    const err = await q.enqueue(job("0".repeat(32))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect((err as QueueUnavailableError).retryAfterSeconds).toBe(30);
  });
});
