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
    });
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
