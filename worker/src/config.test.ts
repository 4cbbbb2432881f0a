import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadLlmConfig, loadWorkerConfig } from "./config";
import { SCRUB_RULES } from "./scrub";

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
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalledCount: 5,
      logLevel: "info",
      llm: null,
      storage: { eventsPerIssueHour: 100, eventRetentionDays: 30, eventKeyWindowHours: 48 },
      scrub: { rules: [...SCRUB_RULES], extraKeys: [], extraPatterns: [] },
      alerts: {
        publicUrl: "http://localhost:3000",
        smtpUrl: null,
        smtpFrom: "codewarden@localhost",
        attempts: 5,
        timeoutMs: 10_000,
      },
      reports: { storage: { kind: "local", dir: "./.codewarden/reports" }, signedUrlTtlSeconds: 300 },
    });
  });

  it("reads report storage: an R2 bucket needs its keys, named in the error", () => {
    const base = { DATABASE_URL: "postgresql://h/x", REDIS_URL: "redis://h:6379" };
    expect(
      loadWorkerConfig({
        ...base,
        CODEWARDEN_REPORTS_S3_ENDPOINT: "https://acct.r2.cloudflarestorage.com",
        CODEWARDEN_REPORTS_S3_BUCKET: "cw-reports",
        CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID: "AKID",
        CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY: "secret",
      }).reports.storage,
    ).toMatchObject({ kind: "s3", bucket: "cw-reports", region: "auto" });
    expect(() => loadWorkerConfig({ ...base, CODEWARDEN_REPORTS_S3_BUCKET: "cw-reports" })).toThrow(
      /CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID/,
    );
  });

  it("reads alert settings and rejects a non-SMTP SMTP_URL, naming the variable", () => {
    const base = { DATABASE_URL: "postgresql://h/x", REDIS_URL: "redis://h:6379" };
    expect(
      loadWorkerConfig({
        ...base,
        CODEWARDEN_PUBLIC_URL: "https://errors.example.com/",
        SMTP_URL: "smtps://u:p@smtp.example.com:465",
        CODEWARDEN_ALERT_ATTEMPTS: "3",
      }).alerts,
    ).toEqual({
      publicUrl: "https://errors.example.com",
      smtpUrl: "smtps://u:p@smtp.example.com:465",
      smtpFrom: "codewarden@errors.example.com",
      attempts: 3,
      timeoutMs: 10_000,
    });
    expect(() => loadWorkerConfig({ ...base, SMTP_URL: "http://smtp.example.com" })).toThrow(/SMTP_URL/);
    expect(() => loadWorkerConfig({ ...base, CODEWARDEN_PUBLIC_URL: "ftp://x" })).toThrow(
      /CODEWARDEN_PUBLIC_URL/,
    );
  });

  it("reads bounded storage settings and rejects bad values, naming the variable", () => {
    const base = { DATABASE_URL: "postgresql://h/x", REDIS_URL: "redis://h:6379" };
    expect(
      loadWorkerConfig({
        ...base,
        CODEWARDEN_EVENTS_PER_ISSUE_HOUR: "20",
        CODEWARDEN_EVENT_RETENTION_DAYS: "7",
        CODEWARDEN_EVENT_KEY_WINDOW_HOURS: "12",
      }).storage,
    ).toEqual({ eventsPerIssueHour: 20, eventRetentionDays: 7, eventKeyWindowHours: 12 });
    expect(() => loadWorkerConfig({ ...base, CODEWARDEN_EVENTS_PER_ISSUE_HOUR: "0" })).toThrow(
      /CODEWARDEN_EVENTS_PER_ISSUE_HOUR/,
    );
    expect(() => loadWorkerConfig({ ...base, CODEWARDEN_EVENT_RETENTION_DAYS: "forever" })).toThrow(
      /CODEWARDEN_EVENT_RETENTION_DAYS/,
    );
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
      ratePerMinute: 60,
      concurrency: 2,
      attempts: 5,
      responseFormat: "json_object",
    });
    expect(loadLlmConfig({})).toBeNull();
    expect(() => loadLlmConfig({ CODEWARDEN_LLM_BASE_URL: "not a url" })).toThrow(/CODEWARDEN_LLM_BASE_URL/);
  });

  it("reads the summaries queue's limits and rejects bad values, naming the variable", () => {
    const llm = { CODEWARDEN_LLM_BASE_URL: "http://127.0.0.1:4000/v1" };
    expect(
      loadLlmConfig({
        ...llm,
        CODEWARDEN_LLM_RATE_LIMIT: "10",
        CODEWARDEN_LLM_CONCURRENCY: "1",
        CODEWARDEN_LLM_MAX_ATTEMPTS: "3",
        CODEWARDEN_LLM_RESPONSE_FORMAT: "json_schema",
        CODEWARDEN_LLM_DAILY_BUDGET: "0",
      }),
    ).toMatchObject({
      ratePerMinute: 10,
      concurrency: 1,
      attempts: 3,
      responseFormat: "json_schema",
      dailyBudgetPerProject: 0,
      apiKey: null,
    });
    expect(() => loadLlmConfig({ ...llm, CODEWARDEN_LLM_RATE_LIMIT: "0" })).toThrow(
      /CODEWARDEN_LLM_RATE_LIMIT/,
    );
    expect(() => loadLlmConfig({ ...llm, CODEWARDEN_LLM_RESPONSE_FORMAT: "text" })).toThrow(
      /CODEWARDEN_LLM_RESPONSE_FORMAT/,
    );
    expect(() => loadLlmConfig({ ...llm, CODEWARDEN_LLM_MAX_ATTEMPTS: "many" })).toThrow(
      /CODEWARDEN_LLM_MAX_ATTEMPTS/,
    );
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
