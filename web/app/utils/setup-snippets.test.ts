import { parseKeyPairsIntoRecord } from "@opentelemetry/core";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  collectorYaml,
  INGEST_KEY_PLACEHOLDER,
  otelEnvironment,
  otlpHeadersValue,
  resourceAttributesValue,
  type SnippetParams,
  sdkOtelInitCode,
  setupGuides,
  shellQuote,
} from "./setup-snippets";

const params: SnippetParams = {
  endpoint: "http://localhost:4318",
  ingestKey: "cw_ik_AbC-123_xyz",
  serviceName: "checkout",
  environment: "production",
  release: "1.4.2",
};

/** Values with every character class the generators must escape. */
const hostile: SnippetParams = {
  endpoint: "https://cw.example.com/otlp/",
  ingestKey: `cw_ik_a+b/c=d%e$f'g"h,i`,
  serviceName: `it's "my" $(whoami) svc`,
  environment: "staging, eu=1",
  release: "2.0.0+build.7",
};

const snippet = (p: SnippetParams, id: string) => {
  const found = setupGuides(p)
    .flatMap((g) => g.snippets)
    .find((s) => s.id === id);
  if (!found) throw new Error(`no snippet ${id}`);
  return found.code;
};

/** W3C Baggage `baggage-octet`: what the OTel spec allows unencoded in a list value. */
const BAGGAGE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

