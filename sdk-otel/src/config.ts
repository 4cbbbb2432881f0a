import type { NodeSDKConfiguration } from "@opentelemetry/sdk-node";
import type { BeforeSend } from "./before-send.js";
import { preview } from "./diagnostics.js";
import {
  appendSignalPath,
  type Env,
  envBoolean,
  envList,
  envPositiveInt,
  envString,
  isValidHeaderName,
  isValidHeaderValue,
  parseHeaderList,
  parseHttpUrl,
  parseKeyValueList,
} from "./env-values.js";
import { SPAN_EXPORT_MODES, type SpanExportMode } from "./error-spans.js";
import { INSTRUMENTATION_NAMES, type InstrumentationName } from "./instrumentations.js";
import { findPackageInfo } from "./package-info.js";
import {
  type BatchLimits,
  batchLimits,
  type CrashFlags,
  checkProtocol,
  crashFlags,
  DEFAULT_EXPORT_TIMEOUT_MS,
  exporterEnabled,
  type ResourceDetectorName,
  resourceDetectors,
} from "./sdk-env.js";

export type { BatchLimits, CrashFlags, RejectionMode, ResourceDetectorName } from "./sdk-env.js";
export { crashFlags, DEFAULT_EXPORT_TIMEOUT_MS } from "./sdk-env.js";

/** Instrumentations as NodeSDK accepts them (e.g. `new GraphQLInstrumentation()`). */
export type Instrumentations = NodeSDKConfiguration["instrumentations"];

export type { InstrumentationName } from "./instrumentations.js";

/**
 * The bundled instrumentations switched on (`true`, the default) or off (`false`) by name, plus `extra`
 * instrumentations of your own. Example: `{ http: false, extra: [new GraphQLInstrumentation()] }`.
 */
export type InstrumentationSwitches = Partial<Record<InstrumentationName, boolean>> & {
  extra?: Instrumentations;
};

/** A scrub rule: matches of a RegExp, or occurrences of a literal string, become `[redacted]`. */
export type ScrubRule = RegExp | string;

/** Options for `init()`. Every option is optional; an explicit option wins over the environment. */
export interface CodewardenOptions {
  /** OTLP/HTTP base URL; `/v1/traces` and `/v1/logs` are appended. Env: CODEWARDEN_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  /** Project ingest key, sent as `Authorization: Bearer <key>`. Env: CODEWARDEN_INGEST_KEY. */
  ingestKey?: string;
  /** `service.name`. Env: CODEWARDEN_SERVICE_NAME, OTEL_SERVICE_NAME; default: the nearest package.json `name`. */
  serviceName?: string;
  /** `service.version`. Env: CODEWARDEN_SERVICE_VERSION; default: a CI/CD commit SHA variable, else the nearest package.json `version`. */
  serviceVersion?: string;
  /** `deployment.environment.name`. Env: CODEWARDEN_ENVIRONMENT, then NODE_ENV. */
  environment?: string;
  /** Extra headers for every export request (merged over OTEL_EXPORTER_OTLP_HEADERS). */
  headers?: Record<string, string>;
  /**
   * The bundled auto-instrumentations (http, undici/fetch, express, koa, fastify, pg, postgres.js, mysql,
   * mysql2, redis, ioredis, mongodb) are on by default; switch them by name, e.g. `{ http: false }`. An array adds your own
   * instrumentations to the bundled ones. Env: OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_.
   */
  instrumentations?: InstrumentationSwitches | Instrumentations;
  /**
   * Trace sampling ratio in [0, 1] (ParentBased(TraceIdRatio)): overrides OTEL_TRACES_SAMPLER. Captured
   * exceptions are always sent as log records, whatever is sampled. Env: CODEWARDEN_SAMPLE_RATE.
   */
  sampleRate?: number;
  /**
   * Which sampled spans are exported: `"errors"` (the default) sends only spans that carry an error (status
   * ERROR or an `exception` event), which is all CodeWarden keeps; `"all"` sends every sampled span, for a
   * trace backend behind the same endpoint. Exceptions are sent as log records either way. Env:
   * CODEWARDEN_EXPORT_SPANS.
   */
  exportSpans?: SpanExportMode;
  /**
   * Sees each captured exception/message before it is sent: return it (edited or not) to send, `null` to drop.
   * If it throws, a warning is printed once and the event is sent unmodified (scrub rules still apply).
   */
  beforeSend?: BeforeSend;
  /** Extra patterns replaced by `[redacted]` in exception messages and stack traces before sending. */
  scrub?: ScrubRule[];
  /** Print SDK diagnostics (and OpenTelemetry's own) to stderr. Env: CODEWARDEN_DEBUG. */
  debug?: boolean;
  /**
   * Make the export's HTTP requests from a worker thread (default true), which keeps them from slowing the
   * application's own request handling; false makes them on the application's thread. Env: CODEWARDEN_EXPORT_THREAD.
   */
  exportThread?: boolean;
}

