import { describe, expect, it } from "vitest";
import { LlmCallError, retryAfterMsFrom } from "./llm";
import { InvalidSummaryJobError, isRetryable, retryDelayMs } from "./retry-policy";

describe("retryAfterMsFrom", () => {
  const h = (init: Record<string, string>) => new Headers(init);
  it("reads seconds, retry-after-ms and HTTP dates, capped", () => {
    expect(retryAfterMsFrom(h({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMsFrom(h({ "retry-after": "1.5" }))).toBe(1500);
    expect(retryAfterMsFrom(h({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    const now = Date.parse("2026-03-01T10:00:00Z");
    expect(retryAfterMsFrom(h({ "retry-after": "Sun, 01 Mar 2026 10:00:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMsFrom(h({ "retry-after": "Sun, 01 Mar 2026 09:00:00 GMT" }), now)).toBe(0);
    expect(retryAfterMsFrom(h({ "retry-after": "86400" }))).toBe(10 * 60_000);
  });
  it("is null when absent or unreadable", () => {
    expect(retryAfterMsFrom(undefined)).toBeNull();
    expect(retryAfterMsFrom(h({}))).toBeNull();
    expect(retryAfterMsFrom(h({ "retry-after": "soon" }))).toBeNull();
  });
});

describe("retry policy", () => {
  it("backs off exponentially, never sooner than Retry-After, capped", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, new Error("db")))).toEqual([1000, 2000, 4000, 8000]);
    const limited = new LlmCallError("429", true, 429, 5000);
    expect(retryDelayMs(1, 1000, limited)).toBe(5000);
    expect(retryDelayMs(4, 1000, limited)).toBe(8000);
    expect(retryDelayMs(30, 1000, limited)).toBe(10 * 60_000);
  });

  it("retries 429, 5xx, network and database errors, not other 4xx, malformed replies or bad jobs", () => {
    expect(isRetryable(new LlmCallError("429", true, 429))).toBe(true);
    expect(isRetryable(new LlmCallError("network", true))).toBe(true);
    expect(isRetryable(new Error("connection terminated"))).toBe(true);
    expect(isRetryable(new LlmCallError("400", false, 400))).toBe(false);
    expect(isRetryable(new LlmCallError("malformed", false, 200))).toBe(false);
    expect(isRetryable(new InvalidSummaryJobError("bad"))).toBe(false);
  });
});
