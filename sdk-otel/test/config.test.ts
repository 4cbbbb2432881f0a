import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConfigResult, crashFlags, type ResolvedConfig, resolveConfig } from "../src/config.js";

let root: string;
let appDir: string; // has package.json {name: "shop-api", version: "4.5.6"}
let nestedDir: string; // below appDir, with a nameless package.json
let bareDir: string; // no package.json anywhere above (inside the OS temp dir)

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "cw-sdk-config-"));
  appDir = join(root, "app");
  nestedDir = join(appDir, "dist", "esm");
  bareDir = join(root, "bare");
  mkdirSync(nestedDir, { recursive: true });
  mkdirSync(bareDir);
  writeFileSync(join(appDir, "package.json"), JSON.stringify({ name: "shop-api", version: "4.5.6" }));
  writeFileSync(join(nestedDir, "package.json"), JSON.stringify({ type: "module" }));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function ok(result: ConfigResult): ResolvedConfig {
  if (!result.ok) throw new Error(`expected a valid config, got errors: ${result.errors.join(" | ")}`);
  return result.config;
}

function errors(result: ConfigResult): string[] {
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.errors;
}

describe("resolveConfig defaults", () => {
  it("uses localhost:4318 with the OTLP signal paths, gzip, no auth header", () => {
    const config = ok(resolveConfig({}, {}, appDir, []));
    expect(config.traces.url).toBe("http://localhost:4318/v1/traces");
    expect(config.logs.url).toBe("http://localhost:4318/v1/logs");
    expect(config.traces.headers).toEqual({});
    expect(config.compression).toBe("gzip");
    expect(config.traces.enabled && config.logs.enabled).toBe(true);
    expect(config.disabled).toBe(false);
    expect(config.debug).toBe(false);
    expect(config.exportThread).toBe(true);
  });

  it("exportThread: CODEWARDEN_EXPORT_THREAD=false turns the export thread off, the option wins, a non-boolean is an error", () => {
    expect(ok(resolveConfig({}, { CODEWARDEN_EXPORT_THREAD: "false" }, appDir, [])).exportThread).toBe(false);
    expect(
      ok(resolveConfig({ exportThread: true }, { CODEWARDEN_EXPORT_THREAD: "false" }, appDir, []))
        .exportThread,
    ).toBe(true);
    expect(ok(resolveConfig({ exportThread: false }, {}, appDir, [])).exportThread).toBe(false);
    expect(errors(resolveConfig({ exportThread: "no" as unknown as boolean }, {}, appDir, []))).toContain(
      "option exportThread must be a boolean.",
    );
  });

  it("takes service name and version from the nearest named package.json", () => {
    const config = ok(resolveConfig({}, {}, nestedDir, []));
    expect(config.serviceName).toBe("shop-api");
    expect(config.serviceVersion).toBe("4.5.6");
  });

  it("falls back to unknown_service:node without a package.json", () => {
    const config = ok(resolveConfig({}, {}, bareDir, []));
    expect(config.serviceName).toBe("unknown_service:node");
    expect(config.serviceVersion).toBeUndefined();
    expect(config.environment).toBeUndefined();
  });
});