export interface SignalConfig {
  /** False when OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER is `none`. */
  enabled: boolean;
  /** Full export URL, e.g. http://localhost:4318/v1/traces. */
  url: string;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  /** Per-request exporter timeout (covers retries). */
  timeoutMillis: number;
  batch: BatchLimits;
}

export interface ResolvedConfig {
  /** OTEL_SDK_DISABLED=true: init() does nothing. */
  disabled: boolean;
  traces: SignalConfig;
  logs: SignalConfig;
  compression: "gzip" | "none";
  serviceName: string;
  serviceVersion?: string;
  environment?: string;
  resourceDetectors: ResourceDetectorName[];
  /** Bundled instrumentations to create, by name. */
  autoInstrumentations: InstrumentationName[];
  /** Instrumentations given by the application (an array, or `extra`). */
  instrumentations: Instrumentations;
  /** Trace sampling ratio; undefined leaves OTEL_TRACES_SAMPLER (or always-on) in charge. */
  sampleRate?: number;
  /** Which sampled spans are exported. */
  exportSpans: SpanExportMode;
  beforeSend?: BeforeSend;
  /** Compiled scrub rules, all with the global flag. */
  scrub: RegExp[];
  debug: boolean;
  exportThread: boolean;
  crash: CrashFlags;
}

export type ConfigResult =
  | { ok: true; config: ResolvedConfig; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

export const DEFAULT_ENDPOINT = "http://localhost:4318";
export const DEFAULT_SERVICE_NAME = "unknown_service:node";

/** Commit SHA variables set by common CI/CD platforms, in lookup order. */
export const COMMIT_SHA_ENV_VARS = [
  "GITHUB_SHA",
  "CI_COMMIT_SHA",
  "VERCEL_GIT_COMMIT_SHA",
  "RENDER_GIT_COMMIT",
  "HEROKU_SLUG_COMMIT",
  "SOURCE_VERSION",
  "RAILWAY_GIT_COMMIT_SHA",
  "CF_PAGES_COMMIT_SHA",
  "COMMIT_REF",
  "BITBUCKET_COMMIT",
  "CIRCLE_SHA1",
] as const;

const KNOWN_OPTIONS = new Set([
  "endpoint",
  "ingestKey",
  "serviceName",
  "serviceVersion",
  "environment",
  "headers",
  "instrumentations",
  "sampleRate",
  "exportSpans",
  "beforeSend",
  "scrub",
  "debug",
  "exportThread",
]);

const MAX_SCRUB_RULES = 100;

const MAX_RESOURCE_VALUE = 256;
const MAX_INGEST_KEY = 512;

type Signal = "traces" | "logs";

/** Collects errors (fatal) and warnings (reported, non-fatal) while options and env are read. */
class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
}

function optionalString(value: unknown, name: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    problems.errors.push(`option ${name} must be a non-empty string (got ${preview(value)}).`);
    return undefined;
  }
  return value.trim();
}

function resourceValue(value: string | undefined, name: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_RESOURCE_VALUE) {
    problems.errors.push(`${name} is longer than ${MAX_RESOURCE_VALUE} characters.`);
    return undefined;
  }
  return value;
}

function ingestKeyHeader(
  key: string | undefined,
  source: string,
  problems: Problems,
): Record<string, string> {
  if (key === undefined) return {};
  if (key.length > MAX_INGEST_KEY || !/^[\x21-\x7e]+$/.test(key)) {
    problems.errors.push(
      `${source} must be printable ASCII without spaces (at most ${MAX_INGEST_KEY} characters).`,
    );
    return {};
  }
  return { authorization: `Bearer ${key}` };
}

function optionHeaders(value: unknown, problems: Problems): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.errors.push("option headers must be an object of string values.");
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== "string" || !isValidHeaderName(name) || !isValidHeaderValue(headerValue)) {
      problems.errors.push(`option headers: "${name.slice(0, 60)}" is not a valid header name/value pair.`);
      continue;
    }
    headers[name.toLowerCase()] = headerValue;
  }
  return headers;
}

