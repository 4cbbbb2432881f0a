/** Display names for what the collector stores under its own keys (OpenTelemetry's names). */

const RESOURCE_KEYS: Record<string, string> = {
  serviceName: "service.name",
  serviceNamespace: "service.namespace",
  serviceVersion: "service.version",
  serviceInstanceId: "service.instance.id",
  environment: "deployment.environment.name",
  sdkLanguage: "telemetry.sdk.language",
  hostName: "host.name",
};

/** A stored resource's entries under their OpenTelemetry attribute names, sorted, unset ones left out. */
export function resourceEntries(resource: Record<string, string | null>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(resource)) {
    if (v === null || v === undefined || v === "") continue;
    out.push([RESOURCE_KEYS[k] ?? k, String(v)]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

const SPAN_KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const STATUS_CODES = ["unset", "ok", "error"];

export function spanKindName(kind: number): string {
  return SPAN_KINDS[kind] ?? `kind ${kind}`;
}

export function spanStatusName(code: number): string {
  return STATUS_CODES[code] ?? `status ${code}`;
}

/** Where an event came from (the collector's extraction source). */
export function eventSourceLabel(source: string): string {
  switch (source) {
    case "span_event":
      return "span event";
    case "log":
      return "log record";
    case "span_status":
      return "span status";
    default:
      return source;
  }
}
