import { describe, expect, it } from "vitest";
import { type DecodedSpan, SPAN_KIND, STATUS_CODE, spansFrom } from "./helpers/decode-spans.js";
import { type FixtureOptions, runFixture } from "./helpers/run-fixture.js";
import { useBuiltSdkAndSink } from "./helpers/sink-per-test.js";

const FASTIFY_SCOPE = "@fastify/otel";
const POSTGRES_SCOPE = "@codewarden/sdk-otel/instrumentation-postgres-js";
// Trust auth on the development and CI machines (see CONVENTIONS.md); the queries use a temporary table.
const DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Points the SDK at the fixture.sink, exporting every span (by default only spans with an error are exported). */
function sinkEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    CODEWARDEN_ENDPOINT: fixture.sink.url,
    CODEWARDEN_INGEST_KEY: "cw_test_ingest_key",
    CODEWARDEN_EXPORT_SPANS: "all",
    ...extra,
  };
}

/** Runs a fixture that must exit 0 and returns the spans it exported. */
async function spansOf(
  file: string,
  options: FixtureOptions,
): Promise<{ stdout: string; spans: DecodedSpan[] }> {
  const before = fixture.sink.requests.length;
  const run = await runFixture(file, options);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return { stdout: run.stdout, spans: spansFrom(fixture.sink, before) };
}

const byScope = (spans: DecodedSpan[], scope: string) => spans.filter((span) => span.scope === scope);

const fixture = useBuiltSdkAndSink();

describe("fastify (@fastify/otel, registered on initialization)", () => {
  it("records a request span with http.route, and a thrown error as an exception event (ESM, --import)", async () => {
    const { stdout, spans } = await spansOf("fastify-app.mjs", { preload: "import", env: sinkEnv() });
    expect(stdout).toContain('ok=200 {"id":"42"} boom=500');

    const fastify = byScope(spans, FASTIFY_SCOPE);
    const okRequest = fastify.find(
      (s) => s.name === "request" && s.attributes["http.route"] === "/items/:id",
    );
    const boomRequest = fastify.find((s) => s.name === "request" && s.attributes["http.route"] === "/boom");
    expect(okRequest?.attributes["http.request.method"]).toBe("GET");
    expect(okRequest?.attributes["url.path"]).toBe("/items/42");
    expect(okRequest?.attributes["http.response.status_code"]).toBe(200);
    expect(okRequest?.status.code).toBe(STATUS_CODE.UNSET);
    // The http server instrumentation already made the SERVER span: @fastify/otel's request span is INTERNAL
    // under it, and hands it the route (RPC metadata), so the SERVER span is named after the route too.
    const okServer = spans.find((s) => s.spanId === okRequest?.parentSpanId);
    expect(okServer?.kind).toBe(SPAN_KIND.SERVER);
    expect(okServer?.attributes["http.route"]).toBe("/items/:id");
    expect(okServer?.name).toBe("GET /items/:id");
    expect(okRequest?.kind).toBe(SPAN_KIND.INTERNAL);

    expect(boomRequest?.attributes["http.response.status_code"]).toBe(500);
    expect(boomRequest?.status).toEqual({ code: STATUS_CODE.ERROR, message: "fastify-boom-marker" });
    const exception = boomRequest?.events.find((e) => e.name === "exception");
    expect(exception?.attributes["exception.type"]).toBe("TypeError");
    expect(exception?.attributes["exception.message"]).toBe("fastify-boom-marker");
    expect(String(exception?.attributes["exception.stacktrace"])).toContain("fastify-app.mjs");
    // The route handler has its own span, which records the same exception.
    const handler = fastify.find(
      (s) => s.parentSpanId === boomRequest?.spanId && s.attributes["fastify.type"] === "request-handler",
    );
    expect(handler?.events.some((e) => e.name === "exception")).toBe(true);
  });

  it("is off with OTEL_NODE_DISABLED_INSTRUMENTATIONS=fastify,postgres, and with the option { fastify: false }", async () => {
    const byEnv = await spansOf("fastify-app.mjs", {
      preload: "import",
      env: sinkEnv({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: "fastify,postgres" }),
    });
    expect(byEnv.stdout).toContain("ok=200");
    expect(byScope(byEnv.spans, FASTIFY_SCOPE)).toHaveLength(0);
    // Tracing itself still works: the http SERVER spans are there.
    expect(byEnv.spans.some((s) => s.kind === SPAN_KIND.SERVER)).toBe(true);

    const byOption = await spansOf("fastify-app.mjs", {
      env: sinkEnv({ FIXTURE_INSTRUMENTATIONS: JSON.stringify({ fastify: false }) }),
    });
    expect(byOption.stdout).toContain("shutdown=true");
    expect(byScope(byOption.spans, FASTIFY_SCOPE)).toHaveLength(0);
    expect(byOption.spans.some((s) => s.kind === SPAN_KIND.SERVER)).toBe(true);

    // The same app with another instrumentation switched off by option: fastify spans are there.
    const control = await spansOf("fastify-app.mjs", {
      env: sinkEnv({ FIXTURE_INSTRUMENTATIONS: JSON.stringify({ postgres: false }) }),
    });
    expect(byScope(control.spans, FASTIFY_SCOPE).length).toBeGreaterThan(0);
  });
});

