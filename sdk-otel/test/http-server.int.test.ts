import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type DecodedSpan, SPAN_KIND, STATUS_CODE, spansFrom } from "./helpers/decode-spans.js";
import { payloadsAt } from "./helpers/otlp-sink.js";
import { FIXTURES_DIR, type FixtureOptions, type FixtureRun, runFixture } from "./helpers/run-fixture.js";
import { useBuiltSdkAndSink } from "./helpers/sink-per-test.js";

// With the default exportSpans "errors", incoming requests are traced by the SDK's own lean server
// instrumentation (src/http-server.ts) instead of @opentelemetry/instrumentation-http's server half.
const SERVER_SCOPE = "@codewarden/sdk-otel/http-server";
const PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT_SPAN = "b7ad6b7169203331";
const BODY_TRACE = "1bf7651916cd43dd8448eb211c80319d";

function sinkEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { CODEWARDEN_ENDPOINT: fixture.sink.url, CODEWARDEN_INGEST_KEY: "cw_test_ingest_key", ...extra };
}

const fixture = useBuiltSdkAndSink();

describe("server spans by default (exportSpans: errors)", () => {
  it("exports the 5xx server spans only, with the W3C parent, stable attributes and no query string", async () => {
    // The fixture is its own client (fetch); with undici instrumented, fetch would add a second traceparent
    // of its own to the one the fixture sets, as a client in another process would not.
    const run = await runCleanly("http-server-errors.mjs", {
      preload: "import",
      env: sinkEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici" }),
    });
    expect(run.stdout).toContain("statuses=200,200,200,200,200,500,500,500,500");
    expect(run.stdout).toContain("app-handled server-throw-marker");

    const servers = spansFrom(fixture.sink).filter((s) => s.scope === SERVER_SCOPE);
    // Five successful requests were traced and dropped; the four failures were exported.
    expect(servers).toHaveLength(4);
    const fail = servers.find((s) => s.attributes["url.path"] === "/fail/7");
    expect(fail).toMatchObject({
      kind: SPAN_KIND.SERVER,
      name: "GET",
      traceId: PARENT_TRACE,
      parentSpanId: PARENT_SPAN,
      status: { code: STATUS_CODE.ERROR },
    });
    expect(fail?.attributes).toMatchObject({
      "http.request.method": "GET",
      "http.response.status_code": 500,
      "error.type": "500",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "network.peer.address": "127.0.0.1",
      "network.protocol.version": "1.1",
      "user_agent.original": "fixture-agent/1.0",
    });
    expect(typeof fail?.attributes["server.port"]).toBe("number");
    expect(payloadsAt(fixture.sink, "/v1/traces").includes("s3cret-query-marker")).toBe(false);

    // The captured exception's log record carries the server span's context (same trace, same span).
    const logs = payloadsAt(fixture.sink, "/v1/logs");
    expect(logs.includes("server-fail-marker")).toBe(true);
    expect(logs.includes(Buffer.from(PARENT_TRACE, "hex"))).toBe(true);
    expect(logs.includes(Buffer.from(fail?.spanId ?? "", "hex"))).toBe(true);

    // Header names are case-insensitive: "TraceParent" is the parent too.
    expect(servers.find((s) => s.attributes["url.path"] === "/fail/8")).toMatchObject({
      traceId: "2cf7651916cd43dd8448eb211c80319e",
      parentSpanId: "d7ad6b7169203333",
    });

    const thrown = servers.find((s) => s.attributes["url.path"] === "/throw");
    expect(thrown?.status).toEqual({ code: STATUS_CODE.ERROR, message: "server-throw-marker" });
    // Ended as the exception left the listener: the error type is the exception's, no status was sent yet.
    expect(thrown?.attributes["error.type"]).toBe("TypeError");
    expect(thrown?.attributes["http.response.status_code"]).toBeUndefined();
    const exception = thrown?.events.find((e) => e.name === "exception");
    expect(exception?.attributes["exception.type"]).toBe("TypeError");
    expect(exception?.attributes["exception.message"]).toBe("server-throw-marker");

    // The body's listeners ran in the request's context: the error captured in "end" is on the server span.
    expect(run.stdout).toContain(`body-trace=${BODY_TRACE}`);
    const body = servers.find((s) => s.attributes["url.path"] === "/body");
    expect(body).toMatchObject({ traceId: BODY_TRACE, status: { code: STATUS_CODE.ERROR } });
    expect(body?.attributes["http.request.method"]).toBe("POST");
    expect(body?.events.find((e) => e.name === "exception")?.attributes["exception.message"]).toBe(
      "body-fail-marker 100000",
    );
    expect(logs.includes("body-fail-marker 100000")).toBe(true);
    expect(logs.includes(Buffer.from(body?.spanId ?? "", "hex"))).toBe(true);
  });

  it("fastify (ESM): names the server span after the route and exports only the failing request, with no framework spans", async () => {
    const before = fixture.sink.requests.length;
    const run = await runCleanly("fastify-app.mjs", { preload: "import", env: sinkEnv() });
    expect(run.stdout).toContain("boom=500");

    const spans = spansFrom(fixture.sink, before);
    // The lean integration makes no spans of its own (@fastify/otel made one per request, hook and handler):
    // the failed request's server span, and the fixture's own fetch of it (a client span that got a 500).
    expect(spans.map((s) => s.scope).sort()).toEqual([SERVER_SCOPE, "@opentelemetry/instrumentation-undici"]);
    const server = spans.find((s) => s.scope === SERVER_SCOPE);
    expect(server).toMatchObject({ name: "GET /boom", kind: SPAN_KIND.SERVER });
    expect(server?.attributes["http.route"]).toBe("/boom");
    expect(server?.attributes["http.response.status_code"]).toBe(500);
    expect(server?.status).toEqual({ code: STATUS_CODE.ERROR, message: "fastify-boom-marker" });
    const [exception] = server?.events.filter((e) => e.name === "exception") ?? [];
    expect(exception?.attributes["exception.type"]).toBe("TypeError");
    expect(String(exception?.attributes["exception.stacktrace"])).toContain("fastify-app.mjs");
  });

  it("fastify (CommonJS): every way a request fails is recorded once, under its route; a 400 is not", async () => {
    const before = fixture.sink.requests.length;
    const run = await runCleanly("fastify-routes.cjs", {
      preload: "require",
      env: sinkEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici" }),
    });
    expect(run.stdout).toContain("statuses=200,500,500,500,500,400,500,500,503,200");

    const byPath = serverSpansByPath(before);
    expect(Object.keys(byPath).sort()).toEqual([
      "/api/orders/8",
      "/boom/2",
      "/captured/7",
      "/guarded/5",
      "/later/3",
      "/sent/4",
      "/unavailable/9",
    ]);
    const expected: Record<string, [string, string, string]> = {
      "/boom/2": ["/boom/:id", "TypeError", "fastify-boom-marker"],
      "/later/3": ["/later/:id", "URIError", "fastify-later-marker"],
      "/sent/4": ["/sent/:id", "RangeError", "fastify-sent-marker"],
      // Failed in a preHandler hook, before the handler: the route is named by the error hook.
      "/guarded/5": ["/guarded/:id", "SyntaxError", "fastify-guard-marker"],
      // Reported with captureException and then rethrown: one exception, not two (checked below).
      "/captured/7": ["/captured/:id", "Error", ""],
      // A plugin's prefix is part of the route.
      "/api/orders/8": ["/api/orders/:id", "EvalError", "fastify-prefixed-marker"],
    };
    for (const [path, [route, type, message]] of Object.entries(expected)) {
      const exception = expectFailedRoute(byPath[path], route, type, "fastify-routes.cjs");
      if (message) expect(byPath[path]?.status, path).toEqual({ code: STATUS_CODE.ERROR, message });
      else expect(exception?.attributes["exception.message"]).toBe("fastify-captured-marker");
    }
    // A 5xx answered without an error: exported, named after its route (by the wrapped handler), no exception.
    const unavailable = byPath["/unavailable/9"];
    expect(unavailable).toMatchObject({ name: "GET /unavailable/:id", status: { code: STATUS_CODE.ERROR } });
    expect(unavailable?.attributes["http.response.status_code"]).toBe(503);
    expect(unavailable?.events.filter((e) => e.name === "exception")).toHaveLength(0);
  });

  it("express 4: names the span after the route and records the error of a failed request, with no span per layer", async () => {
    await checkExpress({});
  });

  it("express 5 (the router package): the same, and an async handler's rejection is the error", async () => {
    const byPath = await checkExpress({ EXPRESS_MODULE: "express5", EXPRESS_ASYNC: "1" });
    const rejected = byPath["/api/async/12"];
    expect(rejected).toMatchObject({ name: "GET /api/async/:id", status: { code: STATUS_CODE.ERROR } });
    expect(rejected?.attributes["http.response.status_code"]).toBe(500);
    expect(rejected?.events.map((e) => e.attributes["exception.type"])).toEqual(["URIError"]);
  });

  it("koa 2: names the span after the @koa/router route and records the error of a failed request, with no span per middleware", async () => {
    await checkKoa("koa-app.mjs", "2");
  });

  it("koa 3: the same", async () => {
    // The devDependency `koa3` (npm:koa@3) installs as node_modules/koa3, where the module hooks do not look for
    // Koa: the test runs a copy of the app next to a node_modules/koa of its own, as an app has it.
    const dir = join(FIXTURES_DIR, ".koa3");
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(FIXTURES_DIR, "..", "..", "..", "node_modules", "koa3"), join(dir, "node_modules", "koa"), {
      recursive: true,
    });
    cpSync(join(FIXTURES_DIR, "koa-app.mjs"), join(dir, "koa-app.mjs"));
    await checkKoa(".koa3/koa-app.mjs", "3");
  });

  it("with exportSpans all, the official instrumentation traces incoming requests instead", async () => {
    const run = await runCleanly("http-server-errors.mjs", {
      preload: "import",
      env: sinkEnv({ CODEWARDEN_EXPORT_SPANS: "all", OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici" }),
    });
    expect(run.code).toBe(0);
    const spans = spansFrom(fixture.sink);
    expect(spans.some((s) => s.scope === SERVER_SCOPE)).toBe(false);
    const servers = spans.filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(servers).toHaveLength(9);
    expect(servers.every((s) => s.scope === "@opentelemetry/instrumentation-http")).toBe(true);
  });
});

/**
 * Runs the Express fixture (`env` picks the Express module) and checks what every Express version must give:
 * route names, the failed requests' errors, no span per layer. Returns the exported server spans by path.
 */
async function checkExpress(env: Record<string, string>): Promise<Record<string, DecodedSpan>> {
  const before = fixture.sink.requests.length;
  const run = await runFixture("express-app.mjs", {
    preload: "import",
    // NODE_ENV=test: Express's default error handler then does not print the stack.
    env: sinkEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici", NODE_ENV: "test", ...env }),
  });
  const async = env.EXPRESS_ASYNC === "1";
  expect(run.stdout).toContain(`statuses=200,200,200,500,400,500,500,none${async ? ",500" : ""},500`);

  // Only the failed requests' server spans: nothing for the 200s and the 400, no Express spans.
  const byPath = serverSpansByPath(before);
  expect(Object.keys(byPath).sort()).toEqual(
    [
      "/api/boom/7",
      "/api/captured/10",
      "/api/dropped/11",
      "/api/handled/9",
      "/last/13",
      ...(async ? ["/api/async/12"] : []),
    ].sort(),
  );

  // Thrown in the handler, inside a router mounted on /api (where req.url is "/boom/7").
  const boom = byPath["/api/boom/7"];
  const exception = expectFailedRoute(boom, "/api/boom/:id", "TypeError", "express-app.mjs");
  expect(boom?.status).toEqual({ code: STATUS_CODE.ERROR, message: "express-boom-marker" });
  expect(exception?.attributes["exception.message"]).toBe("express-boom-marker");

  // Passed to next(), answered 500 by the app's own error middleware.
  expectFailedRoute(byPath["/api/handled/9"], "/api/handled/:id", "RangeError", "express-app.mjs");

  // Reported with captureException and then passed on: one exception, not two.
  expectOneException(byPath["/api/captured/10"], "captured-marker");

  // Thrown in an app's last layer, with no error middleware: only the router's final callback sees it.
  expectFailedRoute(byPath["/last/13"], "/last/:id", "EvalError", "express-app.mjs");

  // No answer at all: no status code, the error's class as error.type.
  const dropped = byPath["/api/dropped/11"];
  expect(dropped?.attributes["http.response.status_code"]).toBeUndefined();
  expect(dropped?.attributes["error.type"]).toBe("SyntaxError");
  expect(dropped?.status).toEqual({ code: STATUS_CODE.ERROR, message: "dropped-marker" });
  return byPath;
}

/** Runs a copy of the Koa fixture that must load Koa `major` and checks what every Koa version must give. */
async function checkKoa(file: string, major: string): Promise<void> {
  const before = fixture.sink.requests.length;
  const run = await runCleanly(file, {
    preload: "import",
    env: sinkEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "undici" }),
  });
  // The fixture prints the major version of the Koa it loaded: the one the test asked for.
  expect(run.stdout).toContain(`koa=${major} statuses=200,200,500,500,400,500`);

  // Only the failed requests' server spans: nothing for the 200s and the 400, no Koa middleware spans.
  const byPath = serverSpansByPath(before);
  expect(Object.keys(byPath).sort()).toEqual(["/boom/7", "/captured/10", "/later/8"]);

  const boom = byPath["/boom/7"];
  expectFailedRoute(boom, "/boom/:id", "TypeError", "koa-app.mjs");
  expect(boom?.status).toEqual({ code: STATUS_CODE.ERROR, message: "koa-boom-marker" });

  // Rejected after an await: the same.
  expectFailedRoute(byPath["/later/8"], "/later/:id", "URIError", "koa-app.mjs");

  // Reported with captureException and then rethrown: one exception, not two.
  expectOneException(byPath["/captured/10"], "koa-captured-marker");
}

