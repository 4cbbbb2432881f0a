/**
 * The setup page's snippets, run as users would paste them: `npm start`'s launcher, the snippets
 * taken from the served page (/projects/:slug/setup, signed in through the printed magic link),
 * shell blocks run by bash, apps using the official OpenTelemetry JS SDK and @codewarden/sdk-otel,
 * the Collector YAML parsed and its exporter emulated, and every result seen through the REST API.
 *
 * Python, Go, Java and .NET SDKs cannot run here: their variables are checked with the OTel spec's
 * rules (W3C-baggage list format, endpoint + /v1/traces) and sent as those SDKs would send them.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { SpanStatusCode } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { parseKeyPairsIntoRecord } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { protobufLogs, protobufTraces, recordLogs, recordSpans } from "../../collector/test/otel-data";
import { type ApiIssue, api, eventually, ROOT, type Spawned, spawnProcess, startAllInOne } from "./harness";

/** A key with characters every layer must escape: shell quotes, `$`, percent-encoding, list separators. */
const INGEST_KEY = `cw_ik_e2e_${randomBytes(9).toString("base64url")}+/=$%',;"!`;
const API_TOKEN = `cw_at_e2e_${randomBytes(12).toString("hex")}`;
const ADMIN_EMAIL = "admin@localhost";

/** W3C Baggage `baggage-octet`: what the OTel spec's list format allows unencoded in a value. */
const BAGGAGE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

let app: Spawned;
let dataDir: string;
let webPort: number;
let collectorPort: number;
let cookie: string;
const client = () => api(webPort, API_TOKEN);

/** The page's snippets for these inputs, as text (HTML entities decoded). */
async function snippetsFromPage(form: { service: string; environment: string; release: string }) {
  const res = await fetch(`http://127.0.0.1:${webPort}/projects/default/setup?${new URLSearchParams(form)}`, {
    headers: { cookie },
  });
  expect(res.status).toBe(200);
  const html = await res.text();
  const snippets = new Map<string, string>();
  for (const m of html.matchAll(/<code id="([a-z-]+)-code"[^>]*>([\s\S]*?)<\/code>/g)) {
    snippets.set(
      m[1]!,
      m[2]!
        .replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">")
        .replaceAll("&quot;", '"')
        .replaceAll("&#x27;", "'")
        .replaceAll("&amp;", "&"),
    );
  }
  const get = (id: string) => {
    const code = snippets.get(id);
    if (code === undefined) throw new Error(`snippet ${id} is not on the page`);
    return code;
  };
  return { html, get };
}

/** Runs a shell snippet with bash (only PATH and HOME inherited), then `then`. */
function bash(script: string, then: string, env: Record<string, string> = {}): Spawned {
  return spawnProcess("bash", ["-euc", `${script}\n${then}`], env);
}

/** The variables a shell block exports (what an SDK started from that shell sees). */
async function exportedBy(block: string): Promise<Record<string, string>> {
  const proc = bash(
    block,
    `exec "${process.execPath}" -e 'process.stdout.write(JSON.stringify(process.env))'`,
  );
  expect(await proc.exited(10_000)).toBe(0);
  const all = JSON.parse(proc.output()) as Record<string, string>;
  return Object.fromEntries(Object.entries(all).filter(([k]) => /^(OTEL|CODEWARDEN)_/.test(k)));
}

const issuesOf = async (service: string) =>
  (await client().issues()).filter((i) => i.services.includes(service));

async function waitForIssue(service: string, type: string, minEvents = 1): Promise<ApiIssue> {
  return eventually(
    async () => (await issuesOf(service)).find((i) => i.exceptionType === type && i.eventCount >= minEvents),
    45_000,
    `${type} from ${service}`,
  );
}

beforeAll(async () => {
  const started = await startAllInOne({
    dataDirPrefix: "cw-setup-e2e-",
    ingestKey: INGEST_KEY,
    apiToken: API_TOKEN,
  });
  ({ proc: app, dataDir, webPort, collectorPort } = started);

  // Sign in as a person would: ask for a link, follow the link the dev mailer printed.
  const login = await fetch(`http://127.0.0.1:${webPort}/login`, {
    method: "POST",
    body: new URLSearchParams({ email: ADMIN_EMAIL }),
  });
  expect(login.status).toBe(200);
  const [, link] = await app.waitFor(/sign-in link for admin@localhost: (\S+)/, 15_000);
  const url = new URL(link!);
  const verify = await fetch(`http://127.0.0.1:${webPort}${url.pathname}${url.search}`, {
    redirect: "manual",
  });
  const m = /cw_session=([^;]+)/.exec(verify.headers.get("set-cookie") ?? "");
  if (!m) throw new Error(`sign-in failed: ${verify.status}`);
  cookie = `cw_session=${m[1]}`;
}, 120_000);

