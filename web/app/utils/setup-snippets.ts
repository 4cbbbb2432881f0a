/**
 * Copy-paste setup instructions for one project: pure functions of the OTLP endpoint, the ingest
 * key and the service's name, environment and release. The setup page renders them; the tests run
 * them (shell blocks through bash against a real collector, the Collector YAML through a YAML parser).
 */

export interface SnippetParams {
  /** OTLP/HTTP base URL (SDKs append `/v1/traces` and `/v1/logs`). */
  endpoint: string;
  /** The project's ingest key, or `INGEST_KEY_PLACEHOLDER`. */
  ingestKey: string;
  serviceName: string;
  environment: string;
  release: string;
}

export type SnippetLanguage = "shell" | "javascript" | "go" | "yaml";

export interface Snippet {
  /** Stable id (`<guide>-<part>`), used by tests and as the element id. */
  id: string;
  label: string;
  language: SnippetLanguage;
  code: string;
}

export interface SetupGuide {
  id: "sdk-otel" | "node" | "python" | "go" | "java" | "dotnet" | "collector";
  title: string;
  intro: string;
  snippets: Snippet[];
  /** Short remarks; text in backticks is shown as code. */
  notes: string[];
}

/** Stands in for the key when the page cannot show it (only its hash is stored). */
export const INGEST_KEY_PLACEHOLDER = "YOUR_INGEST_KEY";

/** Words the shell leaves alone: no quoting needed (no `~` at the start, no globs, no `$`). */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A POSIX shell word for `value`: bare when safe, otherwise single-quoted (`'` as `'\''`). */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME=value` lines. */
export function shellExports(vars: ReadonlyArray<readonly [string, string]>): string {
  return vars.map(([name, value]) => `export ${name}=${shellQuote(value)}`).join("\n");
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS for the key: the OTel spec's W3C-baggage list format, whose values
 * are percent-encoded (so the space after `Bearer` is `%20`, and `+`, `,`, `=`, `%` are escaped).
 */
export function otlpHeadersValue(ingestKey: string): string {
  return `authorization=${encodeURIComponent(`Bearer ${ingestKey}`)}`;
}

/** OTEL_RESOURCE_ATTRIBUTES (same list format, percent-encoded values). */
export function resourceAttributesValue(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join(",");
}

/** The endpoint without trailing slashes (SDKs add `/v1/<signal>`). */
export function baseEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, "");
}

/** The standard OTEL_* variables every OpenTelemetry SDK reads, in display order. */
export function otelEnvironment(p: SnippetParams): Array<[string, string]> {
  return [
    ["OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint(p.endpoint)],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"],
    ["OTEL_EXPORTER_OTLP_HEADERS", otlpHeadersValue(p.ingestKey)],
    ["OTEL_SERVICE_NAME", p.serviceName],
    [
      "OTEL_RESOURCE_ATTRIBUTES",
      resourceAttributesValue({ "deployment.environment.name": p.environment, "service.version": p.release }),
    ],
  ];
}

/** The exporter selection for SDKs with an agent or auto-configuration (traces and logs, no metrics). */
const EXPORTERS: Array<[string, string]> = [
  ["OTEL_TRACES_EXPORTER", "otlp"],
  ["OTEL_LOGS_EXPORTER", "otlp"],
  ["OTEL_METRICS_EXPORTER", "none"],
];

/** Variables for `@codewarden/sdk-otel` (see sdk-otel/src/config.ts). */
export function sdkOtelEnvironment(p: SnippetParams): Array<[string, string]> {
  return [
    ["CODEWARDEN_ENDPOINT", baseEndpoint(p.endpoint)],
    ["CODEWARDEN_INGEST_KEY", p.ingestKey],
    ["OTEL_SERVICE_NAME", p.serviceName],
    ["CODEWARDEN_ENVIRONMENT", p.environment],
    ["OTEL_RESOURCE_ATTRIBUTES", resourceAttributesValue({ "service.version": p.release })],
  ];
}

/** A JavaScript (and YAML double-quoted) string literal. */
const quoted = (value: string) => JSON.stringify(value);

/** `init()` in code: a module the app loads first. */
export function sdkOtelInitCode(p: SnippetParams): string {
  return [
    "// instrumentation.mjs: load it before the app (node --import ./instrumentation.mjs app.js)",
    `import { init } from "@codewarden/sdk-otel";`,
    "",
    "// The key comes from CODEWARDEN_INGEST_KEY: keep it out of the source code.",
    "init({",
    `  endpoint: ${quoted(baseEndpoint(p.endpoint))},`,
    `  serviceName: ${quoted(p.serviceName)},`,
    `  serviceVersion: ${quoted(p.release)},`,
    `  environment: ${quoted(p.environment)},`,
    "});",
  ].join("\n");
}

/**
 * An OpenTelemetry Collector configuration that forwards traces and logs to CodeWarden with the
 * `otlphttp` exporter. Scalars are YAML double-quoted strings; `$` is written `$$` because the
 * Collector expands `${…}` in its configuration.
 */
export function collectorYaml(p: SnippetParams): string {
  const collectorString = (value: string) => quoted(value.replaceAll("$", () => "$$"));
  return [
    "receivers:",
    "  otlp:",
    "    protocols:",
    "      grpc:",
    "      http:",
    "",
    "processors:",
    "  batch:",
    "",
    "exporters:",
    "  otlphttp/codewarden:",
    `    endpoint: ${collectorString(baseEndpoint(p.endpoint))}`,
    "    headers:",
    `      authorization: ${collectorString(`Bearer ${p.ingestKey}`)}`,
    "",
    "service:",
    "  pipelines:",
    "    traces:",
    "      receivers: [otlp]",
    "      processors: [batch]",
    "      exporters: [otlphttp/codewarden]",
    "    logs:",
    "      receivers: [otlp]",
    "      processors: [batch]",
    "      exporters: [otlphttp/codewarden]",
  ].join("\n");
}

const GO_CODE = `// go get go.opentelemetry.io/otel go.opentelemetry.io/otel/sdk \\
//   go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp
package main