describe("resolveConfig endpoints", () => {
  it("appends signal paths to OTEL_EXPORTER_OTLP_ENDPOINT, keeping a base path", () => {
    const config = ok(
      resolveConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "https://ingest.example.com/otlp" }, bareDir, []),
    );
    expect(config.traces.url).toBe("https://ingest.example.com/otlp/v1/traces");
    expect(config.logs.url).toBe("https://ingest.example.com/otlp/v1/logs");
    const slash = ok(
      resolveConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }, bareDir, []),
    );
    expect(slash.traces.url).toBe("http://collector:4318/v1/traces");
  });

  it("uses signal-specific endpoints as they are", () => {
    const config = ok(
      resolveConfig(
        {},
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://base:4318",
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:9/custom/path",
        },
        bareDir,
        [],
      ),
    );
    expect(config.traces.url).toBe("http://t:9/custom/path");
    expect(config.logs.url).toBe("http://base:4318/v1/logs");
  });

  it("prefers CODEWARDEN_ENDPOINT over OTEL_EXPORTER_OTLP_ENDPOINT, and the option over everything", () => {
    const env = {
      CODEWARDEN_ENDPOINT: "http://cw:4318",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318",
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://logs-only:1/x",
    };
    const fromEnv = ok(resolveConfig({}, env, bareDir, []));
    expect(fromEnv.traces.url).toBe("http://cw:4318/v1/traces");
    expect(fromEnv.logs.url).toBe("http://logs-only:1/x");
    const fromOption = ok(resolveConfig({ endpoint: "https://explicit.example" }, env, bareDir, []));
    expect(fromOption.traces.url).toBe("https://explicit.example/v1/traces");
    expect(fromOption.logs.url).toBe("https://explicit.example/v1/logs");
  });

  it("treats empty variables as unset", () => {
    const config = ok(resolveConfig({}, { CODEWARDEN_ENDPOINT: "  ", OTEL_SERVICE_NAME: "" }, appDir, []));
    expect(config.traces.url).toBe("http://localhost:4318/v1/traces");
    expect(config.serviceName).toBe("shop-api");
  });

  it("rejects endpoints that are not absolute http(s) URLs, naming the source", () => {
    expect(errors(resolveConfig({ endpoint: "not a url" }, {}, bareDir, [])).join(" ")).toContain(
      "option endpoint",
    );
    expect(errors(resolveConfig({}, { CODEWARDEN_ENDPOINT: "ftp://files.example" }, bareDir, []))).toEqual([
      'CODEWARDEN_ENDPOINT="ftp://files.example" is not an absolute http(s) URL.',
    ]);
    expect(
      errors(resolveConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" }, bareDir, []))[0],
    ).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
  });
});

describe("resolveConfig headers and keys", () => {
  it("sends CODEWARDEN_INGEST_KEY as a bearer token", () => {
    const config = ok(resolveConfig({}, { CODEWARDEN_INGEST_KEY: "cw_abc123" }, bareDir, []));
    expect(config.traces.headers).toEqual({ authorization: "Bearer cw_abc123" });
    expect(config.logs.headers).toEqual({ authorization: "Bearer cw_abc123" });
  });

  it("honours OTEL_EXPORTER_OTLP_HEADERS (percent-decoded) and signal-specific headers", () => {
    const config = ok(
      resolveConfig(
        {},
        {
          OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20cw_from_otel, X-Tenant = a%2Cb",
          OTEL_EXPORTER_OTLP_LOGS_HEADERS: "x-tenant=logs-tenant",
        },
        bareDir,
        [],
      ),
    );
    expect(config.traces.headers).toEqual({ authorization: "Bearer cw_from_otel", "x-tenant": "a,b" });
    expect(config.logs.headers).toEqual({ authorization: "Bearer cw_from_otel", "x-tenant": "logs-tenant" });
  });

  it("lets the ingest key beat generic headers and explicit options beat the environment", () => {
    const env = { OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer otel", CODEWARDEN_INGEST_KEY: "cw_env" };
    expect(ok(resolveConfig({}, env, bareDir, [])).traces.headers.authorization).toBe("Bearer cw_env");
    const explicit = ok(
      resolveConfig({ ingestKey: "cw_opt", headers: { "X-Extra": "1" } }, env, bareDir, []),
    );
    expect(explicit.traces.headers).toEqual({ authorization: "Bearer cw_opt", "x-extra": "1" });
  });

  it("skips malformed OTEL header entries with a warning", () => {
    const result = resolveConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: "=nokey,good=1,bad%=%zz" }, bareDir, []);
    expect(ok(result).traces.headers).toEqual({ good: "1" });
    expect(result.warnings.length).toBeGreaterThanOrEqual(2);
  });

  it("rejects ingest keys and header values that cannot go on the wire", () => {
    expect(errors(resolveConfig({}, { CODEWARDEN_INGEST_KEY: "has space" }, bareDir, []))[0]).toContain(
      "CODEWARDEN_INGEST_KEY",
    );
    expect(errors(resolveConfig({ ingestKey: "line\nbreak" }, {}, bareDir, []))[0]).toContain("ingestKey");
    expect(
      errors(resolveConfig({ headers: { "x-a": "evil\r\nInjected: 1" } }, {}, bareDir, []))[0],
    ).toContain("headers");
  });
});

