import { type ErrorBatchJob, QueueUnavailableError } from "@codewarden/common";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createInProcessErrorQueue } from "./in-process";

const logger = pino({ level: "silent" });
const job = (n: number): ErrorBatchJob => ({
  v: 1,
  projectId: "7d3c0a52-4f3e-4c1e-9a55-1b2f0c3d4e5f",
  receivedAt: new Date(n).toISOString(),
  errors: [],
});

describe("in-process error queue", () => {
  it("hands jobs to the handler one at a time, in order, after enqueue returns", async () => {
    const seen: number[] = [];
    let active = 0;
    let maxActive = 0;
    const q = createInProcessErrorQueue(
      async (j) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 2));
        seen.push(Date.parse(j.receivedAt));
        active--;
      },
      { logger },
    );
    for (let i = 0; i < 5; i++) await q.enqueue(job(i));
    expect(seen).toEqual([]); // asynchronous: nothing handled inside enqueue
    await q.drain();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(maxActive).toBe(1);
    expect(q.pending).toBe(0);
    await q.close();
  });

  it("retries a failing handler with backoff, then drops the job and goes on", async () => {
    const attempts: number[] = [];
    const q = createInProcessErrorQueue(
      async (j) => {
        const n = Date.parse(j.receivedAt);
        attempts.push(n);
        if (n === 1) throw new Error("always fails");
        if (n === 2 && attempts.filter((a) => a === 2).length < 2) throw new Error("fails once");
      },
      { logger, attempts: 3, backoffMs: 1 },
    );
    await q.enqueue(job(1));
    await q.enqueue(job(2));
    await q.drain();
    expect(attempts).toEqual([1, 1, 1, 2, 2]);
    await q.close();
  });

  it("throws QueueUnavailableError when full, and accepts again once drained", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = createInProcessErrorQueue(() => gate, { logger, maxPending: 2 });
    await q.enqueue(job(1));
    await q.enqueue(job(2));
    await expect(q.enqueue(job(3))).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(await q.isReady()).toBe(false);
    release();
    await q.drain();
    await q.enqueue(job(4));
    await q.close();
  });

  it("close() drains, then refuses work; a stuck handler cannot hold it past the deadline", async () => {
    const done: number[] = [];
    const q = createInProcessErrorQueue(
      async (j) => {
        done.push(Date.parse(j.receivedAt));
      },
      { logger },
    );
    await q.enqueue(job(1));
    await q.close();
    expect(done).toEqual([1]);
    await expect(q.enqueue(job(2))).rejects.toBeInstanceOf(QueueUnavailableError);

    const stuck = createInProcessErrorQueue(() => new Promise<void>(() => {}), {
      logger,
      closeTimeoutMs: 50,
    });
    await stuck.enqueue(job(1));
    await stuck.enqueue(job(2));
    const started = Date.now();
    await stuck.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(stuck.pending).toBe(0);
  });
});
