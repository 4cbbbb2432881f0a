import type { IncomingHttpHeaders } from "node:http";
import { hashSecret } from "@codewarden/common";
import { type Db, findIngestKeyGrant, type IngestKeyGrant, touchIngestKey } from "@codewarden/drizzle";
import type pino from "pino";

/** Longest key accepted for a lookup; longer values are rejected without touching the database. */
const MAX_KEY_LENGTH = 512;

/** The ingest key of a request: `Authorization: Bearer <key>` or `x-codewarden-key: <key>`. */
export function ingestKeyFromHeaders(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const raw = headers["x-codewarden-key"];
  const key = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return key ? key : null;
}

export interface KeyResolverOptions {
  db: Db;
  logger: pino.Logger;
  /** How long a known key is trusted without asking the database (default 60 s). */
  positiveTtlMs?: number;
  /** How long an unknown key is remembered as unknown (default 10 s). */
  negativeTtlMs?: number;
  /** Cached keys at most (default 10 000); the oldest entries are evicted first. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  grant: IngestKeyGrant | null;
  expiresAt: number;
}

export interface KeyResolver {
  /** The grant of a key, or null when it is unknown or revoked. Throws when the database fails. */
  resolve(key: string): Promise<IngestKeyGrant | null>;
  /**
   * The grant of a key when the cache answers (null: known to be unknown or revoked), without
   * waiting; undefined when only `resolve` can tell. Saves the hot path an await per request.
   */
  cached(key: string): IngestKeyGrant | null | undefined;
  /** Cached entries (for tests and metrics). */
  readonly size: number;
}

/**
 * Resolves ingest keys through a bounded in-memory cache (positive and negative entries),
 * sharing one database lookup among concurrent requests with the same key, and records
 * key use (`touchIngestKey`) at most once a minute per key, without waiting for it.
 */
export function createKeyResolver(opts: KeyResolverOptions): KeyResolver {
  const positiveTtl = opts.positiveTtlMs ?? 60_000;
  const negativeTtl = opts.negativeTtlMs ?? 10_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<IngestKeyGrant | null>>();
  const lastTouch = new Map<string, number>();

  function touch(grant: IngestKeyGrant): void {
    const t = now();
    if ((lastTouch.get(grant.keyId) ?? Number.NEGATIVE_INFINITY) > t - 60_000) return;
    lastTouch.delete(grant.keyId);
    lastTouch.set(grant.keyId, t);
    if (lastTouch.size > maxEntries) lastTouch.delete(lastTouch.keys().next().value!);
    touchIngestKey(opts.db, grant.keyId).catch((err: unknown) => {
      opts.logger.warn({ err, keyId: grant.keyId }, "could not record ingest key use");
    });
  }

  function remember(key: string, grant: IngestKeyGrant | null): void {
    cache.delete(key);
    cache.set(key, { grant, expiresAt: now() + (grant ? positiveTtl : negativeTtl) });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  function cached(key: string): IngestKeyGrant | null | undefined {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return null;
    // Cached by the key itself, so a hit costs no hashing (the key is in this request's memory
    // anyway); the database only ever sees, and stores, its hash.
    const hit = cache.get(key);
    if (!hit || hit.expiresAt <= now()) return undefined;
    if (hit.grant) touch(hit.grant);
    return hit.grant;
  }

  return {
    get size() {
      return cache.size;
    },
    cached,
    async resolve(key) {
      const hit = cached(key);
      if (hit !== undefined) return hit;
      let pending = inflight.get(key);
      if (!pending) {
        pending = findIngestKeyGrant(opts.db, hashSecret(key))
          .then((g) => {
            remember(key, g);
            return g;
          })
          .finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      const grant = await pending;
      if (grant) touch(grant);
      return grant;
    },
  };
}
