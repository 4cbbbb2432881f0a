import { randomUUID } from "node:crypto";
import type { IssueSummaryJob } from "@codewarden/common";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createInProcessSummaryQueue } from "./in-process-queue";
import { LlmCallError } from "./llm";

const logger = pino({ level: "silent" });
const projectId = randomUUID();

function job(
  issueId: string = randomUUID(),
  occasion: "new" | "regressed" = "new",
  eventKey = "a".repeat(32),
): IssueSummaryJob {
  return {
    v: 1,
    projectId,
    issueId,
    occasion,
    eventKey,
    event: {
      exceptionType: "TypeError",
      message: "x",
      frames: [],
      language: "nodejs",
      serviceName: "api",
      serviceVersion: "1.0.0",
      spanName: null,
      route: null,
    },
  };
}

/** A handler that records each call and fails as told (by issue id and call number). */
function recorder(fail: (j: IssueSummaryJob, n: number) => Error | null = () => null) {
  const calls: Array<{ issueId: string; at: number }> = [];
  const handler = async (j: IssueSummaryJob) => {
    const n = calls.filter((c) => c.issueId === j.issueId).length + 1;
    calls.push({ issueId: j.issueId, at: Date.now() });
    const err = fail(j, n);
    if (err) throw err;
  };
  return { calls, handler };
}

const fast = { rateLimit: { max: 1000, durationMs: 1000 }, attempts: 4, backoffMs: 20, logger };

describe("in-process summaries queue", () => {
  it("collapses duplicates of one (issue, occasion), while queued and after they ran", async () => {
    const { calls, handler } = recorder();
    const q = createInProcessSummaryQueue(handler, fast);
    const a = job();
    await q.enqueue([a, a, { ...a }]);
    await q.enqueue([a]);
    await q.drain();
    await q.enqueue([a]);
    const regression = job(a.issueId, "regressed", "b".repeat(32));
    await q.enqueue([regression, regression]);
    await q.drain();
    expect(calls.map((c) => c.issueId)).toEqual([a.issueId, a.issueId]);
    await q.close();
  });

  it("retries retryable failures with backoff, at least Retry-After, without holding up other jobs", async () => {
    const slow = job();
    const other = job();
    const { calls, handler } = recorder((j, n) =>
      j.issueId === slow.issueId && n === 1 ? new LlmCallError("429", true, 429, 300) : null,
    );
    const q = createInProcessSummaryQueue(handler, fast);
    await q.enqueue([slow]);
    await q.enqueue([other]);
    await q.drain();
    expect(calls.map((c) => c.issueId)).toEqual([slow.issueId, other.issueId, slow.issueId]);
    expect(calls[2]!.at - calls[0]!.at).toBeGreaterThanOrEqual(295);
    await q.close();
  });

  it("gives up after the configured attempts, and at once on non-retryable failures", async () => {
    const flaky = job();
    const rejected = job();
    const { calls, handler } = recorder((j) =>
      j.issueId === flaky.issueId ? new LlmCallError("503", true, 503) : new LlmCallError("400", false, 400),
    );
    const q = createInProcessSummaryQueue(handler, { ...fast, attempts: 3 });
    await q.enqueue([flaky, rejected]);
    await q.drain();
    expect(calls.filter((c) => c.issueId === flaky.issueId)).toHaveLength(3);
    expect(calls.filter((c) => c.issueId === rejected.issueId)).toHaveLength(1);
    expect(q.pending).toBe(0);
    await q.close();
  });

  it("starts at most max jobs per window", async () => {
    const { calls, handler } = recorder();
    const q = createInProcessSummaryQueue(handler, { ...fast, rateLimit: { max: 2, durationMs: 300 } });
    await q.enqueue(Array.from({ length: 6 }, () => job()));
    await q.drain();
    expect(calls).toHaveLength(6);
    // Six starts at two per 300 ms need three windows.
    expect(calls[5]!.at - calls[0]!.at).toBeGreaterThanOrEqual(595);
    for (let i = 2; i < calls.length; i++) {
      expect(calls[i]!.at - calls[i - 2]!.at).toBeGreaterThanOrEqual(295);
    }
    await q.close();
  });

  it("close drops what cannot run before its deadline, and takes nothing more", async () => {
    const stuck = job();
    const { calls, handler } = recorder(() => new LlmCallError("429", true, 429, 60_000));
    const q = createInProcessSummaryQueue(handler, { ...fast, closeTimeoutMs: 100 });
    await q.enqueue([stuck]);
    await new Promise((r) => setTimeout(r, 50));
    expect(q.pending).toBe(1);
    await q.close();
    expect(q.pending).toBe(0);
    await q.enqueue([job()]);
    await q.drain();
    expect(calls).toHaveLength(1);
  });
});
