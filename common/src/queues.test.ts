import { describe, expect, it } from "vitest";
import { cappedBackoffMs, ERROR_JOB_MAX_BACKOFF_MS } from "./queues";

describe("cappedBackoffMs", () => {
  it("doubles from the base delay, caps at a minute and jitters by ±20%", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 7, 8, 100, 240].map((n) => cappedBackoffMs(n, 1000, undefined, mid))).toEqual([
      1000, 2000, 4000, 8000, 60_000, 60_000, 60_000, 60_000,
    ]);
    expect(cappedBackoffMs(1, 1000, undefined, () => 0)).toBe(800);
    expect(cappedBackoffMs(20, 1000, undefined, () => 0.999_999)).toBeLessThanOrEqual(
      1.2 * ERROR_JOB_MAX_BACKOFF_MS,
    );
  });

  it("rides out about four hours over the collector's 240 attempts", () => {
    let total = 0;
    for (let n = 1; n < 240; n++) total += cappedBackoffMs(n, 1000, undefined, () => 0);
    expect(total).toBeGreaterThan(3 * 3600_000);
  });
});