describe("postgres.js (our instrumentation)", () => {
  const EXPECTED_RESULT =
    'result={"rows":[{"id":1,"name":"secret-param-marker"}],"unsafe":[{"n":7}],"error":"PostgresError:42P01:true","updated":1,"cursorRows":3}';

  function checkQuerySpans(spans: DecodedSpan[]): void {
    const queries = byScope(spans, POSTGRES_SCOPE);
    // create, insert, select, unsafe select, failing select, update twice: the lazy query never ran, internal ones are not traced.
    expect(queries.map((s) => s.name)).toEqual([
      "CREATE",
      "INSERT pgjs_items",
      "SELECT pgjs_items",
      "SELECT",
      "SELECT pgjs_missing_table_marker",
      "UPDATE pgjs_items",
      "UPDATE pgjs_items",
      "SELECT generate_series",
    ]);
    for (const span of queries) {
      expect(span.kind).toBe(SPAN_KIND.CLIENT);
      expect(span.attributes["db.system.name"]).toBe("postgresql");
      expect(span.attributes["server.address"]).toBe("127.0.0.1");
      expect(span.attributes["server.port"]).toBe(5432);
      expect(span.attributes["db.namespace"]).toBe("test");
      expect(JSON.stringify(span)).not.toContain("secret-param-marker");
    }
    const [create, insert, select, unsafe, failed, update1, update2, cursor] = queries;
    expect(cursor?.attributes["db.query.text"]).toBe("select g from generate_series(1, 3) g");
    expect(cursor?.status.code).toBe(STATUS_CODE.UNSET);
    for (const update of [update1, update2]) {
      expect(update?.attributes["db.query.text"]).toBe(
        "update pgjs_items set name = name where id = $1 returning id",
      );
      expect(update?.attributes["db.operation.name"]).toBe("UPDATE");
    }
    expect(create?.attributes["db.operation.name"]).toBe("CREATE");
    expect(insert?.attributes["db.query.text"]).toBe("insert into pgjs_items (id, name) values ($1, $2)");
    expect(insert?.attributes["db.operation.name"]).toBe("INSERT");
    expect(select?.attributes["db.query.text"]).toBe("select id, name from pgjs_items where id = $1");
    expect(unsafe?.attributes["db.query.text"]).toBe("select $1::int as n");
    for (const span of [create, insert, select, unsafe]) expect(span?.status.code).toBe(STATUS_CODE.UNSET);

    // The span is a child of the span active where the query was awaited.
    const parent = spans.find((s) => s.name === "pgjs-parent-marker");
    expect(parent).toBeDefined();
    expect(select?.parentSpanId).toBe(parent?.spanId);
    expect(select?.traceId).toBe(parent?.traceId);

    expect(failed?.status.code).toBe(STATUS_CODE.ERROR);
    expect(failed?.status.message).toContain("pgjs_missing_table_marker");
    expect(failed?.attributes["db.response.status_code"]).toBe("42P01");
    expect(failed?.attributes["error.type"]).toBe("42P01");
    const exception = failed?.events.find((e) => e.name === "exception");
    expect(exception?.attributes["exception.type"]).toBe("42P01");
    expect(exception?.attributes["exception.message"]).toContain("pgjs_missing_table_marker");

    expect(JSON.stringify(spans)).not.toContain("lazy-never-run-marker");
  }

  it("traces each query as a CLIENT span, results and errors unchanged (ESM import, --import)", async () => {
    const { stdout, spans } = await spansOf("postgres-esm.mjs", {
      preload: "import",
      env: sinkEnv({ FIXTURE_DATABASE_URL: DATABASE_URL }),
    });
    expect(stdout).toContain(EXPECTED_RESULT);
    checkQuerySpans(spans);
  });

  it("traces each query as a CLIENT span, results and errors unchanged (CJS require, --require)", async () => {
    const { stdout, spans } = await spansOf("postgres-cjs.cjs", {
      preload: "require",
      env: sinkEnv({ FIXTURE_DATABASE_URL: DATABASE_URL }),
    });
    expect(stdout).toContain(EXPECTED_RESULT);
    checkQuerySpans(spans);
  });

  it("is off with OTEL_NODE_DISABLED_INSTRUMENTATIONS=fastify,postgres, and with the option { postgres: false }", async () => {
    for (const [file, preload] of [
      ["postgres-esm.mjs", "import"],
      ["postgres-cjs.cjs", "require"],
    ] as const) {
      const { stdout, spans } = await spansOf(file, {
        preload,
        env: sinkEnv({
          FIXTURE_DATABASE_URL: DATABASE_URL,
          OTEL_NODE_DISABLED_INSTRUMENTATIONS: "fastify,postgres",
        }),
      });
      expect(stdout, file).toContain(EXPECTED_RESULT);
      expect(byScope(spans, POSTGRES_SCOPE), file).toHaveLength(0);
      expect(
        spans.some((s) => s.name === "pgjs-parent-marker"),
        file,
      ).toBe(true);
    }

    const byOption = await spansOf("postgres-cjs.cjs", {
      env: sinkEnv({
        FIXTURE_DATABASE_URL: DATABASE_URL,
        FIXTURE_INSTRUMENTATIONS: JSON.stringify({ postgres: false }),
      }),
    });
    expect(byOption.stdout).toContain(EXPECTED_RESULT);
    expect(byOption.stdout).toContain("shutdown=true");
    expect(byScope(byOption.spans, POSTGRES_SCOPE)).toHaveLength(0);
    expect(byOption.spans.some((s) => s.name === "pgjs-parent-marker")).toBe(true);

    // The same app with init() and another instrumentation switched off: its queries are traced.
    const control = await spansOf("postgres-cjs.cjs", {
      env: sinkEnv({
        FIXTURE_DATABASE_URL: DATABASE_URL,
        FIXTURE_INSTRUMENTATIONS: JSON.stringify({ fastify: false }),
      }),
    });
    checkQuerySpans(control.spans);
  });
});