describe("shellQuote", () => {
  it("leaves safe words bare and single-quotes the rest", () => {
    expect(shellQuote("http://localhost:4318")).toBe("http://localhost:4318");
    expect(shellQuote("authorization=Bearer%20cw_ik_x")).toBe("authorization=Bearer%20cw_ik_x");
    expect(shellQuote("a=1,b=2")).toBe("a=1,b=2");
    expect(shellQuote("two words")).toBe("'two words'");
    expect(shellQuote("$HOME")).toBe("'$HOME'");
    expect(shellQuote("~root")).toBe("'~root'");
    expect(shellQuote("*")).toBe("'*'");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe("OTLP variable values", () => {
  it("percent-encodes the header value as the OTel spec's list format requires", () => {
    expect(otlpHeadersValue("cw_ik_AbC-123_xyz")).toBe("authorization=Bearer%20cw_ik_AbC-123_xyz");
    const value = otlpHeadersValue(hostile.ingestKey);
    expect(value).toBe("authorization=Bearer%20cw_ik_a%2Bb%2Fc%3Dd%25e%24f'g%22h%2Ci");
    expect(value.slice("authorization=".length)).toMatch(BAGGAGE_VALUE);
    // The official OpenTelemetry JS parser reads it back.
    expect(parseKeyPairsIntoRecord(value)).toEqual({ authorization: `Bearer ${hostile.ingestKey}` });
  });

  it("encodes resource attribute values, so commas and equals signs survive", () => {
    const value = resourceAttributesValue({
      "deployment.environment.name": "staging, eu=1",
      "service.version": "2+3",
    });
    expect(value).toBe("deployment.environment.name=staging%2C%20eu%3D1,service.version=2%2B3");
    expect(parseKeyPairsIntoRecord(value)).toEqual({
      "deployment.environment.name": "staging, eu=1",
      "service.version": "2+3",
    });
  });

  it("lists the standard variables with a base endpoint (SDKs append /v1/traces)", () => {
    expect(otelEnvironment({ ...params, endpoint: "http://localhost:4318///" })).toEqual([
      ["OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"],
      ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"],
      ["OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20cw_ik_AbC-123_xyz"],
      ["OTEL_SERVICE_NAME", "checkout"],
      ["OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=production,service.version=1.4.2"],
    ]);
  });
});

describe("snippets", () => {
  it("has one guide per way in, each with snippets", () => {
    const guides = setupGuides(params);
    expect(guides.map((g) => g.id)).toEqual([
      "sdk-otel",
      "node",
      "python",
      "go",
      "java",
      "dotnet",
      "collector",
    ]);
    const ids = guides.flatMap((g) => g.snippets.map((s) => s.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const g of guides) expect(g.snippets.length).toBeGreaterThan(0);
  });

  it("the Node environment block, exactly", () => {
    expect(snippet(params, "node-env")).toBe(
      [
        "export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318",
        "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "export OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20cw_ik_AbC-123_xyz",
        "export OTEL_SERVICE_NAME=checkout",
        "export OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=production,service.version=1.4.2",
        "export OTEL_TRACES_EXPORTER=otlp",
        "export OTEL_LOGS_EXPORTER=otlp",
        "export OTEL_METRICS_EXPORTER=none",
      ].join("\n"),
    );
    expect(snippet(params, "node-run")).toBe(
      "node --require @opentelemetry/auto-instrumentations-node/register app.js",
    );
  });

  it("the sdk-otel block uses the variables sdk-otel reads, then --import register", () => {
    expect(snippet(params, "sdk-otel-env")).toBe(
      [
        "export CODEWARDEN_ENDPOINT=http://localhost:4318",
        "export CODEWARDEN_INGEST_KEY=cw_ik_AbC-123_xyz",
        "export OTEL_SERVICE_NAME=checkout",
        "export CODEWARDEN_ENVIRONMENT=production",
        "export OTEL_RESOURCE_ATTRIBUTES=service.version=1.4.2",
        "node --import @codewarden/sdk-otel/register app.js",
      ].join("\n"),
    );
    expect(snippet(params, "sdk-otel-install")).toBe("npm install @codewarden/sdk-otel");
  });

  it("the init() code, with string literals escaped", () => {
    expect(sdkOtelInitCode(params)).toContain(
      [
        "init({",
        `  endpoint: "http://localhost:4318",`,
        `  serviceName: "checkout",`,
        `  serviceVersion: "1.4.2",`,
        `  environment: "production",`,
        "});",
      ].join("\n"),
    );
    const code = sdkOtelInitCode(hostile);
    expect(code).toContain(`serviceName: "it's \\"my\\" $(whoami) svc",`);
    expect(code).not.toContain(hostile.ingestKey);
  });

  it("adds the per-language extras", () => {
    expect(snippet(params, "python-env")).toContain(
      "export OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=true",
    );
    expect(snippet(params, "python-run")).toBe("opentelemetry-instrument python app.py");
    expect(snippet(params, "java-run")).toBe("java -javaagent:./opentelemetry-javaagent.jar -jar app.jar");
    expect(snippet(params, "dotnet-run")).toContain(". $HOME/.otel-dotnet-auto/instrument.sh");
    const go = snippet(params, "go-code");
    expect(go).toContain("otlptracehttp.New(ctx)");
    expect(go).toContain("span.RecordError(err, trace.WithStackTrace(true))");
    // Go reads the endpoint and headers from the environment; nothing is hard-coded.
    expect(snippet(params, "go-env")).toBe(
      otelEnvironment(params)
        .map(([k, v]) => `export ${k}=${v}`)
        .join("\n"),
    );
  });

  it("quotes hostile values for the shell", () => {
    const block = snippet(hostile, "sdk-otel-env");
    expect(block).toContain(`export OTEL_SERVICE_NAME='it'\\''s "my" $(whoami) svc'`);
    expect(block).toContain(`export CODEWARDEN_INGEST_KEY='cw_ik_a+b/c=d%e$f'\\''g"h,i'`);
    expect(block).toContain("export CODEWARDEN_ENDPOINT=https://cw.example.com/otlp\n");
    expect(snippet(hostile, "java-env")).toContain(
      `export OTEL_EXPORTER_OTLP_HEADERS='authorization=Bearer%20cw_ik_a%2Bb%2Fc%3Dd%25e%24f'\\''g%22h%2Ci'`,
    );
  });

  it("uses the placeholder verbatim when the key cannot be shown", () => {
    const p = { ...params, ingestKey: INGEST_KEY_PLACEHOLDER };
    expect(snippet(p, "node-env")).toContain(
      "OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20YOUR_INGEST_KEY",
    );
    expect(collectorYaml(p)).toContain(`authorization: "Bearer YOUR_INGEST_KEY"`);
  });
});

describe("Collector configuration", () => {
  it("is YAML with an otlphttp exporter used by the traces and logs pipelines", () => {
    const config = parseYaml(collectorYaml(params));
    expect(config.exporters).toEqual({
      "otlphttp/codewarden": {
        endpoint: "http://localhost:4318",
        headers: { authorization: "Bearer cw_ik_AbC-123_xyz" },
      },
    });
    expect(Object.keys(config.receivers)).toEqual(["otlp"]);
    for (const pipeline of ["traces", "logs"]) {
      expect(config.service.pipelines[pipeline]).toEqual({
        receivers: ["otlp"],
        processors: ["batch"],
        exporters: ["otlphttp/codewarden"],
      });
    }
    expect(Object.keys(config.service.pipelines)).toEqual(["traces", "logs"]);
    // Every component a pipeline names is defined.
    for (const p of Object.values(config.service.pipelines) as Array<Record<string, string[]>>) {
      for (const r of p.receivers!) expect(config.receivers).toHaveProperty([r]);
      for (const x of p.processors!) expect(config.processors).toHaveProperty([x]);
      for (const e of p.exporters!) expect(config.exporters).toHaveProperty([e]);
    }
  });

  it("escapes quotes and the Collector's $ expansion", () => {
    const config = parseYaml(collectorYaml(hostile));
    const exporter = config.exporters["otlphttp/codewarden"];
    expect(exporter.endpoint).toBe("https://cw.example.com/otlp");
    // The Collector reads `$$` as a literal `$`.
    expect(exporter.headers.authorization).toBe(`Bearer cw_ik_a+b/c=d%e$$f'g"h,i`);
  });
});