import (
	"context"
	"errors"
	"log"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	ctx := context.Background()
	// Reads OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS; the default resource
	// reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer func() { _ = tp.Shutdown(ctx) }() // flushes buffered spans
	otel.SetTracerProvider(tp)

	// Wherever an error is handled: record it on the current span, with its stack.
	_, span := otel.Tracer("app").Start(ctx, "checkout")
	if err := errors.New("payment declined"); err != nil {
		span.RecordError(err, trace.WithStackTrace(true))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}`;

function shell(id: string, label: string, code: string): Snippet {
  return { id, label, language: "shell", code };
}

/** Every setup guide for the project, in display order. */
export function setupGuides(p: SnippetParams): SetupGuide[] {
  const env = otelEnvironment(p);
  return [
    {
      id: "sdk-otel",
      title: "Node.js with @codewarden/sdk-otel",
      intro:
        "Our thin OpenTelemetry distribution: traces and logs over OTLP/HTTP, uncaught exceptions and unhandled rejections captured and flushed before the process exits.",
      snippets: [
        shell("sdk-otel-install", "Install", "npm install @codewarden/sdk-otel"),
        shell(
          "sdk-otel-env",
          "Configure and run (no code change)",
          `${shellExports(sdkOtelEnvironment(p))}\nnode --import @codewarden/sdk-otel/register app.js`,
        ),
        {
          id: "sdk-otel-init",
          label: "Or start it in code",
          language: "javascript",
          code: sdkOtelInitCode(p),
        },
      ],
      notes: [
        "CommonJS apps use `node --require @codewarden/sdk-otel/register app.js`.",
        "Report a handled error with `captureException(err)` from `@codewarden/sdk-otel`.",
        "Standard `OTEL_*` variables work too; explicit `init()` options win over the environment.",
      ],
    },
    {
      id: "node",
      title: "Node.js with the OpenTelemetry SDK",
      intro: "Zero-code instrumentation with the official packages, configured by environment variables.",
      snippets: [
        shell(
          "node-install",
          "Install",
          "npm install @opentelemetry/sdk-node @opentelemetry/auto-instrumentations-node",
        ),
        shell("node-env", "Environment", shellExports([...env, ...EXPORTERS])),
        shell("node-run", "Run", "node --require @opentelemetry/auto-instrumentations-node/register app.js"),
      ],
      notes: [
        "Handled errors: `span.recordException(err)` and `span.setStatus({ code: SpanStatusCode.ERROR })` on the active span.",
      ],
    },
    {
      id: "python",
      title: "Python",
      intro: "Zero-code instrumentation with `opentelemetry-instrument`.",
      snippets: [
        shell(
          "python-install",
          "Install",
          "pip install opentelemetry-distro opentelemetry-exporter-otlp\nopentelemetry-bootstrap -a install",
        ),
        shell(
          "python-env",
          "Environment",
          shellExports([...env, ...EXPORTERS, ["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED", "true"]]),
        ),
        shell("python-run", "Run", "opentelemetry-instrument python app.py"),
      ],
      notes: [
        "`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf` matters: the Python distro defaults to gRPC, which CodeWarden does not accept.",
        "Exceptions logged with `logger.exception()` arrive as log records with `exception.*` attributes (logging auto-instrumentation).",
      ],
    },
    {
      id: "go",
      title: "Go",
      intro:
        "Go has no agent: add the OTLP/HTTP trace exporter in code. It reads the same variables as the other SDKs.",
      snippets: [
        shell("go-env", "Environment", shellExports(env)),
        { id: "go-code", label: "Code", language: "go", code: GO_CODE },
      ],
      notes: [
        "Record handled errors with `span.RecordError(err, trace.WithStackTrace(true))` and an ERROR status; CodeWarden groups them by type and stack.",
      ],
    },
    {
      id: "java",
      title: "Java",
      intro: "Zero-code instrumentation with the OpenTelemetry Java agent (`-javaagent`).",
      snippets: [
        shell(
          "java-install",
          "Download the agent",
          "curl -sSLO https://github.com/open-telemetry/opentelemetry-java-instrumentation/releases/latest/download/opentelemetry-javaagent.jar",
        ),
        shell("java-env", "Environment", shellExports([...env, ...EXPORTERS])),
        shell("java-run", "Run", "java -javaagent:./opentelemetry-javaagent.jar -jar app.jar"),
      ],
      notes: [
        "The agent records exceptions on spans; Logback and Log4j records with exceptions are exported as OTLP logs.",
      ],
    },
    {
      id: "dotnet",
      title: ".NET",
      intro: "Zero-code instrumentation with OpenTelemetry .NET automatic instrumentation.",
      snippets: [
        shell(
          "dotnet-install",
          "Install",
          [
            "curl -sSfLO https://github.com/open-telemetry/opentelemetry-dotnet-instrumentation/releases/latest/download/otel-dotnet-auto-install.sh",
            "sh ./otel-dotnet-auto-install.sh",
            "chmod +x $HOME/.otel-dotnet-auto/instrument.sh",
          ].join("\n"),
        ),
        shell("dotnet-env", "Environment", shellExports([...env, ...EXPORTERS])),
        shell("dotnet-run", "Run", ". $HOME/.otel-dotnet-auto/instrument.sh\ndotnet run"),
      ],
      notes: [
        "Exceptions recorded on ASP.NET Core spans and `ILogger` records with exceptions (exported as OTLP logs) both become issues.",
        "OpenTelemetry .NET before 1.8 does not percent-decode headers: there, write the header as `authorization=Bearer <key>` with a plain space.",
      ],
    },
    {
      id: "collector",
      title: "OpenTelemetry Collector",
      intro:
        "Already running a Collector? Add an `otlphttp` exporter and put it in your traces and logs pipelines.",
      snippets: [{ id: "collector-config", label: "config.yaml", language: "yaml", code: collectorYaml(p) }],
      notes: [
        "`otlphttp` appends `/v1/traces` and `/v1/logs` to the endpoint and sends gzip-compressed protobuf.",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the Collector's own ${env:…} syntax
        'To keep the key out of the file, write `authorization: "Bearer ${env:CODEWARDEN_INGEST_KEY}"`.',
      ],
    },
  ];
}