/** The server spans exported since request `before` of the sink, by `url.path`; no other span may be there. */
function serverSpansByPath(before: number): Record<string, DecodedSpan> {
  const spans = spansFrom(fixture.sink, before);
  expect(spans.every((s) => s.scope === SERVER_SCOPE)).toBe(true);
  return Object.fromEntries(spans.map((s) => [String(s.attributes["url.path"]), s]));
}

/**
 * A failed request's server span: named after `route`, answered 500, with one exception, of `type`, thrown in
 * `file`. Returns that exception event.
 */
function expectFailedRoute(span: DecodedSpan | undefined, route: string, type: string, file: string) {
  const label = `${route} (${type})`;
  expect(span, label).toMatchObject({ name: `GET ${route}`, kind: SPAN_KIND.SERVER });
  expect(span?.attributes["http.route"], label).toBe(route);
  expect(span?.attributes["http.response.status_code"], label).toBe(500);
  const exceptions = span?.events.filter((e) => e.name === "exception") ?? [];
  expect(
    exceptions.map((e) => e.attributes["exception.type"]),
    label,
  ).toEqual([type]);
  expect(String(exceptions[0]?.attributes["exception.stacktrace"]), label).toContain(file);
  return exceptions[0];
}

/** An error reported with captureException and then rethrown or passed on: recorded once, not twice. */
function expectOneException(span: DecodedSpan | undefined, message: string): void {
  const exceptions = span?.events.filter((e) => e.name === "exception") ?? [];
  expect(exceptions.map((e) => e.attributes["exception.message"])).toEqual([message]);
}

/** Runs a fixture that must exit 0 without writing to stderr. */
async function runCleanly(file: string, options: FixtureOptions): Promise<FixtureRun> {
  const run = await runFixture(file, options);
  expect(run.stderr, file).toBe("");
  expect(run.code, file).toBe(0);
  return run;
}
