import { type ErrorBatchJob, errorBatchJobSchema, LIMITS, QueueUnavailableError } from "@codewarden/common";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { errorEvent } from "../../test/error-event";
import { createInProcessErrorQueue } from "./in-process";

const logger = pino({ level: "silent" });
/** Job n of its own project (so that jobs are never merged), or of `projectId`. */
const job = (
  n: number,
  projectId = `7d3c0a52-4f3e-4c1e-9a55-${String(n).padStart(12, "0")}`,
  errors = 0,
): ErrorBatchJob => ({
  v: 1,
  projectId,
  receivedAt: new Date(n).toISOString(),
  errors: Array.from({ length: errors }, (_, i) => errorEvent(`${n}-${i}`, { source: "span_event" })),
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

  it("merges jobs of one project buffered behind a busy handler, in order, up to the per-job error limit", async () => {
    const A = "7d3c0a52-4f3e-4c1e-9a55-aaaaaaaaaaaa";
    const B = "7d3c0a52-4f3e-4c1e-9a55-bbbbbbbbbbbb";
    const handled: ErrorBatchJob[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = createInProcessErrorQueue(
      async (j) => {
        if (handled.length === 0) await gate;
        handled.push(j);
      },
      { logger, lingerMs: 0 },
    );
    await q.enqueue(job(1, A, 1)); // handled alone: the handler is idle
    await new Promise((r) => setImmediate(r));
    await q.enqueue(job(2, A, 2));
    await q.enqueue(job(3, A, LIMITS.errorsPerJob - 2)); // fills the batch exactly
    await q.enqueue(job(4, A, 1)); // would exceed it: next batch
    await q.enqueue(job(5, B, 1)); // another project: its own batch
    await q.enqueue(job(6, A, 1));
    release();
    await q.drain();
    expect(handled.map((j) => [j.projectId, j.errors.length, j.receivedAt])).toEqual([
      [A, 1, new Date(1).toISOString()],
      [A, LIMITS.errorsPerJob, new Date(3).toISOString()],
      [A, 1, new Date(4).toISOString()],
      [B, 1, new Date(5).toISOString()],
      [A, 1, new Date(6).toISOString()],
    ]);
    expect(handled[1]!.errors.map((e) => e.message).slice(0, 3)).toEqual(["2-0", "2-1", "3-0"]);
    for (const j of handled) errorBatchJobSchema.parse(j);
    await q.close();
  });

  it("lets jobs gather for lingerMs, so a burst of one-error jobs is stored as one batch", async () => {
    const A = "7d3c0a52-4f3e-4c1e-9a55-aaaaaaaaaaaa";
    const handled: ErrorBatchJob[] = [];
    const q = createInProcessErrorQueue(
      async (j) => {
        handled.push(j);
      },
      { logger, lingerMs: 30 },
    );
    for (let i = 0; i < 20; i++) await q.enqueue(job(i, A, 1));
    await q.drain();
    expect(handled.map((j) => j.errors.length)).toEqual([20]);
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
