/**
 * Small, pure parsers for the value formats the OpenTelemetry environment variables use
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** An env var's trimmed value; empty values count as unset, as the OTel spec requires. */
export function envString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function envBoolean(env: Env, name: string): boolean | undefined {
  const value = envString(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === "true" || value === "1" || value === "yes" || value === "on") return true;
  if (value === "false" || value === "0" || value === "no" || value === "off") return false;
  return undefined;
}

/** Comma-separated list, lower-cased, empty items dropped. */
export function envList(env: Env, name: string): string[] | undefined {
  const value = envString(env, name);
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

/** A positive integer, or undefined (with a warning) when the variable is set to anything else. */
export function envPositiveInt(env: Env, name: string, warnings: string[]): number | undefined {
  const value = envString(env, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (Number.isInteger(parsed) && parsed > 0) return parsed;
  warnings.push(`${name}=${JSON.stringify(value)} is not a positive integer; using the default.`);
  return undefined;
}

/**
 * Parses `key1=value1,key2=value2` (W3C-baggage-like, values percent-encoded), the format of
 * OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES. Malformed entries are skipped with a warning.
 */
export function parseKeyValueList(
  raw: string | undefined,
  source: string,
  warnings: string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  if (raw === undefined) return result;
  for (const entry of raw.split(",")) {
    if (entry.trim() === "") continue;
    const eq = entry.indexOf("=");
    const key = eq > 0 ? entry.slice(0, eq).trim() : "";
    if (key === "") {
      warnings.push(`${source}: ignoring malformed entry (expected key=value).`);
      continue;
    }
    try {
      result[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      warnings.push(`${source}: ignoring entry "${key}" (value is not valid percent-encoding).`);
    }
  }
  return result;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Same rule as Node's http module: no control characters other than horizontal tab.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME.test(name);
}

export function isValidHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value);
}

/** OTEL_EXPORTER_OTLP_*_HEADERS: names lower-cased; invalid headers are dropped with a warning. */
export function parseHeaderList(
  raw: string | undefined,
  source: string,
  warnings: string[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseKeyValueList(raw, source, warnings))) {
    if (!isValidHeaderName(name) || !isValidHeaderValue(value)) {
      warnings.push(`${source}: ignoring header "${name.slice(0, 60)}" (invalid name or value).`);
      continue;
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Appends a signal path (`v1/traces`) to a base endpoint the way the OTLP exporter spec does for
 * OTEL_EXPORTER_OTLP_ENDPOINT: `http://host:4318` and `http://host:4318/` both give `http://host:4318/v1/traces`,
 * and a base path is kept (`https://host/otlp` gives `https://host/otlp/v1/traces`).
 */
export function appendSignalPath(base: string, signalPath: string): string {
  return base.endsWith("/") ? `${base}${signalPath}` : `${base}/${signalPath}`;
}

/** An absolute http(s) URL, normalised by WHATWG URL parsing, or undefined. */
export function parseHttpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (url.hostname === "") return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}