function signalUrl(signal: Signal, endpointOption: string | undefined, env: Env, problems: Problems): string {
  const specificVar = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const specific = envString(env, specificVar);
  const cw = envString(env, "CODEWARDEN_ENDPOINT");
  const otel = envString(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  // Signal-specific endpoints are used as-is; base endpoints get the signal path (OTLP exporter spec).
  const [source, value, appendPath] =
    endpointOption !== undefined
      ? ["option endpoint", endpointOption, true]
      : specific !== undefined
        ? [specificVar, specific, false]
        : cw !== undefined
          ? ["CODEWARDEN_ENDPOINT", cw, true]
          : otel !== undefined
            ? ["OTEL_EXPORTER_OTLP_ENDPOINT", otel, true]
            : ["default endpoint", DEFAULT_ENDPOINT, true];
  const url =
    parseHttpUrl(value) && parseHttpUrl(appendPath ? appendSignalPath(value, `v1/${signal}`) : value);
  if (!url) {
    const error = `${source}=${preview(value)} is not an absolute http(s) URL.`;
    if (!problems.errors.includes(error)) problems.errors.push(error);
    return "";
  }
  return url;
}

function sampleRateOf(option: unknown, env: Env, problems: Problems): number | undefined {
  const valid = (value: unknown): value is number =>
    typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
  if (option !== undefined) {
    if (valid(option)) return option;
    problems.errors.push(`option sampleRate must be a number from 0 to 1 (got ${preview(option)}).`);
    return undefined;
  }
  const raw = envString(env, "CODEWARDEN_SAMPLE_RATE");
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (valid(value)) return value;
  problems.warnings.push(`CODEWARDEN_SAMPLE_RATE=${preview(raw)} is not a number from 0 to 1; ignoring it.`);
  return undefined;
}

function exportSpansOf(option: unknown, env: Env, problems: Problems): SpanExportMode {
  const valid = (value: unknown): value is SpanExportMode =>
    typeof value === "string" && (SPAN_EXPORT_MODES as readonly string[]).includes(value);
  if (option !== undefined) {
    if (valid(option)) return option;
    problems.errors.push(`option exportSpans must be "errors" or "all" (got ${preview(option)}).`);
    return "errors";
  }
  const raw = envString(env, "CODEWARDEN_EXPORT_SPANS");
  if (raw === undefined) return "errors";
  const value = raw.trim().toLowerCase();
  if (valid(value)) return value;
  problems.warnings.push(`CODEWARDEN_EXPORT_SPANS=${preview(raw)} is not "errors" or "all"; using "errors".`);
  return "errors";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function scrubRules(option: unknown, problems: Problems): RegExp[] {
  if (option === undefined) return [];
  if (!Array.isArray(option) || option.length > MAX_SCRUB_RULES) {
    problems.errors.push(`option scrub must be an array of at most ${MAX_SCRUB_RULES} RegExps or strings.`);
    return [];
  }
  const rules: RegExp[] = [];
  for (const rule of option) {
    if (rule instanceof RegExp) {
      rules.push(new RegExp(rule.source, rule.flags.includes("g") ? rule.flags : `${rule.flags}g`));
    } else if (typeof rule === "string" && rule !== "") {
      rules.push(new RegExp(escapeRegExp(rule), "g"));
    } else {
      problems.errors.push(`option scrub: ${preview(rule, 40)} is neither a RegExp nor a non-empty string.`);
    }
  }
  return rules;
}

const isInstrumentationName = (name: string): name is InstrumentationName =>
  (INSTRUMENTATION_NAMES as readonly string[]).includes(name);

function envInstrumentationNames(
  env: Env,
  name: string,
  problems: Problems,
): InstrumentationName[] | undefined {
  const list = envList(env, name);
  if (list === undefined) return undefined;
  const unknown = list.filter((item) => item !== "none" && !isInstrumentationName(item));
  if (unknown.length > 0)
    problems.warnings.push(`${name}: ignoring unknown instrumentation(s) ${unknown.join(", ")}.`);
  return list.filter(isInstrumentationName);
}

/**
 * Which bundled instrumentations run: all, narrowed by OTEL_NODE_ENABLED_INSTRUMENTATIONS ("none" for none)
 * and OTEL_NODE_DISABLED_INSTRUMENTATIONS, then switched by name by the option (which wins).
 */
function instrumentationChoice(
  option: unknown,
  env: Env,
  problems: Problems,
): { autoInstrumentations: InstrumentationName[]; instrumentations: Instrumentations } {
  const enabled = new Set<InstrumentationName>(
    envInstrumentationNames(env, "OTEL_NODE_ENABLED_INSTRUMENTATIONS", problems) ?? INSTRUMENTATION_NAMES,
  );
  for (const name of envInstrumentationNames(env, "OTEL_NODE_DISABLED_INSTRUMENTATIONS", problems) ?? []) {
    enabled.delete(name);
  }
  let instrumentations: Instrumentations = [];
  if (Array.isArray(option)) {
    instrumentations = option;
  } else if (option !== null && typeof option === "object") {
    for (const [key, value] of Object.entries(option)) {
      if (key === "extra") {
        if (Array.isArray(value)) instrumentations = value;
        else problems.errors.push("option instrumentations.extra must be an array.");
      } else if (!isInstrumentationName(key)) {
        problems.warnings.push(
          `ignoring unknown instrumentation ${preview(key, 40)} (known: ${INSTRUMENTATION_NAMES.join(", ")}).`,
        );
      } else if (typeof value !== "boolean") {
        problems.errors.push(`option instrumentations.${key} must be true or false.`);
      } else if (value) {
        enabled.add(key);
      } else {
        enabled.delete(key);
      }
    }
  } else if (option !== undefined) {
    problems.errors.push("option instrumentations must be an object of switches or an array.");
  }
  return {
    autoInstrumentations: INSTRUMENTATION_NAMES.filter((name) => enabled.has(name)),
    instrumentations,
  };
}

function commitSha(env: Env): string | undefined {
  for (const name of COMMIT_SHA_ENV_VARS) {
    const value = envString(env, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Resolves init() options against the environment. Pure apart from reading the nearest package.json
 * above `cwd`; never throws. Errors make init() a warned no-op; warnings are printed and ignored.
 */
export function resolveConfig(
  options: CodewardenOptions = {},
  env: Env = process.env,
  cwd: string = process.cwd(),
  execArgv: readonly string[] = process.execArgv,
): ConfigResult {
  const problems = new Problems();
  if (options === null || typeof options !== "object") {
    return { ok: false, errors: ["init() options must be an object."], warnings: [] };
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) problems.warnings.push(`ignoring unknown option ${preview(key, 40)}.`);
  }

  const endpoint = optionalString(options.endpoint, "endpoint", problems);
  const ingestKey = optionalString(options.ingestKey, "ingestKey", problems);
  for (const name of ["debug", "exportThread"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean")
      problems.errors.push(`option ${name} must be a boolean.`);
  }
  const { autoInstrumentations, instrumentations } = instrumentationChoice(
    options.instrumentations,
    env,
    problems,
  );
  if (options.beforeSend !== undefined && typeof options.beforeSend !== "function") {
    problems.errors.push("option beforeSend must be a function.");
  }
  const sampleRate = sampleRateOf(options.sampleRate, env, problems);
  const exportSpans = exportSpansOf(options.exportSpans, env, problems);
  const scrub = scrubRules(options.scrub, problems);

  const resourceAttributes = parseKeyValueList(
    envString(env, "OTEL_RESOURCE_ATTRIBUTES"),
    "OTEL_RESOURCE_ATTRIBUTES",
    problems.warnings,
  );
  const pkg = findPackageInfo(cwd);
  const serviceName = resourceValue(
    optionalString(options.serviceName, "serviceName", problems) ??
      envString(env, "CODEWARDEN_SERVICE_NAME") ??
      envString(env, "OTEL_SERVICE_NAME") ??
      resourceAttributes["service.name"] ??
      pkg.name ??
      DEFAULT_SERVICE_NAME,
    "service name",
    problems,
  );
  const serviceVersion = resourceValue(
    optionalString(options.serviceVersion, "serviceVersion", problems) ??
      envString(env, "CODEWARDEN_SERVICE_VERSION") ??
      resourceAttributes["service.version"] ??
      commitSha(env) ??
      pkg.version,
    "service version",
    problems,
  );
  const environment = resourceValue(
    optionalString(options.environment, "environment", problems) ??
      envString(env, "CODEWARDEN_ENVIRONMENT") ??
      resourceAttributes["deployment.environment.name"] ??
      resourceAttributes["deployment.environment"] ??
      envString(env, "NODE_ENV"),
    "environment",
    problems,
  );

  // Lowest to highest precedence: generic OTel headers, signal-specific OTel headers, CODEWARDEN_INGEST_KEY,
  // then the headers and ingestKey options.
  const genericHeaders = parseHeaderList(
    envString(env, "OTEL_EXPORTER_OTLP_HEADERS"),
    "OTEL_EXPORTER_OTLP_HEADERS",
    problems.warnings,
  );
  const envKeyHeader = ingestKeyHeader(
    envString(env, "CODEWARDEN_INGEST_KEY"),
    "CODEWARDEN_INGEST_KEY",
    problems,
  );
  const explicitHeaders = optionHeaders(options.headers, problems);
  const optionKeyHeader = ingestKeyHeader(ingestKey, "option ingestKey", problems);

  checkProtocol(env, problems.warnings);
  const compressionValue = envString(env, "OTEL_EXPORTER_OTLP_COMPRESSION")?.toLowerCase();
  if (compressionValue !== undefined && compressionValue !== "gzip" && compressionValue !== "none") {
    problems.warnings.push(
      `OTEL_EXPORTER_OTLP_COMPRESSION=${preview(compressionValue)} is not supported; using gzip.`,
    );
  }
  const genericTimeout = envPositiveInt(env, "OTEL_EXPORTER_OTLP_TIMEOUT", problems.warnings);

  const signal = (name: Signal, batch: BatchLimits): SignalConfig => {
    const upper = name.toUpperCase();
    const specificHeaders = parseHeaderList(
      envString(env, `OTEL_EXPORTER_OTLP_${upper}_HEADERS`),
      `OTEL_EXPORTER_OTLP_${upper}_HEADERS`,
      problems.warnings,
    );
    return {
      enabled: exporterEnabled(name, env, problems.warnings),
      url: signalUrl(name, endpoint, env, problems),
      headers: {
        ...genericHeaders,
        ...specificHeaders,
        ...envKeyHeader,
        ...explicitHeaders,
        ...optionKeyHeader,
      },
      timeoutMillis:
        envPositiveInt(env, `OTEL_EXPORTER_OTLP_${upper}_TIMEOUT`, problems.warnings) ??
        genericTimeout ??
        DEFAULT_EXPORT_TIMEOUT_MS,
      batch,
    };
  };
  const traces = signal("traces", batchLimits("OTEL_BSP", 2000, env, problems.warnings));
  const logs = signal("logs", batchLimits("OTEL_BLRP", 1000, env, problems.warnings));

  const detectors = resourceDetectors(env, problems.warnings);
  if (problems.errors.length > 0 || serviceName === undefined) {
    return { ok: false, errors: problems.errors, warnings: problems.warnings };
  }
  return {
    ok: true,
    warnings: problems.warnings,
    config: {
      disabled: envBoolean(env, "OTEL_SDK_DISABLED") === true,
      traces,
      logs,
      compression: compressionValue === "none" ? "none" : "gzip",
      serviceName,
      serviceVersion,
      environment,
      resourceDetectors: detectors,
      autoInstrumentations,
      instrumentations,
      ...(sampleRate !== undefined ? { sampleRate } : {}),
      exportSpans,
      ...(typeof options.beforeSend === "function" ? { beforeSend: options.beforeSend } : {}),
      scrub,
      debug: options.debug ?? envBoolean(env, "CODEWARDEN_DEBUG") ?? false,
      exportThread: options.exportThread ?? envBoolean(env, "CODEWARDEN_EXPORT_THREAD") ?? true,
      crash: crashFlags(execArgv, envString(env, "NODE_OPTIONS")),
    },
  };
}

/** The config with header values hidden, for debug output. */
export function describeConfig(config: ResolvedConfig): string {
  const redact = (headers: Record<string, string>) =>
    Object.keys(headers).map((name) => `${name}: <redacted>`);
  return JSON.stringify({
    service: { name: config.serviceName, version: config.serviceVersion, environment: config.environment },
    traces: { ...config.traces, headers: redact(config.traces.headers) },
    logs: { ...config.logs, headers: redact(config.logs.headers) },
    compression: config.compression,
    resourceDetectors: config.resourceDetectors,
    autoInstrumentations: config.autoInstrumentations,
    instrumentations: config.instrumentations.length,
    sampleRate: config.sampleRate,
    exportSpans: config.exportSpans,
    beforeSend: config.beforeSend !== undefined,
    scrubRules: config.scrub.length,
  });
}
