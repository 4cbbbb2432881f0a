import { ExportResultCode } from "@opentelemetry/core";
import type { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from "@opentelemetry/otlp-exporter-base/node-http";
import {
  type ISerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";

export type Signal = "traces" | "logs";

/** What an OTLP/HTTP exporter of one signal is configured with (plain data: it is sent to the export thread). */
export interface SenderConfig {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: "gzip" | "none";
}

/** How a send ended: when it failed, the error's message, and the HTTP status and body the collector answered. */
export interface SendOutcome {
  ok: boolean;
  error?: string;
  status?: number;
  data?: string;
}

export interface Sender {
  /** Sends one OTLP/protobuf request body (already serialized); never rejects. */
  send(body: Uint8Array): Promise<SendOutcome>;
  shutdown(): Promise<void>;
}

/** Per signal: OpenTelemetry's names for it (env variables, URL path, component type, metric unit). */
export const SIGNALS = {
  traces: {
    id: "TRACES",
    path: "v1/traces",
    component: "otlp_http_span_exporter",
    metric: "span",
    responses: ProtobufTraceSerializer,
  },
  logs: {
    id: "LOGS",
    path: "v1/logs",
    component: "otlp_http_log_exporter",
    metric: "log",
    responses: ProtobufLogsSerializer,
  },
} as const;

/** The exporter's options as OpenTelemetry's OTLP/HTTP exporter resolves them (OTEL_EXPORTER_OTLP_* included). */
export function httpOptions(
  signal: Signal,
  config: SenderConfig,
): ReturnType<typeof convertLegacyHttpOptions> {
  const s = SIGNALS[signal];
  // CompressionAlgorithm is an enum of these same two strings.
  const legacy = { ...config, compression: config.compression as CompressionAlgorithm };
  return convertLegacyHttpOptions(legacy, s.id, s.path, { "Content-Type": "application/x-protobuf" });
}

/**
 * Sends serialized OTLP/protobuf requests of one signal with OpenTelemetry's own HTTP export delegate — the
 * same as the official exporter's: gzip, retries with backoff on 429/502/503/504 and network errors, the
 * timeout, the concurrency limit, the OTEL_EXPORTER_OTLP_* settings, partial-success warnings — handed bytes
 * instead of spans or log records. The export thread (export-worker.ts) runs these.
 */
export function createSender(signal: Signal, config: SenderConfig): Sender {
  const s = SIGNALS[signal];
  const options = httpOptions(signal, config);
  const serializer: ISerializer<Uint8Array, unknown> = {
    serializeRequest: (body) => body,
    deserializeResponse: (data) => s.responses.deserializeResponse(data),
  };
  const delegate = createOtlpHttpExportDelegate(
    options,
    serializer,
    s.component,
    // The exporter's own metrics are counted by the exporter that serialized the items (off-thread-export.ts).
    { name: s.metric, countItems: () => 0 },
    undefined,
  );
  return {
    send: (body) =>
      new Promise((resolve) =>
        delegate.export(body, (result) => {
          if (result.code === ExportResultCode.SUCCESS) return resolve({ ok: true });
          const error = result.error as (Error & { code?: unknown; data?: unknown }) | undefined;
          resolve({
            ok: false,
            error: error?.message ?? "the export failed",
            ...(typeof error?.code === "number" ? { status: error.code } : {}),
            ...(typeof error?.data === "string" ? { data: error.data } : {}),
          });
        }),
      ),
    shutdown: () => delegate.shutdown(),
  };
}

/**
 * The senders of every configured signal, each made at its signal's first send: what the export thread runs, and
 * what the application's thread falls back to without it. A signal with no exporter configured fails its sends.
 */
export class Senders {
  private readonly made: Partial<Record<Signal, Sender>> = {};

  constructor(private readonly configs: Partial<Record<Signal, SenderConfig>>) {}

  /** Sends one serialized request body of `signal`; never rejects. */
  send(signal: Signal, body: Uint8Array): Promise<SendOutcome> {
    const config = this.configs[signal];
    if (!config) return Promise.resolve({ ok: false, error: `no ${signal} exporter` });
    const sender = this.made[signal] ?? createSender(signal, config);
    this.made[signal] = sender;
    return sender.send(body);
  }

  async shutdown(): Promise<void> {
    await Promise.all(Object.values(this.made).map((sender) => sender?.shutdown()));
  }
}
