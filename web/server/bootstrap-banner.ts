import type { BootstrapResult } from "@codewarden/drizzle";

/**
 * The lines printed once at start: where to look, what to send telemetry with. A secret
 * created earlier cannot be shown again (only its hash is stored): its hint is printed.
 */
export function bootstrapBanner(
  boot: BootstrapResult,
  opts: { title: string; dashboardUrl: string; adminEmail: string; otlpEndpoint: string },
): string {
  const ingestKey = boot.ingestKey.value;
  const lines = [
    "",
    opts.title,
    `  Dashboard:      ${opts.dashboardUrl}   (sign in as ${opts.adminEmail}; without SMTP_URL the link is printed here)`,
    `  OTLP endpoint:  ${opts.otlpEndpoint}`,
    `  Ingest key:     ${ingestKey ?? `${boot.ingestKey.hint}… (created earlier; set CODEWARDEN_BOOTSTRAP_INGEST_KEY to choose one)`}`,
    `  API token:      ${boot.apiToken.value ?? `${boot.apiToken.hint}… (created earlier; set CODEWARDEN_BOOTSTRAP_API_TOKEN to choose one)`}`,
    "",
    "  Point any OpenTelemetry SDK at it:",
    `    export OTEL_EXPORTER_OTLP_ENDPOINT=${opts.otlpEndpoint}`,
    `    export OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer ${ingestKey ?? "<ingest key>"}"`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}
