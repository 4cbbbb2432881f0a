import { hashSecret } from "@codewarden/common";
import { type Db, listAuditLog, schema } from "@codewarden/drizzle";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, signedIn } from "./accounts-helpers";
import { seedIssue, seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

/**
 * The collector, loaded through a non-literal specifier: a static import would make the web
 * TypeScript program (DOM typings) type-check the collector's sources, written for Node's.
 */
const COLLECTOR: string = "../../collector/src/index.ts";
interface CollectorModule {
  createInProcessErrorQueue(
    handler: (job: { projectId: string }) => Promise<void>,
    opts: { logger: pino.Logger; lingerMs?: number },
  ): { drain(): Promise<void>; close(): Promise<void> };
  createKeyResolver(opts: {
    db: Db;
    logger: pino.Logger;
    positiveTtlMs?: number;
    negativeTtlMs?: number;
  }): unknown;
  startCollector(
    config: { port: number; host: string; dataDir: string; queuePrefix: string; maxBodyBytes: number },
    deps: { db: Db; queue: unknown; logger: pino.Logger },
    options: { keys?: unknown },
  ): Promise<{ port: number; close(): Promise<void> }>;
}

let t: TestWeb;
let owner: Client;
let viewer: Client;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

const KEYS = "/settings/orgs/default/projects/default/keys";
const TOKENS = "/settings/orgs/default/tokens";

beforeAll(async () => {
  t = await startTestWeb();
  owner = await signedIn(t);
  await seedMember(t.db, t.boot.orgId, "viewer@example.com");
  viewer = await signedIn(t, "viewer@example.com");
  other = await seedOtherOrg(t.db);
});

afterAll(async () => {
  await t?.close();
});

const secretIn = (html: string, prefix: "cw_ik_" | "cw_at_") =>
  new RegExp(`(${prefix}[A-Za-z0-9_-]{43})`).exec(html)?.[1] ?? null;

describe("ingest keys", () => {
  let secret: string;

  it("owners create a key: the secret is in that response only, the database keeps its hash", async () => {
    const res = await owner.post(KEYS, { intent: "create", name: "production" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("Copy it now: it will not be shown again.");
    secret = secretIn(html, "cw_ik_")!;
    expect(secret).not.toBeNull();

    const [row] = await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.name, "production"));
    expect(row).toMatchObject({
      projectId: t.boot.projectId,
      keyHash: hashSecret(secret),
      keyHint: secret.slice(0, 12),
      createdBy: t.boot.adminUserId,
      revokedAt: null,
    });
    expect(JSON.stringify(row)).not.toContain(secret);

    for (const who of [owner, viewer]) {
      const list = await who.get(KEYS);
      expect(list.status).toBe(200);
      const page = await list.text();
      expect(page).toContain("production");
      expect(page).toContain(`${secret.slice(0, 12)}…`);
      expect(page).toContain("by admin@localhost");
      expect(page).not.toContain(secret);
    }

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: row!.id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "ingest_key.created",
      actorType: "user",
      actorUserId: t.boot.adminUserId,
      ip: "127.0.0.1",
      metadata: { name: "production", hint: secret.slice(0, 12) },
    });
  });

  it("members see the keys but cannot create or revoke them (403)", async () => {
    const page = await (await viewer.get(KEYS)).text();
    expect(page).toContain("Only owners can create or revoke keys.");
    expect(page).not.toContain("Revoke…");
    expect((await viewer.post(KEYS, { intent: "create", name: "mine" })).status).toBe(403);
    const [row] = await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.name, "production"));
    expect((await viewer.post(KEYS, { intent: "revoke", keyId: row!.id })).status).toBe(403);
    expect(
      await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.name, "mine")),
    ).toHaveLength(0);
    const [still] = await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.id, row!.id));
    expect(still?.revokedAt).toBeNull();
  });

  it("needs the CSRF token", async () => {
    expect((await owner.postWithoutToken(KEYS, { intent: "create", name: "no-token" })).status).toBe(403);
    expect((await owner.post(KEYS, { _csrf: "forged", intent: "create", name: "no-token" })).status).toBe(
      403,
    );
    expect(
      await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.name, "no-token")),
    ).toHaveLength(0);
  });

  it("another organisation's project or key is not found (404) and stays as it was", async () => {
    const [theirKey] = await t.db
      .insert(schema.ingestKeys)
      .values({
        projectId: other.project.id,
        name: "theirs",
        keyHash: hashSecret("theirs"),
        keyHint: "cw_ik_their",
      })
      .returning({ id: schema.ingestKeys.id });
    expect((await owner.get(`/settings/orgs/default/projects/${other.project.slug}/keys`)).status).toBe(404);
    expect((await owner.post(KEYS, { intent: "revoke", keyId: theirKey!.id })).status).toBe(404);
    expect(
      (
        await owner.post(`/settings/orgs/default/projects/${other.project.slug}/keys`, {
          intent: "create",
          name: "implant",
        })
      ).status,
    ).toBe(404);
    const [row] = await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.id, theirKey!.id));
    expect(row?.revokedAt).toBeNull();
    expect(
      await t.db.select().from(schema.ingestKeys).where(eq(schema.ingestKeys.name, "implant")),
    ).toHaveLength(0);
  });

  describe("with the collector", () => {
    let collector: Awaited<ReturnType<CollectorModule["startCollector"]>>;
    let queue: ReturnType<CollectorModule["createInProcessErrorQueue"]>;
    const jobs: { projectId: string }[] = [];
    const logger = pino({ level: "silent" });

    beforeAll(async () => {
      const c = (await import(COLLECTOR)) as CollectorModule;
      queue = c.createInProcessErrorQueue(
        async (job) => {
          jobs.push(job);
        },
        { logger, lingerMs: 0 },
      );
      collector = await c.startCollector(
        { port: 0, host: "127.0.0.1", dataDir: "unused", queuePrefix: "unused", maxBodyBytes: 1 << 20 },
        { db: t.db, queue, logger },
        // No key cache, so the revocation is seen on the next request (the default caches a key for a minute).
        { keys: c.createKeyResolver({ db: t.db, logger, positiveTtlMs: 0, negativeTtlMs: 0 }) },
      );
    });

    afterAll(async () => {
      await collector?.close();
      await queue?.close();
    });

    const exportTrace = (key: string) =>
      fetch(`http://127.0.0.1:${collector.port}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: "service.name", value: { stringValue: "checkout" } }] },
              scopeSpans: [
                {
                  scope: { name: "test" },
                  spans: [
                    {
                      traceId: "5b8efff798038103d269b633813fc60c",
                      spanId: "eee19b7ec3c1b174",
                      name: "GET /checkout",
                      kind: 2,
                      startTimeUnixNano: "1700000000000000000",
                      endTimeUnixNano: "1700000000100000000",
                      status: { code: 2 },
                      events: [
                        {
                          name: "exception",
                          timeUnixNano: "1700000000050000000",
                          attributes: [
                            { key: "exception.type", value: { stringValue: "TypeError" } },
                            { key: "exception.message", value: { stringValue: "boom" } },
                          ],
                        },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });

    it("accepts the new key, and refuses it (401) once an owner revoked it", async () => {
      const accepted = await exportTrace(secret);
      expect(accepted.status).toBe(200);
      await queue.drain();
      expect(jobs.map((j) => j.projectId)).toEqual([t.boot.projectId]);

      const [row] = await t.db
        .select()
        .from(schema.ingestKeys)
        .where(eq(schema.ingestKeys.name, "production"));
      const res = await owner.post(KEYS, { intent: "revoke", keyId: row!.id });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("Ingest key revoked");

      const refused = await exportTrace(secret);
      expect(refused.status).toBe(401);
      await queue.drain();
      expect(jobs).toHaveLength(1);

      const page = await (await owner.get(KEYS)).text();
      expect(page).toContain("Revoked");
      const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: row!.id });
      expect(audit.map((a) => a.action)).toEqual(["ingest_key.revoked", "ingest_key.created"]);
      // Revoking again: there is no working key with that id.
      expect((await owner.post(KEYS, { intent: "revoke", keyId: row!.id })).status).toBe(404);
    });
  });
});

describe("API tokens", () => {
  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${t.base}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });

  async function createToken(name: string, access: string) {
    const res = await owner.post(TOKENS, { intent: "create", name, access });
    expect(res.status).toBe(200);
    const html = await res.text();
    const token = secretIn(html, "cw_at_");
    expect(token).not.toBeNull();
    return token!;
  }

  it("owners create read-only and read-write tokens; each is shown once and works as scoped", async () => {
    const issueId = await seedIssue(t.db, t.boot.projectId, { title: "Token issue" });
    const read = await createToken("dashboards", "read");
    const write = await createToken("release script", "read-write");

    const rows = await t.db.select().from(schema.apiTokens).where(eq(schema.apiTokens.orgId, t.boot.orgId));
    expect(rows.find((r) => r.name === "dashboards")).toMatchObject({
      scopes: ["read"],
      tokenHash: hashSecret(read),
      createdBy: t.boot.adminUserId,
    });
    expect(rows.find((r) => r.name === "release script")?.scopes).toEqual(["read", "write"]);

    const list = await (await viewer.get(TOKENS)).text();
    expect(list).toContain("dashboards");
    expect(list).toContain("read + write");
    expect(list).not.toContain(read);
    expect(list).not.toContain(write);
    expect(list).toContain("Only owners can create or revoke tokens.");

    expect((await api("/projects", read)).status).toBe(200);
    const patch = { method: "PATCH", body: JSON.stringify({ status: "resolved" }) };
    expect((await api(`/issues/${issueId}`, read, patch)).status).toBe(403);
    expect((await api(`/issues/${issueId}`, write, patch)).status).toBe(200);

    const actions = (await listAuditLog(t.db, { orgId: t.boot.orgId })).map((a) => a.action);
    expect(actions.filter((a) => a === "api_token.created")).toHaveLength(2);
  });

  it("refuses a token without a name or access level", async () => {
    expect((await owner.post(TOKENS, { intent: "create", name: "", access: "read" })).status).toBe(400);
    expect((await owner.post(TOKENS, { intent: "create", name: "x", access: "admin" })).status).toBe(400);
  });

  it("a revoked token gets 401 at once; members cannot create or revoke (403)", async () => {
    const token = await createToken("short-lived", "read");
    const [row] = await t.db.select().from(schema.apiTokens).where(eq(schema.apiTokens.name, "short-lived"));
    expect((await viewer.post(TOKENS, { intent: "revoke", tokenId: row!.id })).status).toBe(403);
    expect((await viewer.post(TOKENS, { intent: "create", name: "viewer's", access: "read" })).status).toBe(
      403,
    );
    expect((await api("/projects", token)).status).toBe(200);

    const res = await owner.post(TOKENS, { intent: "revoke", tokenId: row!.id });
    expect(res.status).toBe(200);
    expect((await api("/projects", token)).status).toBe(401);
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: row!.id });
    expect(audit.map((a) => a.action)).toEqual(["api_token.revoked", "api_token.created"]);
  });

  it("another organisation's token is not found (404) and keeps working", async () => {
    const [theirs] = await t.db
      .select({ id: schema.apiTokens.id })
      .from(schema.apiTokens)
      .where(and(eq(schema.apiTokens.orgId, other.orgId), eq(schema.apiTokens.name, "other")));
    expect((await owner.post(TOKENS, { intent: "revoke", tokenId: theirs!.id })).status).toBe(404);
    expect((await api("/projects", other.token)).status).toBe(200);
    const page = await (await owner.get(TOKENS)).text();
    expect(page).not.toContain(">other<");
  });
});
