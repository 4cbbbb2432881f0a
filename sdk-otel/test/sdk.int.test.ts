import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type OtlpSink, payload, payloadsAt, startOtlpSink } from "./helpers/otlp-sink.js";
import { runFixture } from "./helpers/run-fixture.js";
import { useBuiltSdkAndSink } from "./helpers/sink-per-test.js";

const INGEST_KEY = "cw_test_ingest_key";
/** Export every span, not only those with an error (the default): for tests about flushing and instrumentation. */
const ALL_SPANS = { CODEWARDEN_EXPORT_SPANS: "all" };

/** Environment that points the SDK at the fixture.sink. */
function sinkEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CODEWARDEN_ENDPOINT: fixture.sink.url,
    CODEWARDEN_INGEST_KEY: INGEST_KEY,
    CODEWARDEN_ENVIRONMENT: "test-env",
    ...extra,
  };
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const fixture = useBuiltSdkAndSink();

describe("sdk-otel in real Node processes", () => {
  it("exports handled exceptions as span events and ERROR log records (ESM, --import)", async () => {
    const run = await runFixture("handled.mjs", { preload: "import", env: sinkEnv() });

    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("flushed=true");
    expect(run.code).toBe(0);

    const paths = new Set(fixture.sink.requests.map((r) => r.path));
    expect(paths).toEqual(new Set(["/v1/traces", "/v1/logs"]));
    for (const request of fixture.sink.requests) {
      expect(request.method).toBe("POST");
      expect(request.contentType).toBe("application/x-protobuf");
      expect(request.contentEncoding).toBe("gzip");
      expect(request.authorization).toBe(`Bearer ${INGEST_KEY}`);
    }

    const traces = payloadsAt(fixture.sink, "/v1/traces");
    expect(traces.includes("checkout-span")).toBe(true);
    expect(traces.includes("handled-boom-marker")).toBe(true);
    expect(traces.includes("exception.type")).toBe(true);
    expect(traces.includes("TypeError")).toBe(true);

    const logs = payloadsAt(fixture.sink, "/v1/logs");
    for (const needle of [
      "handled-boom-marker",
      "exception.type",
      "exception.message",
      "exception.stacktrace",
      "TypeError",
      "app.step",
      "checkout",
      "plain-string-failure-marker",
      "object-failure-marker",
      "ERROR",
    ]) {
      expect(logs.includes(needle), needle).toBe(true);
    }
    // Resource: name and version from fixtures/package.json, environment from CODEWARDEN_ENVIRONMENT.
    for (const needle of ["cw-fixture-app", "1.2.3", "deployment.environment.name", "test-env"]) {
      expect(logs.includes(needle), needle).toBe(true);
      expect(traces.includes(needle), needle).toBe(true);
    }
  });

  it("exports from its worker thread (ESM and CJS builds), and from the application's with CODEWARDEN_EXPORT_THREAD=false", async () => {
    const threaded = await runFixture("export-thread.mjs", { preload: "import", env: sinkEnv() });
    expect(threaded.stderr).toBe("");
    expect(threaded.stdout).toContain("flushed=true");
    expect(threaded.stdout).toContain("requests-on-app-thread=0");
    expect(threaded.code).toBe(0);
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("export-thread-marker")).toBe(true);

    const commonJs = await runFixture("export-thread.cjs", { preload: "require", env: sinkEnv() });
    expect(commonJs.stderr).toBe("");
    expect(commonJs.stdout).toContain("flushed=true");
    expect(commonJs.stdout).toContain("requests-on-app-thread=0");
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("export-thread-cjs-marker")).toBe(true);

    fixture.sink.requests.length = 0;
    const here = await runFixture("export-thread.mjs", {
      preload: "import",
      env: sinkEnv({ CODEWARDEN_EXPORT_THREAD: "false" }),
    });
    expect(here.stderr).toBe("");
    expect(here.stdout).toContain("flushed=true");
    // The span (the error's) and the log record: one request each, made on this thread.
    expect(here.stdout).toContain("requests-on-app-thread=2");
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("export-thread-marker")).toBe(true);
  });

  it("leaves async hooks off while the application starts, and still finds the request's span after an await", async () => {
    const run = await runFixture("start-hooks.mjs", { preload: "import", env: sinkEnv() });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // Before, the SDK's start-up check ran AsyncLocalStorage.run: on Node.js 20 and 22 every promise of the
    // application's start-up then carried async ids (3 symbols here).
    expect(run.stdout).toContain("promise-symbols-at-start=0");
    expect(run.stdout).toContain("status=200");
    expect(run.stdout).toContain("flushed=true");
    // The error was recorded on the request's server span (the only span that can carry it here) and logged.
    const traces = payloadsAt(fixture.sink, "/v1/traces");
    expect(traces.includes("start-hooks-marker")).toBe(true);
    expect(traces.includes("/after-await")).toBe(true);
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("start-hooks-marker")).toBe(true);
  });

  it("captures an uncaught exception, prints its stack and exits 1 (ESM, --import)", async () => {
    const run = await runFixture("uncaught.mjs", { preload: "import", env: sinkEnv() });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("RangeError: uncaught-boom-marker");
    expect(run.stderr).toMatch(/\n {4}at .*uncaught\.mjs:3:/);
    expect(occurrences(run.stderr, "RangeError: uncaught-boom-marker")).toBe(1);

    const logs = payloadsAt(fixture.sink, "/v1/logs");
    expect(logs.includes("uncaught-boom-marker")).toBe(true);
    expect(logs.includes("exception.type")).toBe(true);
    expect(logs.includes("RangeError")).toBe(true);
    expect(logs.includes("uncaughtException")).toBe(true);
    const traces = payloadsAt(fixture.sink, "/v1/traces");
    expect(traces.includes("uncaught-boom-marker")).toBe(true);
    expect(traces.includes("exception.type")).toBe(true);
  });

  it("captures an unhandled rejection, prints its stack and exits 1 (CJS, --require)", async () => {
    const run = await runFixture("rejection.cjs", { preload: "require", env: sinkEnv() });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("SyntaxError: rejected-boom-marker");
    expect(run.stderr).toMatch(/\n {4}at .*rejection\.cjs:4:/);

    const logs = payloadsAt(fixture.sink, "/v1/logs");
    expect(logs.includes("rejected-boom-marker")).toBe(true);
    expect(logs.includes("exception.type")).toBe(true);
    expect(logs.includes("SyntaxError")).toBe(true);
    expect(logs.includes("unhandledRejection")).toBe(true);
    expect(fixture.sink.requests.every((r) => r.authorization === `Bearer ${INGEST_KEY}`)).toBe(true);
  });

  it("keeps Node's behaviour for rejections under --unhandled-rejections=warn, still capturing", async () => {
    const run = await runFixture("rejection.cjs", {
      preload: "require",
      nodeArgs: ["--unhandled-rejections=warn"],
      env: sinkEnv(),
    });

    expect(run.code).toBe(0);
    expect(run.stderr).toContain("UnhandledPromiseRejectionWarning");
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("rejected-boom-marker")).toBe(true);
  });

  it("flushes a clean CJS process on exit, which still exits 0", async () => {
    // exportSpans "all": the fixture's span has no error, and this test is about the exit flush.
    const run = await runFixture("clean.cjs", { preload: "require", env: sinkEnv(ALL_SPANS) });

    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(
      "exports=VERSION,captureException,captureMessage,flush,init,setTag,setUser,shutdown",
    );
    const traces = payloadsAt(fixture.sink, "/v1/traces");
    expect(traces.includes("clean-work-marker")).toBe(true);
    expect(fixture.sink.requests.every((r) => r.authorization === `Bearer ${INGEST_KEY}`)).toBe(true);
  });

  it("shares one SDK between the ESM build (--import) and the CommonJS build (require)", async () => {
    const run = await runFixture("mixed.cjs", { preload: "import", env: sinkEnv() });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("active=true");
    expect(run.stdout).toContain("flushed=true");
    expect(occurrences(run.stderr, "init() was called more than once")).toBe(1);
    expect(run.stderr).not.toContain("another OpenTelemetry SDK");
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("mixed-builds-marker")).toBe(true);
  });

  it("init() called explicitly: options win over env, a second init warns and returns the same handle", async () => {
    const run = await runFixture("explicit-init.mjs", {
      env: {
        FIXTURE_ENDPOINT: fixture.sink.url,
        // Both lose to the explicit options:
        CODEWARDEN_ENDPOINT: "http://127.0.0.1:9",
        CODEWARDEN_INGEST_KEY: "cw_env_key_must_lose",
      },
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('{"active":true,"same":true}');
    expect(run.stdout).toContain("shutdown=true active=false");
    expect(occurrences(run.stderr, "init() was called more than once")).toBe(1);

    expect(fixture.sink.requests.length).toBeGreaterThan(0);
    expect(fixture.sink.requests.every((r) => r.authorization === "Bearer cw_explicit_key")).toBe(true);
    const logs = payloadsAt(fixture.sink, "/v1/logs");
    expect(logs.includes("explicit-boom-marker")).toBe(true);
    expect(logs.includes("explicit-service")).toBe(true);
    expect(logs.includes("explicit-env")).toBe(true);
    expect(logs.includes("ignored-second-init")).toBe(false);
  });

  it("applies sampleRate, scrub, beforeSend (drop, edit, throwing), setUser, setTag and captureMessage", async () => {
    const run = await runFixture("options.mjs", { env: sinkEnv() });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("shutdown=true");
    // A throwing beforeSend warns once and the exception is still sent, unmodified.
    expect(occurrences(run.stderr, "beforeSend-bug-marker")).toBe(1);

    const logs = payloadsAt(fixture.sink, "/v1/logs");
    for (const needle of [
      "kept-marker for [redacted]",
      "before-send-marker",
      "hook-crash-marker",
      "user-marker-42",
      "ada@example.com",
      "tag-marker",
      "message-marker",
      "Message",
      "WARN",
    ]) {
      expect(logs.includes(needle), needle).toBe(true);
    }
    expect(logs.includes("noise-marker")).toBe(false);
    expect(logs.includes("acct-99812")).toBe(false);
    // sampleRate 0: the span (and its exception events) is not exported, the log records are.
    expect(payloadsAt(fixture.sink, "/v1/traces").includes("sampled-out-span-marker")).toBe(false);
  });

  it("auto-instruments http and fetch, each switchable off by option or OTEL_NODE_DISABLED_INSTRUMENTATIONS", async () => {
    const HTTP_SCOPE = "@opentelemetry/instrumentation-http";
    const UNDICI_SCOPE = "@opentelemetry/instrumentation-undici";
    const traces = async (env: Record<string, string>) => {
      const before = fixture.sink.requests.length;
      const run = await runFixture("instrumented.cjs", { env: sinkEnv({ ...ALL_SPANS, ...env }) });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("shutdown=true");
      const requests = fixture.sink.requests.slice(before).filter((r) => r.path === "/v1/traces");
      return Buffer.concat(requests.map(payload));
    };

    const all = await traces({});
    expect(all.includes(HTTP_SCOPE)).toBe(true);
    expect(all.includes(UNDICI_SCOPE)).toBe(true);
    expect(all.includes("/instrumented-path-marker")).toBe(true);

    const noHttp = await traces({ FIXTURE_INSTRUMENTATIONS: JSON.stringify({ http: false }) });
    expect(noHttp.includes(HTTP_SCOPE)).toBe(false);
    expect(noHttp.includes(UNDICI_SCOPE)).toBe(true);

    const noUndici = await traces({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici" });
    expect(noUndici.includes(HTTP_SCOPE)).toBe(true);
    expect(noUndici.includes(UNDICI_SCOPE)).toBe(false);
  });

  it("by default exports only spans that carry an error: a run of successful requests sends no span", async () => {
    const run = await runFixture("instrumented.cjs", { env: sinkEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("shutdown=true");
    expect(payloadsAt(fixture.sink, "/v1/traces").includes("/instrumented-path-marker")).toBe(false);
  });

  it("auto-instruments node:http in an ES module app started with --import", async () => {
    const run = await runFixture("instrumented.mjs", { preload: "import", env: sinkEnv(ALL_SPANS) });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("done");
    const traces = payloadsAt(fixture.sink, "/v1/traces");
    expect(traces.includes("@opentelemetry/instrumentation-http")).toBe(true);
    expect(traces.includes("/esm-instrumented-marker")).toBe(true);
  });

  it("bad config (endpoint 'not a url') warns once and the app runs normally", async () => {
    const run = await runFixture("bad-config.mjs", {
      preload: "import",
      env: sinkEnv({ CODEWARDEN_ENDPOINT: "not a url" }),
    });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("app-ran active=false");
    expect(occurrences(run.stderr, "CODEWARDEN_ENDPOINT")).toBe(1);
    expect(run.stderr).toContain("not an absolute http(s) URL");
    expect(fixture.sink.requests).toHaveLength(0);
  });

  it("bad config leaves Node's own crash handling in place", async () => {
    const run = await runFixture("uncaught.mjs", {
      preload: "import",
      env: sinkEnv({ CODEWARDEN_INGEST_KEY: "has a space" }),
    });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("CODEWARDEN_INGEST_KEY");
    // Node's own report shows the throwing source line with a caret under it.
    expect(run.stderr).toContain('throw new RangeError("uncaught-boom-marker");');
    expect(run.stderr).toMatch(/\n\s*\^\n/);
    expect(fixture.sink.requests).toHaveLength(0);
  });

  it("leaves an app's own uncaughtException handler in charge, still capturing", async () => {
    const run = await runFixture("own-handler.mjs", { preload: "import", env: sinkEnv() });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("app-handled own-handler-marker");
    expect(run.stdout).toContain("still-alive");
    expect(payloadsAt(fixture.sink, "/v1/logs").includes("own-handler-marker")).toBe(true);
  });

  it("flushes on SIGTERM and still terminates by the signal", async () => {
    let signalled = false;
    const run = await runFixture("sigterm.mjs", {
      preload: "import",
      env: sinkEnv(ALL_SPANS),
      onStdout: (stdout, child) => {
        if (!signalled && stdout.includes("ready")) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    });

    expect(signalled).toBe(true);
    expect(run.signal).toBe("SIGTERM");
    expect(run.code).toBeNull();
    expect(payloadsAt(fixture.sink, "/v1/traces").includes("sigterm-work-marker")).toBe(true);
  });
});

describe("bounded waits when the collector hangs", () => {
  let hanging: OtlpSink;

  beforeEach(async () => {
    hanging = await startOtlpSink({ hang: true });
  });

  afterEach(async () => {
    await hanging.close();
  });

  // The exporter's own timeout is 10 s; the runs are killed (SIGKILL) after 8 s, so finishing at all
  // shows that the SDK's ~2 s bound, not the exporter, decided when the process ended.
  it("a crashing process still exits 1", async () => {
    const run = await runFixture("uncaught.mjs", {
      preload: "import",
      env: { CODEWARDEN_ENDPOINT: hanging.url, CODEWARDEN_INGEST_KEY: INGEST_KEY },
      timeoutMs: 8000,
    });

    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("RangeError: uncaught-boom-marker");
    expect(hanging.requests.length).toBeGreaterThan(0);
  });

  it("a process that ends normally still exits 0", async () => {
    const run = await runFixture("clean.cjs", {
      preload: "require",
      env: { CODEWARDEN_ENDPOINT: hanging.url, CODEWARDEN_INGEST_KEY: INGEST_KEY, ...ALL_SPANS },
      timeoutMs: 8000,
    });

    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(hanging.requests.length).toBeGreaterThan(0);
  });
});