afterAll(async () => {
  await app?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("setup snippets, run", () => {
  it("the page shows this collector's endpoint and the bootstrap key", async () => {
    const { html, get } = await snippetsFromPage({ service: "svc", environment: "e2e", release: "1" });
    expect(html).toContain(`<code class="setup-endpoint">http://127.0.0.1:${collectorPort}</code>`);
    expect(get("sdk-otel-env")).toContain(`export CODEWARDEN_ENDPOINT=http://127.0.0.1:${collectorPort}\n`);
    expect(get("sdk-otel-env")).toContain(
      `export CODEWARDEN_INGEST_KEY='${INGEST_KEY.replace("'", `'\\''`)}'\n`,
    );
  });

  it("Node + official OpenTelemetry SDK: the environment block, and nothing else, configures it", async () => {
    const form = { service: `setup-node's "svc" $x`, environment: "e2e, eu=1", release: "3.1.4+b7" };
    const { get } = await snippetsFromPage(form);
    const otelApp = bash(
      get("node-env"),
      `exec node ${join(ROOT, "test", "e2e", "fixtures", "otel-app.mjs")}`,
    );
    expect(await otelApp.exited(30_000), otelApp.output()).toBe(0);
    const issue = await waitForIssue(form.service, "RangeError", 2);
    expect(issue.eventCount).toBe(2);
    expect(issue.environments).toEqual([form.environment]);
    const detail = await client().get<{ lastRelease: string | null }>(`/api/v1/issues/${issue.id}`);
    expect(detail.lastRelease).toBe(form.release);
  });

  it("@codewarden/sdk-otel: the register block runs the app (sdk-app.mjs)", async () => {
    const form = { service: "setup-sdk", environment: "e2e-sdk", release: "2.0.0" };
    const { get } = await snippetsFromPage(form);
    const block = get("sdk-otel-env");
    expect(block).toMatch(/\nnode --import @codewarden\/sdk-otel\/register app\.js$/);
    const withApp = block.replace(/ app\.js$/, ` ${join(ROOT, "test", "e2e", "fixtures", "sdk-app.mjs")}`);
    const sdkApp = bash(withApp, "");
    // The app's last error is uncaught: flushed, then Node's usual exit code.
    expect(await sdkApp.exited(30_000), sdkApp.output()).toBe(1);
    const byType = await eventually(
      async () => {
        const list = await issuesOf(form.service);
        const total = list.reduce((n, i) => n + i.eventCount, 0);
        return list.length >= 3 && total >= 6
          ? Object.fromEntries(list.map((i) => [i.exceptionType, i]))
          : null;
      },
      45_000,
      "three issues from the sdk-otel app",
    );
    expect(byType.TypeError?.eventCount).toBe(3);
    expect(byType.PaymentDeclinedError?.eventCount).toBe(2);
    expect(byType.SyntaxError?.eventCount).toBe(1);
    // `--import register` configured the SDK from the block's variables first (the app's own init() comes second).
    expect(byType.TypeError?.environments).toEqual([form.environment]);
  });

  it("@codewarden/sdk-otel: the init() code, with the key from the block", async () => {
    const form = { service: "setup-init", environment: "e2e-init", release: "4.5.6" };
    const { get } = await snippetsFromPage(form);
    const exportsOnly = get("sdk-otel-env")
      .split("\n")
      .filter((line) => line.startsWith("export "))
      .join("\n");
    const code = [
      get("sdk-otel-init"),
      `import { captureException, flush } from "@codewarden/sdk-otel";`,
      `const err = new Error("reported from init()"); err.name = "SetupInitProbe";`,
      "captureException(err);",
      "process.exitCode = (await flush(10_000)) ? 0 : 3;",
    ].join("\n");
    const proc = bash(exportsOnly, 'exec node --input-type=module -e "$CW_CODE"', { CW_CODE: code });
    expect(await proc.exited(30_000), proc.output()).toBe(0);
    const issue = await waitForIssue(form.service, "SetupInitProbe");
    expect(issue.environments).toEqual([form.environment]);
  });

  it("OpenTelemetry Collector: the YAML's otlphttp exporter, emulated, delivers traces and logs", async () => {
    const form = { service: "setup-collector", environment: "e2e-collector", release: "1.0.0" };
    const { get } = await snippetsFromPage(form);
    const config = parseYaml(get("collector-config"));
    const exporter = config.exporters["otlphttp/codewarden"] as {
      endpoint: string;
      headers: Record<string, string>;
    };
    for (const name of ["traces", "logs"]) {
      expect(config.service.pipelines[name].exporters).toContain("otlphttp/codewarden");
    }
    // The Collector reads `$$` as `$` in its configuration.
    const headers = Object.fromEntries(
      Object.entries(exporter.headers).map(([k, v]) => [k, v.replaceAll("$$", "$")]),
    );
    expect(headers).toEqual({ authorization: `Bearer ${INGEST_KEY}` });

    const resource = {
      "service.name": form.service,
      "deployment.environment.name": form.environment,
      "telemetry.sdk.language": "nodejs",
    };
    const spans = await recordSpans((tracer) => {
      const span = tracer.startSpan("forwarded");
      const err = new Error("forwarded by a collector");
      err.name = "SetupCollectorTraceProbe";
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }, resource);
    const logs = await recordLogs((logger) => {
      logger.emit({
        severityNumber: SeverityNumber.ERROR,
        body: "forwarded log",
        attributes: { "exception.type": "SetupCollectorLogProbe", "exception.message": "from a log record" },
      });
    }, resource);
    // What otlphttp sends: protobuf, gzip, the configured headers, `<endpoint>/v1/<signal>`.
    for (const [path, body] of [
      ["v1/traces", protobufTraces(spans)],
      ["v1/logs", protobufLogs(logs)],
    ] as const) {
      const res = await fetch(`${exporter.endpoint}/${path}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/x-protobuf", "content-encoding": "gzip" },
        body: gzipSync(body),
      });
      expect(res.status, path).toBe(200);
    }
    await waitForIssue(form.service, "SetupCollectorTraceProbe");
    await waitForIssue(form.service, "SetupCollectorLogProbe");
  });

  it.each([
    ["python", "python-env"],
    ["go", "go-env"],
    ["java", "java-env"],
    ["dotnet", "dotnet-env"],
  ])(
    "%s: the variables follow the spec's rules and authenticate as that SDK would send them",
    async (language, id) => {
      const form = { service: `setup-${language}`, environment: `e2e, ${language}`, release: "7.0.0+rc.1" };
      const { get } = await snippetsFromPage(form);
      const env = await exportedBy(get(id));

      expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
      expect(env.OTEL_SERVICE_NAME).toBe(form.service);
      // Header and resource lists: key=value pairs whose values are baggage octets (percent-encoded
      // otherwise), so every SDK's parser, strict or lenient, reads them the same way.
      for (const list of [env.OTEL_EXPORTER_OTLP_HEADERS!, env.OTEL_RESOURCE_ATTRIBUTES!]) {
        for (const entry of list.split(",")) {
          const [key, value] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)];
          expect(key).toMatch(/^[a-z][a-z.]*$/);
          expect(value).toMatch(BAGGAGE_VALUE);
          // Java decodes with URLDecoder, which reads `+` as a space: there must be none left unencoded.
          expect(value).not.toContain("+");
        }
      }
      const headers = parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS);
      expect(headers).toEqual({ authorization: `Bearer ${INGEST_KEY}` });
      const resource = parseKeyPairsIntoRecord(env.OTEL_RESOURCE_ATTRIBUTES);
      expect(resource).toEqual({
        "deployment.environment.name": form.environment,
        "service.version": form.release,
      });
      // OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the signal path is appended.
      const tracesUrl = new URL("v1/traces", `${env.OTEL_EXPORTER_OTLP_ENDPOINT}/`).href;
      expect(tracesUrl).toBe(`http://127.0.0.1:${collectorPort}/v1/traces`);

      const type = `Setup${language}Probe`;
      const spans = await recordSpans(
        (tracer) => {
          const span = tracer.startSpan("probe");
          span.addEvent("exception", {
            "exception.type": type,
            "exception.message": `sent like ${language}`,
          });
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
        { "service.name": env.OTEL_SERVICE_NAME!, ...resource, "telemetry.sdk.language": language },
      );
      const res = await fetch(tracesUrl, {
        method: "POST",
        headers: { ...headers, "content-type": "application/x-protobuf" },
        body: protobufTraces(spans),
      });
      expect(res.status).toBe(200);
      const issue = await waitForIssue(form.service, type);
      expect(issue.environments).toEqual([form.environment]);
    },
  );
});
