import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_RATE_LIMIT } from "./config";
import { createRateLimiter } from "./rate-limit";

function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Sends `requests` requests of `items` items evenly over `seconds`; returns the items admitted. */
function drive(
  limiter: ReturnType<typeof createRateLimiter>,
  c: ReturnType<typeof clock>,
  key: string,
  opts: { seconds: number; requestsPerSecond: number; items: number },
): { admitted: number; rejected: number } {
  let admitted = 0;
  let rejected = 0;
  const step = 1000 / opts.requestsPerSecond;
  for (let i = 0; i < opts.seconds * opts.requestsPerSecond; i++) {
    if (limiter.check(key) === 0) {
      limiter.charge(key, opts.items);
      admitted += opts.items;
    } else rejected++;
    c.advance(step);
  }
  return { admitted, rejected };
}

describe("per-key token bucket", () => {
  it("admits a burst, then rejects with a Retry-After until the bucket refills", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 20, now: c.now });
    expect(limiter.check("k")).toBe(0);
    limiter.charge("k", 20);
    expect(limiter.check("k")).toBe(1); // 1 token arrives after 0.1 s: rounded up to 1 s
    c.advance(100);
    expect(limiter.check("k")).toBe(0);
    limiter.charge("k", 40); // into debt (bounded at one burst): -20 after this
    expect(limiter.check("k")).toBe(3); // (1 - (-20)) / 10 = 2.1 → 3 s
    c.advance(2100);
    expect(limiter.check("k")).toBe(0);
  });

  it("admits one request larger than the whole bucket, and makes the key repay it", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 100, burst: 100, now: c.now });
    expect(limiter.check("k")).toBe(0);
    limiter.charge("k", 10_000);
    expect(limiter.check("k")).toBe(2); // debt capped at -100: (1 + 100) / 100 → 2 s
    c.advance(1000);
    expect(limiter.check("k")).toBe(1);
  });

  it("keeps keys apart", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, now: c.now });
    limiter.charge("a", 5);
    expect(limiter.check("a")).toBeGreaterThan(0);
    expect(limiter.check("b")).toBe(0);
  });

  it("holds a flood to about the rate plus one burst over time", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 1000, burst: 2000, now: c.now });
    const { admitted, rejected } = drive(limiter, c, "k", {
      seconds: 20,
      requestsPerSecond: 100,
      items: 100,
    });
    // Offered 200,000 items; the bucket lets through 20 s × 1000/s + the burst (+ one request of slack).
    expect(admitted).toBeLessThanOrEqual(20 * 1000 + 2000 + 100);
    expect(admitted).toBeGreaterThanOrEqual(20 * 1000);
    expect(rejected).toBeGreaterThan(0);
  });

  it("with the defaults, never rejects a single service sending 100,000 spans/s (or 2,000,000)", () => {
    for (const spansPerSecond of [100_000, 2_000_000]) {
      const c = clock();
      const limiter = createRateLimiter({
        ratePerSecond: DEFAULT_INGEST_RATE_LIMIT.itemsPerSecond,
        burst: DEFAULT_INGEST_RATE_LIMIT.burst,
        now: c.now,
      });
      const result = drive(limiter, c, "busy", {
        seconds: 30,
        requestsPerSecond: spansPerSecond / 100,
        items: 100,
      });
      expect(result.rejected).toBe(0);
      expect(result.admitted).toBe(30 * spansPerSecond);
    }
  });

  it("with the defaults, still stops a flood far beyond any single process", () => {
    const c = clock();
    const limiter = createRateLimiter({
      ratePerSecond: DEFAULT_INGEST_RATE_LIMIT.itemsPerSecond,
      burst: DEFAULT_INGEST_RATE_LIMIT.burst,
      now: c.now,
    });
    const { rejected } = drive(limiter, c, "flood", { seconds: 10, requestsPerSecond: 2000, items: 5000 });
    expect(rejected).toBeGreaterThan(0);
  });

  it("bounds the number of buckets, dropping idle (full) ones first", () => {
    const c = clock();
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 10, maxKeys: 3, now: c.now });
    limiter.charge("busy", 100);
    for (const k of ["a", "b", "c", "d"]) limiter.check(k);
    expect(limiter.size).toBe(3);
    // The busy key, still in debt, was kept; its debt was not forgotten.
    expect(limiter.check("busy")).toBeGreaterThan(0);
  });

  it("refuses a meaningless configuration", () => {
    expect(() => createRateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
