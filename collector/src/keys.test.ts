import { generateSecret, hashSecret, INGEST_KEY_PREFIX } from "@codewarden/common";
import { connectPostgres, type DbHandle, ensureBootstrap, ingestKeys } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../drizzle/src/testing";
import { createKeyResolver, ingestKeyFromHeaders } from "./keys";

const logger = pino({ level: "silent" });
let handle: DbHandle;
let key: string;
let projectId: string;

beforeAll(async () => {
  handle = await createTestPglite();
  key = generateSecret(INGEST_KEY_PREFIX);
  projectId = (await ensureBootstrap(handle.db, { adminEmail: "a@example.com", ingestKey: key })).projectId;
});
afterAll(async () => {
  await handle?.close();
});

describe("ingestKeyFromHeaders", () => {
  it("reads a Bearer token or x-codewarden-key", () => {
    expect(ingestKeyFromHeaders({ authorization: "Bearer cw_ik_abc" })).toBe("cw_ik_abc");
    expect(ingestKeyFromHeaders({ authorization: "bearer   cw_ik_abc " })).toBe("cw_ik_abc");
    expect(ingestKeyFromHeaders({ "x-codewarden-key": " cw_ik_xyz " })).toBe("cw_ik_xyz");
    expect(ingestKeyFromHeaders({ authorization: "Basic dXNlcjpwdw==", "x-codewarden-key": "k" })).toBe("k");
    expect(ingestKeyFromHeaders({ authorization: "Basic dXNlcjpwdw==" })).toBeNull();
    expect(ingestKeyFromHeaders({})).toBeNull();
  });
});

describe("key resolver", () => {
  it("resolves a known key to its project and rejects unknown ones", async () => {
    const keys = createKeyResolver({ db: handle.db, logger });
    expect(await keys.resolve(key)).toMatchObject({ projectId });
    expect(await keys.resolve("cw_ik_unknown")).toBeNull();
    expect(await keys.resolve("x".repeat(10_000))).toBeNull();
  });

  it("serves cached grants until they expire, so a revocation takes effect within the TTL", async () => {
    let now = 1_000_000;
    const keys = createKeyResolver({ db: handle.db, logger, positiveTtlMs: 60_000, now: () => now });
    expect(await keys.resolve(key)).not.toBeNull();
    await handle.db
      .update(ingestKeys)
      .set({ revokedAt: new Date() })
      .where(eq(ingestKeys.keyHash, hashSecret(key)));
    try {
      now += 59_000;
      expect(await keys.resolve(key)).not.toBeNull(); // still cached
      now += 2_000;
      expect(await keys.resolve(key)).toBeNull(); // expired: asks the database again
    } finally {
      await handle.db
        .update(ingestKeys)
        .set({ revokedAt: null })
        .where(eq(ingestKeys.keyHash, hashSecret(key)));
    }
  });

  it("remembers unknown keys for the negative TTL only", async () => {
    let now = 0;
    const newKey = generateSecret(INGEST_KEY_PREFIX);
    const keys = createKeyResolver({ db: handle.db, logger, negativeTtlMs: 10_000, now: () => now });
    expect(await keys.resolve(newKey)).toBeNull();
    await handle.db
      .insert(ingestKeys)
      .values({ projectId, name: "new", keyHash: hashSecret(newKey), keyHint: "x" });
    now += 5_000;
    expect(await keys.resolve(newKey)).toBeNull();
    now += 6_000;
    expect(await keys.resolve(newKey)).toMatchObject({ projectId });
  });

  it("stays within its size bound", async () => {
    const keys = createKeyResolver({ db: handle.db, logger, maxEntries: 5 });
    for (let i = 0; i < 20; i++) await keys.resolve(`cw_ik_random_${i}`);
    expect(keys.size).toBe(5);
  });

  it("records key use without making the request wait", async () => {
    await handle.db
      .update(ingestKeys)
      .set({ lastUsedAt: null })
      .where(eq(ingestKeys.keyHash, hashSecret(key)));
    const keys = createKeyResolver({ db: handle.db, logger });
    await keys.resolve(key);
    await expect
      .poll(async () => {
        const [row] = await handle.db
          .select({ lastUsedAt: ingestKeys.lastUsedAt })
          .from(ingestKeys)
          .where(eq(ingestKeys.keyHash, hashSecret(key)));
        return row?.lastUsedAt;
      })
      .toBeInstanceOf(Date);
  });

  it("throws when the database fails, so the caller can answer 503", async () => {
    // Nothing listens on port 1: every query fails to connect.
    const broken = connectPostgres("postgres://postgres@127.0.0.1:1/none");
    try {
      const keys = createKeyResolver({ db: broken.db, logger });
      await expect(keys.resolve(key)).rejects.toThrow();
    } finally {
      await broken.close();
    }
  });
});
