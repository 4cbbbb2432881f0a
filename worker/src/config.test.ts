import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadLlmConfig, loadWorkerConfig } from "./config";

describe("loadWorkerConfig", () => {
  it("requires DATABASE_URL and REDIS_URL, naming both", () => {
    expect(() => loadWorkerConfig({})).toThrow(ConfigError);
    expect(() => loadWorkerConfig({ DATABASE_URL: "" })).toThrow(
      /DATABASE_URL: required[\s\S]*REDIS_URL: required/,
    );
  });

  it("applies defaults", () => {
    expect(
      loadWorkerConfig({
        DATABASE_URL: "postgres://postgres@127.0.0.1/x",
        REDIS_URL: "rediss://default:p@h:6379",
      }),
    ).toEqual({
      databaseUrl: "postgres://postgres@127.0.0.1/x",
      redisUrl: "rediss://default:p@h:6379",
      queuePrefix: "cw",
      concurrency: 4,
      shutdownTimeoutMs: 10_000,
      logLevel: "info",
      llm: null,
    });
  });

  it("enables LLM summaries when CODEWARDEN_LLM_BASE_URL is set", () => {
    const base = { DATABASE_URL: "postgresql://h/x", REDIS_URL: "redis://h:6379" };
    expect(
      loadWorkerConfig({
        ...base,
        CODEWARDEN_LLM_BASE_URL: "http://litellm:4000/v1",
        CODEWARDEN_LLM_API_KEY: "sk-x",
      }).llm,
    ).toEqual({
      baseUrl: "http://litellm:4000/v1",
      apiKey: "sk-x",
      model: "gpt-4o-mini",
      timeoutMs: 20_000,
      dailyBudgetPerProject: 200,
    });
    expect(loadLlmConfig({})).toBeNull();
    expect(() => loadLlmConfig({ CODEWARDEN_LLM_BASE_URL: "not a url" })).toThrow(/CODEWARDEN_LLM_BASE_URL/);
  });

  it("reads the prefix and concurrency and rejects bad values", () => {
    const base = { DATABASE_URL: "postgresql://h/x", REDIS_URL: "redis://h:6379" };
    expect(
      loadWorkerConfig({ ...base, CODEWARDEN_QUEUE_PREFIX: "cw-test", WORKER_CONCURRENCY: "16" }),
    ).toMatchObject({
      queuePrefix: "cw-test",
      concurrency: 16,
    });
    expect(() => loadWorkerConfig({ ...base, WORKER_CONCURRENCY: "zero" })).toThrow(/WORKER_CONCURRENCY/);
    expect(() => loadWorkerConfig({ ...base, REDIS_URL: "http://h" })).toThrow(/REDIS_URL/);
  });
});
