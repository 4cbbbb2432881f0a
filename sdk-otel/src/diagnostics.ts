/**
 * The SDK's own voice on stderr. Configuration problems are reported once per message and never thrown:
 * the host application must not notice CodeWarden unless it asks to (`debug`).
 */
import { inspect } from "node:util";
import type { DiagLogger } from "@opentelemetry/api";
import { sharedState } from "./shared-state.js";

const PREFIX = "[@codewarden/sdk-otel]";

function write(line: string): void {
  try {
    process.stderr.write(`${PREFIX} ${line}\n`);
  } catch {
    // stderr closed or broken: nothing sensible left to do.
  }
}

/** Prints `message` to stderr unless the same message was already printed by this process. */
export function warnOnce(message: string): void {
  const { warned } = sharedState();
  if (warned.has(message)) return;
  warned.add(message);
  write(`warning: ${message}`);
}

export function setDebug(enabled: boolean): void {
  sharedState().debug = enabled;
}

export function debugLog(message: string): void {
  if (sharedState().debug) write(`debug: ${message}`);
}

/** Shortens a value for a diagnostic message (config values can be long or contain secrets). */
export function preview(value: unknown, max = 120): string {
  const text = typeof value === "string" ? value : String(value);
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}

function diagWriter(level: string) {
  return (message: string, ...args: unknown[]) => {
    const extra = args
      .map((arg) =>
        typeof arg === "string" ? arg : inspect(arg, { depth: 1, breakLength: Number.POSITIVE_INFINITY }),
      )
      .join(" ");
    write(`otel ${level}: ${message}${extra ? ` ${extra}` : ""}`);
  };
}

/** OpenTelemetry's diagnostic messages, on stderr with our prefix (used with `debug`). */
export const stderrDiagLogger: DiagLogger = {
  error: diagWriter("error"),
  warn: diagWriter("warn"),
  info: diagWriter("info"),
  debug: diagWriter("debug"),
  verbose: diagWriter("verbose"),
};
