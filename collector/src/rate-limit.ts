/**
 * Per-ingest-key rate limiting: an in-memory token bucket per key in each collector process,
 * counting items (spans, log records, metric data points) per second, with a burst.
 *
 * A request is admitted while its key's bucket holds tokens; once decoded, its items are
 * charged, possibly into debt (at most one burst deep), which later requests of the key repay
 * by waiting. So the long-run rate of a key is bounded by `ratePerSecond`, a request is never
 * rejected for being larger than the bucket, and a rejected request costs no body read and no
 * decoding.
 */

export interface RateLimiterOptions {
  /** Items per second refilled into each key's bucket (> 0). */
  ratePerSecond: number;
  /** Bucket capacity: items a key may send at once after being idle (>= 1). */
  burst: number;
  /** Buckets kept at most; beyond, full (idle) buckets are dropped first, then the oldest (default 10 000). */
  maxKeys?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export interface RateLimiter {
  /** 0 when a request of `key` may proceed now; otherwise the seconds to wait (for Retry-After, 1..60). */
  check(key: string): number;
  /** Charges `items` to the key's bucket. */
  charge(key: string, items: number): void;
  /** Buckets held (for tests). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_RETRY_AFTER_SECONDS = 60;

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { ratePerSecond: rate, burst } = opts;
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError("rate must be > 0 and burst >= 1");
  const maxKeys = opts.maxKeys ?? 10_000;
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  function bucketOf(key: string): Bucket {
    const t = now();
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: t };
      buckets.set(key, b);
      if (buckets.size > maxKeys) evict(t);
      return b;
    }
    if (t > b.at) {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
      b.at = t;
    }
    return b;
  }

  function evict(t: number): void {
    for (const [k, b] of buckets) {
      if (buckets.size <= maxKeys) return;
      if (b.tokens + ((t - b.at) / 1000) * rate >= burst) buckets.delete(k);
    }
    while (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
  }

  return {
    get size() {
      return buckets.size;
    },
    check(key) {
      const b = bucketOf(key);
      if (b.tokens > 0) return 0;
      const seconds = Math.ceil((1 - b.tokens) / rate);
      return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
    },
    charge(key, items) {
      if (!(items > 0)) return;
      const b = bucketOf(key);
      b.tokens = Math.max(-burst, b.tokens - items);
    },
  };
}
