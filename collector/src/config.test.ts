import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadCollectorConfig } from "./config";

describe("loadCollectorConfig", () => {
  it("has defaults that need no configuration", () => {
    expect(loadCollectorConfig({})).toEqual({
      port: 4318,
      host: "127.0.0.1",
      redisUrl: undefined,
      databaseUrl: undefined,
      dataDir: "./.codewarden",
      queuePrefix: "cw",
      maxBodyBytes: 8 * 1024 * 1024,
      ingestRateLimit: { itemsPerSecond: 5_000_000, burst: 10_000_000 },
      openobserve: null,
    });
  });

  it("reads every variable", () => {
    expect(
      loadCollectorConfig({
        COLLECTOR_PORT: "0",
        HOST: "0.0.0.0",
        REDIS_URL: "rediss://default:pw@example.upstash.io:6379",
        DATABASE_URL: "postgres://u:p@db:5432/cw",
        CODEWARDEN_DATA_DIR: "/data",
        CODEWARDEN_QUEUE_PREFIX: "cw-prod",
        CODEWARDEN_MAX_BODY_BYTES: "1048576",
        CODEWARDEN_INGEST_RATE_LIMIT: "5000",
        CODEWARDEN_INGEST_RATE_BURST: "20000",
        OPENOBSERVE_URL: "https://o2.example.com/",
        OPENOBSERVE_ORG: "acme",
        OPENOBSERVE_USER: "root@example.com",
        OPENOBSERVE_PASSWORD: "Complexpass#123",
        UNRELATED: "ignored",
      }),
    ).toEqual({
      port: 0,
      host: "0.0.0.0",
      redisUrl: "rediss://default:pw@example.upstash.io:6379",
      databaseUrl: "postgres://u:p@db:5432/cw",
      dataDir: "/data",
      queuePrefix: "cw-prod",
      maxBodyBytes: 1048576,
      ingestRateLimit: { itemsPerSecond: 5000, burst: 20000 },
      openobserve: {
        url: "https://o2.example.com/",
        org: "acme",
        authorization: `Basic ${Buffer.from("root@example.com:Complexpass#123").toString("base64")}`,
      },
    });
  });

  it("disables rate limiting with 0 and defaults the burst to two seconds of the rate", () => {
    expect(loadCollectorConfig({ CODEWARDEN_INGEST_RATE_LIMIT: "0" }).ingestRateLimit).toBeNull();
    expect(loadCollectorConfig({ CODEWARDEN_INGEST_RATE_LIMIT: "300" }).ingestRateLimit).toEqual({
      itemsPerSecond: 300,
      burst: 600,
    });
    expect(() => loadCollectorConfig({ CODEWARDEN_INGEST_RATE_LIMIT: "-1" })).toThrow(
      /CODEWARDEN_INGEST_RATE_LIMIT/,
    );
    expect(() => loadCollectorConfig({ CODEWARDEN_INGEST_RATE_BURST: "0" })).toThrow(
      /CODEWARDEN_INGEST_RATE_BURST/,
    );
  });

  it("takes OpenObserve credentials as a user and password, or as a token", () => {
    const o2 = (env: Record<string, string>) =>
      loadCollectorConfig({ OPENOBSERVE_URL: "http://localhost:5080", ...env }).openobserve;
    expect(o2({})).toEqual({ url: "http://localhost:5080", org: "default", authorization: null });
    expect(o2({ OPENOBSERVE_TOKEN: "cm9vdDpwYXNz" })?.authorization).toBe("Basic cm9vdDpwYXNz");
    expect(o2({ OPENOBSERVE_TOKEN: "Bearer o2oi_abc" })?.authorization).toBe("Bearer o2oi_abc");
    expect(() => o2({ OPENOBSERVE_USER: "root" })).toThrow(/OPENOBSERVE_PASSWORD/);
    expect(() => o2({ OPENOBSERVE_USER: "u", OPENOBSERVE_PASSWORD: "p", OPENOBSERVE_TOKEN: "t" })).toThrow(
      /OPENOBSERVE_TOKEN/,
    );
    expect(() => loadCollectorConfig({ OPENOBSERVE_URL: "localhost:5080" })).toThrow(/OPENOBSERVE_URL/);
    expect(loadCollectorConfig({ OPENOBSERVE_TOKEN: "t" }).openobserve).toBeNull();
  });

  it("treats empty strings as unset", () => {
    expect(loadCollectorConfig({ REDIS_URL: "", COLLECTOR_PORT: "" }).port).toBe(4318);
  });

  it("fails with a message naming each bad variable", () => {
    let error: unknown;
    try {
      loadCollectorConfig({
        COLLECTOR_PORT: "http",
        REDIS_URL: "localhost:6379",
        CODEWARDEN_MAX_BODY_BYTES: "12",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/COLLECTOR_PORT/);
    expect(message).toMatch(/REDIS_URL/);
    expect(message).toMatch(/CODEWARDEN_MAX_BODY_BYTES/);
    expect(() => loadCollectorConfig({ COLLECTOR_PORT: "70000" })).toThrow(/COLLECTOR_PORT/);
  });
});
