/**
 * Standard OpenTelemetry SDK settings read from the environment (exporter selection, protocol, batch
 * limits, resource detectors) and the Node flags that decide what a crash does. Invalid values warn
 * and fall back to defaults; nothing here is fatal.
 */

import { preview } from "./diagnostics.js";
import { type Env, envList, envPositiveInt, envString } from "./env-values.js";

export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;

export interface BatchLimits {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export type ResourceDetectorName = "env" | "host" | "os" | "process" | "serviceinstance";

/** Node's `--unhandled-rejections` mode (default `throw`). */
export type RejectionMode = "throw" | "strict" | "warn" | "none" | "warn-with-error-code";

/** Node flags that decide what a crash does, read from process.execArgv and NODE_OPTIONS. */
export interface CrashFlags {
  rejectionMode: RejectionMode;
  abortOnUncaught: boolean;
}

const DEFAULT_DETECTORS: ResourceDetectorName[] = ["env", "process", "host"];
const ALL_DETECTORS: ResourceDetectorName[] = ["env", "host", "os", "process", "serviceinstance"];

type Signal = "traces" | "logs";

export function exporterEnabled(signal: Signal, env: Env, warnings: string[]): boolean {
  const name = `OTEL_${signal.toUpperCase()}_EXPORTER`;
  const list = envList(env, name);
  if (list === undefined || list.length === 0) return true;
  if (list.length === 1 && list[0] === "none") return false;
  const unsupported = list.filter((item) => item !== "otlp" && item !== "none");
  if (unsupported.length > 0) {
    warnings.push(`${name}: only "otlp" and "none" are supported; ignoring ${unsupported.join(", ")}.`);
  }
  return true;
}

export function checkProtocol(env: Env, warnings: string[]): void {
  for (const name of [
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
  ]) {
    const value = envString(env, name);
    if (value !== undefined && value !== "http/protobuf") {
      warnings.push(`${name}=${preview(value)} is not supported; using http/protobuf.`);
    }
  }
}

export function batchLimits(
  prefix: "OTEL_BSP" | "OTEL_BLRP",
  defaultDelay: number,
  env: Env,
  warnings: string[],
) {
  const maxQueueSize = envPositiveInt(env, `${prefix}_MAX_QUEUE_SIZE`, warnings) ?? 2048;
  let maxExportBatchSize = envPositiveInt(env, `${prefix}_MAX_EXPORT_BATCH_SIZE`, warnings) ?? 512;
  if (maxExportBatchSize > maxQueueSize) {
    warnings.push(`${prefix}_MAX_EXPORT_BATCH_SIZE exceeds the queue size; using ${maxQueueSize}.`);
    maxExportBatchSize = maxQueueSize;
  }
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: envPositiveInt(env, `${prefix}_SCHEDULE_DELAY`, warnings) ?? defaultDelay,
    exportTimeoutMillis:
      envPositiveInt(env, `${prefix}_EXPORT_TIMEOUT`, warnings) ?? DEFAULT_EXPORT_TIMEOUT_MS,
  } satisfies BatchLimits;
}

export function resourceDetectors(env: Env, warnings: string[]): ResourceDetectorName[] {
  const list = envList(env, "OTEL_NODE_RESOURCE_DETECTORS");
  if (list === undefined) return DEFAULT_DETECTORS;
  if (list.includes("all")) return ALL_DETECTORS;
  if (list.includes("none")) return [];
  const known = new Set<string>(ALL_DETECTORS);
  const unknown = list.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    warnings.push(`OTEL_NODE_RESOURCE_DETECTORS: ignoring unknown detector(s) ${unknown.join(", ")}.`);
  }
  return [...new Set(list.filter((name): name is ResourceDetectorName => known.has(name)))];
}

const REJECTION_MODES: readonly RejectionMode[] = ["throw", "strict", "warn", "none", "warn-with-error-code"];

/** Reads `--unhandled-rejections` and `--abort-on-uncaught-exception` (the last occurrence wins, as in Node). */
export function crashFlags(execArgv: readonly string[], nodeOptions: string | undefined): CrashFlags {
  const args = [...(nodeOptions?.split(/\s+/) ?? []), ...execArgv];
  const flags: CrashFlags = { rejectionMode: "throw", abortOnUncaught: false };
  args.forEach((arg, index) => {
    if (arg === "--abort-on-uncaught-exception" || arg === "--abort_on_uncaught_exception") {
      flags.abortOnUncaught = true;
    }
    const value = arg.startsWith("--unhandled-rejections=")
      ? arg.slice("--unhandled-rejections=".length)
      : arg === "--unhandled-rejections"
        ? args[index + 1]
        : undefined;
    const mode = REJECTION_MODES.find((candidate) => candidate === value);
    if (mode) flags.rejectionMode = mode;
  });
  return flags;
}