describe("resolveConfig resource attributes", () => {
  it("service name: option, then OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then package.json", () => {
    const env = { OTEL_SERVICE_NAME: "from-env", OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs" };
    expect(ok(resolveConfig({ serviceName: "from-option" }, env, appDir, [])).serviceName).toBe(
      "from-option",
    );
    expect(ok(resolveConfig({}, env, appDir, [])).serviceName).toBe("from-env");
    expect(
      ok(resolveConfig({}, { OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs" }, appDir, [])).serviceName,
    ).toBe("from-attrs");
  });

  it("service version: option, then a CI commit SHA, then package.json", () => {
    expect(ok(resolveConfig({}, { GITHUB_SHA: "abc123" }, appDir, [])).serviceVersion).toBe("abc123");
    expect(ok(resolveConfig({}, { VERCEL_GIT_COMMIT_SHA: "def456" }, appDir, [])).serviceVersion).toBe(
      "def456",
    );
    expect(
      ok(resolveConfig({}, { RENDER_GIT_COMMIT: "r1", HEROKU_SLUG_COMMIT: "h1" }, appDir, [])).serviceVersion,
    ).toBe("r1");
    expect(
      ok(resolveConfig({ serviceVersion: "9.9.9" }, { GITHUB_SHA: "abc" }, appDir, [])).serviceVersion,
    ).toBe("9.9.9");
  });

  it("environment: option, then CODEWARDEN_ENVIRONMENT, then OTEL_RESOURCE_ATTRIBUTES, then NODE_ENV", () => {
    const env = { CODEWARDEN_ENVIRONMENT: "staging", NODE_ENV: "production" };
    expect(ok(resolveConfig({ environment: "qa" }, env, bareDir, [])).environment).toBe("qa");
    expect(ok(resolveConfig({}, env, bareDir, [])).environment).toBe("staging");
    expect(
      ok(
        resolveConfig(
          {},
          { OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=eu", NODE_ENV: "x" },
          bareDir,
          [],
        ),
      ).environment,
    ).toBe("eu");
    expect(ok(resolveConfig({}, { NODE_ENV: "production" }, bareDir, [])).environment).toBe("production");
  });

  it("rejects empty or non-string options", () => {
    expect(errors(resolveConfig({ serviceName: "" }, {}, bareDir, []))[0]).toContain("serviceName");
    expect(errors(resolveConfig({ endpoint: 42 as unknown as string }, {}, bareDir, []))[0]).toContain(
      "endpoint",
    );
    expect(errors(resolveConfig("nope" as never, {}, bareDir, []))).toEqual([
      "init() options must be an object.",
    ]);
  });
});

describe("resolveConfig OTel SDK variables", () => {
  it("honours OTEL_SDK_DISABLED and OTEL_*_EXPORTER=none", () => {
    expect(ok(resolveConfig({}, { OTEL_SDK_DISABLED: "true" }, bareDir, [])).disabled).toBe(true);
    const config = ok(resolveConfig({}, { OTEL_TRACES_EXPORTER: "none" }, bareDir, []));
    expect(config.traces.enabled).toBe(false);
    expect(config.logs.enabled).toBe(true);
  });

  it("reads batch limits and timeouts, warning about invalid numbers", () => {
    const result = resolveConfig(
      {},
      {
        OTEL_BSP_SCHEDULE_DELAY: "500",
        OTEL_BLRP_MAX_QUEUE_SIZE: "-3",
        OTEL_EXPORTER_OTLP_TIMEOUT: "3000",
        OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: "4000",
      },
      bareDir,
      [],
    );
    const config = ok(result);
    expect(config.traces.batch.scheduledDelayMillis).toBe(500);
    expect(config.logs.batch.maxQueueSize).toBe(2048);
    expect(config.traces.timeoutMillis).toBe(3000);
    expect(config.logs.timeoutMillis).toBe(4000);
    expect(result.warnings.some((w) => w.includes("OTEL_BLRP_MAX_QUEUE_SIZE"))).toBe(true);
  });

  it("warns (without failing) about protocols and options it does not support", () => {
    const result = resolveConfig(
      { endpiont: "x" } as never,
      { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      bareDir,
      [],
    );
    expect(result.ok).toBe(true);
    expect(result.warnings.some((w) => w.includes("OTEL_EXPORTER_OTLP_PROTOCOL"))).toBe(true);
    expect(result.warnings.some((w) => w.includes("endpiont"))).toBe(true);
  });

  it("maps OTEL_NODE_RESOURCE_DETECTORS", () => {
    expect(ok(resolveConfig({}, {}, bareDir, [])).resourceDetectors).toEqual(["env", "process", "host"]);
    expect(
      ok(resolveConfig({}, { OTEL_NODE_RESOURCE_DETECTORS: "none" }, bareDir, [])).resourceDetectors,
    ).toEqual([]);
    expect(
      ok(resolveConfig({}, { OTEL_NODE_RESOURCE_DETECTORS: "env,os" }, bareDir, [])).resourceDetectors,
    ).toEqual(["env", "os"]);
  });
});

describe("resolveConfig CODEWARDEN_SERVICE_*", () => {
  it("CODEWARDEN_SERVICE_NAME/VERSION beat OTEL_* and CI variables; options beat them", () => {
    const env = {
      CODEWARDEN_SERVICE_NAME: "cw-name",
      OTEL_SERVICE_NAME: "otel-name",
      CODEWARDEN_SERVICE_VERSION: "9.9.9",
      OTEL_RESOURCE_ATTRIBUTES: "service.version=1.0.0",
      GITHUB_SHA: "abc123",
    };
    const fromEnv = ok(resolveConfig({}, env, appDir, []));
    expect([fromEnv.serviceName, fromEnv.serviceVersion]).toEqual(["cw-name", "9.9.9"]);
    const explicit = ok(resolveConfig({ serviceName: "opt", serviceVersion: "0.0.1" }, env, appDir, []));
    expect([explicit.serviceName, explicit.serviceVersion]).toEqual(["opt", "0.0.1"]);
  });
});

describe("resolveConfig sampleRate, beforeSend and scrub", () => {
  it("exportSpans: errors by default; the option wins over CODEWARDEN_EXPORT_SPANS; bad values are reported", () => {
    expect(ok(resolveConfig({}, {}, bareDir, [])).exportSpans).toBe("errors");
    expect(ok(resolveConfig({}, { CODEWARDEN_EXPORT_SPANS: "ALL" }, bareDir, [])).exportSpans).toBe("all");
    expect(
      ok(resolveConfig({ exportSpans: "errors" }, { CODEWARDEN_EXPORT_SPANS: "all" }, bareDir, []))
        .exportSpans,
    ).toBe("errors");
    const badEnv = resolveConfig({}, { CODEWARDEN_EXPORT_SPANS: "some" }, bareDir, []);
    expect(ok(badEnv).exportSpans).toBe("errors");
    expect(badEnv.warnings.join("\n")).toContain("CODEWARDEN_EXPORT_SPANS");
    const badOption = resolveConfig({ exportSpans: "most" as never }, {}, bareDir, []);
    expect(badOption.ok).toBe(false);
    if (!badOption.ok) expect(badOption.errors.join("\n")).toContain("exportSpans");
  });

  it("sampleRate: the option wins over CODEWARDEN_SAMPLE_RATE; unset leaves OTEL_TRACES_SAMPLER in charge", () => {
    const env = { CODEWARDEN_SAMPLE_RATE: "0.25" };
    expect(ok(resolveConfig({ sampleRate: 0 }, env, bareDir, [])).sampleRate).toBe(0);
    expect(ok(resolveConfig({}, env, bareDir, [])).sampleRate).toBe(0.25);
    expect(
      ok(resolveConfig({}, { OTEL_TRACES_SAMPLER: "always_off" }, bareDir, [])).sampleRate,
    ).toBeUndefined();
  });

  it("sampleRate outside [0, 1] is invalid config as an option, a warning from the environment", () => {
    for (const bad of [1.5, -0.1, Number.NaN, "0.5"]) {
      expect(errors(resolveConfig({ sampleRate: bad as number }, {}, bareDir, []))[0]).toContain(
        "sampleRate",
      );
    }
    const result = resolveConfig({}, { CODEWARDEN_SAMPLE_RATE: "lots" }, bareDir, []);
    expect(ok(result).sampleRate).toBeUndefined();
    expect(result.warnings.join(" ")).toContain("CODEWARDEN_SAMPLE_RATE");
  });

  it("beforeSend must be a function", () => {
    const hook = () => null;
    expect(ok(resolveConfig({ beforeSend: hook }, {}, bareDir, [])).beforeSend).toBe(hook);
    expect(errors(resolveConfig({ beforeSend: "drop" as never }, {}, bareDir, []))[0]).toContain(
      "beforeSend",
    );
  });

  it("scrub: RegExps get the global flag, strings match literally", () => {
    const { scrub } = ok(resolveConfig({ scrub: [/acct-\d+/i, "a.b*c"] }, {}, bareDir, []));
    expect(scrub.map((rule) => rule.flags)).toEqual(["gi", "g"]);
    expect("ACCT-1 acct-2".replace(scrub[0] as RegExp, "x")).toBe("x x");
    expect("a.b*c aXbbc".replace(scrub[1] as RegExp, "x")).toBe("x aXbbc");
    expect(ok(resolveConfig({}, {}, bareDir, [])).scrub).toEqual([]);
  });

  it("scrub: anything but an array of RegExps and non-empty strings is invalid config", () => {
    expect(errors(resolveConfig({ scrub: /x/ as never }, {}, bareDir, []))[0]).toContain("scrub");
    expect(errors(resolveConfig({ scrub: [""] }, {}, bareDir, []))[0]).toContain("scrub");
    expect(errors(resolveConfig({ scrub: [42 as never] }, {}, bareDir, []))[0]).toContain("scrub");
  });
});

describe("resolveConfig instrumentations", () => {
  const ALL = [
    "http",
    "undici",
    "express",
    "koa",
    "fastify",
    "pg",
    "postgres",
    "mysql",
    "mysql2",
    "redis",
    "ioredis",
    "mongodb",
  ];

  it("turns every bundled instrumentation on by default; an array adds to them", () => {
    expect(ok(resolveConfig({}, {}, bareDir, [])).autoInstrumentations).toEqual(ALL);
    const custom = { instrumentationName: "custom" } as never;
    const config = ok(resolveConfig({ instrumentations: [custom] }, {}, bareDir, []));
    expect(config.autoInstrumentations).toEqual(ALL);
    expect(config.instrumentations).toEqual([custom]);
  });

  it("switches by name, with extra instrumentations; the option wins over the environment", () => {
    const custom = { instrumentationName: "custom" } as never;
    const env = { OTEL_NODE_DISABLED_INSTRUMENTATIONS: "pg, redis", OTEL_NODE_ENABLED_INSTRUMENTATIONS: "" };
    const config = ok(
      resolveConfig({ instrumentations: { http: false, pg: true, extra: [custom] } }, env, bareDir, []),
    );
    expect(config.autoInstrumentations).toEqual(ALL.filter((name) => name !== "http" && name !== "redis"));
    expect(config.instrumentations).toEqual([custom]);
  });

  it("OTEL_NODE_ENABLED_INSTRUMENTATIONS narrows the set ('none' for none), unknown names warn", () => {
    const only = resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: "http,express,grpc" }, bareDir, []);
    expect(ok(only).autoInstrumentations).toEqual(["http", "express"]);
    expect(only.warnings.join(" ")).toContain("grpc");
    const none = ok(resolveConfig({}, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: "none" }, bareDir, []));
    expect(none.autoInstrumentations).toEqual([]);
  });

  it("rejects non-boolean switches and a non-array extra; warns about unknown names", () => {
    expect(
      errors(resolveConfig({ instrumentations: { http: "no" as never } }, {}, bareDir, []))[0],
    ).toContain("instrumentations.http");
    expect(errors(resolveConfig({ instrumentations: { extra: {} as never } }, {}, bareDir, []))[0]).toContain(
      "extra",
    );
    expect(errors(resolveConfig({ instrumentations: "all" as never }, {}, bareDir, []))[0]).toContain(
      "instrumentations",
    );
    const unknown = resolveConfig({ instrumentations: { graphql: false } as never }, {}, bareDir, []);
    expect(ok(unknown).autoInstrumentations).toEqual(ALL);
    expect(unknown.warnings.join(" ")).toContain("graphql");
  });
});

describe("crashFlags", () => {
  it("defaults to Node's throw mode", () => {
    expect(crashFlags([], undefined)).toEqual({ rejectionMode: "throw", abortOnUncaught: false });
  });

  it("reads --unhandled-rejections from NODE_OPTIONS and execArgv, the command line winning", () => {
    expect(crashFlags([], "--unhandled-rejections=warn").rejectionMode).toBe("warn");
    expect(crashFlags(["--unhandled-rejections=strict"], "--unhandled-rejections=none").rejectionMode).toBe(
      "strict",
    );
    expect(crashFlags(["--unhandled-rejections", "none"], undefined).rejectionMode).toBe("none");
    expect(crashFlags(["--abort-on-uncaught-exception"], undefined).abortOnUncaught).toBe(true);
  });
});
