import { DiagLogLevel, diag, type TracerProvider, trace } from "@opentelemetry/api";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  type ResourceDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from "@opentelemetry/resources";
import { BatchLogRecordProcessor, type LogRecordProcessor } from "@opentelemetry/sdk-logs";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import type { ResolvedConfig, ResourceDetectorName } from "./config.js";
import { SdkContextManager } from "./context-manager.js";
import { DeferredTracerProvider } from "./deferred-span.js";
import { stderrDiagLogger } from "./diagnostics.js";
import { ErrorSpanProcessor } from "./error-spans.js";
import { ExpressLeanInstrumentation } from "./express-lean.js";
import { FastifyLeanInstrumentation } from "./fastify-lean.js";
import { HttpServerInstrumentation } from "./http-server.js";
import { createInstrumentations, type InstrumentationName } from "./instrumentations.js";
import { KoaLeanInstrumentation } from "./koa-lean.js";
import { createExporters } from "./off-thread-export.js";
import type { SenderConfig } from "./otlp-sender.js";
import { SerialFlushLogRecordProcessor } from "./serial-flush.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

const DETECTORS: Record<ResourceDetectorName, ResourceDetector> = {
  env: envDetector,
  host: hostDetector,
  os: osDetector,
  process: processDetector,
  serviceinstance: serviceInstanceIdDetector,
};

export interface StartedSdk {
  /** Forces both batch processors to export. */
  forceFlush(): Promise<void>;
  /** Flushes and shuts the providers down. */
  shutdown(): Promise<void>;
  /** Spans ended plus log records emitted since start (tells exit hooks whether anything is new). */
  activity(): number;
}

/** True when some other OpenTelemetry SDK already registered the global tracer provider. */
export function otherTracerProviderRegistered(): boolean {
  const provider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const delegate = typeof provider.getDelegate === "function" ? provider.getDelegate() : provider;
  return delegate.constructor?.name !== "NoopTracerProvider";
}

/**
 * Resource: OTel defaults (telemetry.sdk.*), then the configured detectors (OTEL_RESOURCE_ATTRIBUTES, process,
 * host, …), then the values CodeWarden resolved — so explicit options win over the environment.
 */
export function buildResource(config: ResolvedConfig): Resource {
  const ours: Record<string, string> = {
    "service.name": config.serviceName,
    "telemetry.distro.name": SDK_NAME,
    "telemetry.distro.version": SDK_VERSION,
  };
  if (config.serviceVersion !== undefined) ours["service.version"] = config.serviceVersion;
  if (config.environment !== undefined) ours["deployment.environment.name"] = config.environment;
  const detected = detectResources({ detectors: config.resourceDetectors.map((name) => DETECTORS[name]) });
  return defaultResource().merge(detected).merge(resourceFromAttributes(ours));
}

function exporterConfig(signal: ResolvedConfig["traces"], config: ResolvedConfig): SenderConfig | undefined {
  return signal.enabled
    ? {
        url: signal.url,
        headers: signal.headers,
        timeoutMillis: signal.timeoutMillis,
        compression: config.compression,
      }
    : undefined;
}

/** ParentBased(TraceIdRatio(rate)) for `sampleRate`; undefined lets NodeSDK read OTEL_TRACES_SAMPLER. */
export function samplerFor(sampleRate: number | undefined): Sampler | undefined {
  return sampleRate === undefined
    ? undefined
    : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRate) });
}

/** The SDK's own integrations that replace a bundled framework instrumentation in the "errors" mode. */
const LEAN: Partial<Record<InstrumentationName, () => Instrumentation>> = {
  express: () => new ExpressLeanInstrumentation(),
  koa: () => new KoaLeanInstrumentation(),
  fastify: () => new FastifyLeanInstrumentation(),
};

/**
 * The bundled instrumentations. When only error spans are exported, incoming HTTP requests get CodeWarden's
 * lean server instrumentation and the official one keeps outgoing requests (see http-server.ts), and
 * Express (4 and 5), Koa and Fastify get the lean route-and-error integrations that work with it
 * (express-lean.ts, koa-lean.ts, fastify-lean.ts).
 */
function bundledInstrumentations(config: ResolvedConfig): Instrumentation[] {
  if (config.exportSpans !== "errors" || !config.autoInstrumentations.includes("http")) {
    return createInstrumentations(config.autoInstrumentations);
  }
  const names = config.autoInstrumentations;
  return [
    ...createInstrumentations(names.filter((name) => name !== "http" && !(name in LEAN))),
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    new HttpServerInstrumentation(),
    ...names.flatMap((name) => LEAN[name]?.() ?? []),
  ];
}

/**
 * "errors" mode: the bundled instrumentations' spans are DeferredSpans (deferred-span.ts), started for real
 * only when they fail, a child starts or their context is propagated; the rest would be dropped unexported
 * anyway. The lean server instrumentation defers its own span; instrumentations passed in by the
 * application keep the SDK's tracer.
 */
function deferBundledSpans(bundled: Instrumentation[]): void {
  const global = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const provider = new DeferredTracerProvider(
    typeof global.getDelegate === "function" ? global.getDelegate() : global,
  );
  for (const instrumentation of bundled) {
    if (!(instrumentation instanceof HttpServerInstrumentation)) instrumentation.setTracerProvider(provider);
  }
}

/** Builds and starts NodeSDK from a resolved config (registers the global providers). */
export function startSdk(config: ResolvedConfig): StartedSdk {
  if (config.debug) diag.setLogger(stderrDiagLogger, { logLevel: DiagLogLevel.DEBUG });

  let activity = 0;
  const spanCounter: SpanProcessor = {
    onStart() {},
    onEnd() {
      activity++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const logCounter: LogRecordProcessor = {
    onEmit() {
      activity++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };

  // OTLP/HTTP protobuf; the HTTP requests are made in a worker thread (off-thread-export.ts).
  const exporters = createExporters(
    { traces: exporterConfig(config.traces, config), logs: exporterConfig(config.logs, config) },
    { thread: config.exportThread },
  );
  const batchSpanProcessor = exporters.traces
    ? new BatchSpanProcessor(exporters.traces, config.traces.batch)
    : undefined;
  const spanProcessor =
    batchSpanProcessor && config.exportSpans === "errors"
      ? new ErrorSpanProcessor(batchSpanProcessor)
      : batchSpanProcessor;
  const logProcessor = exporters.logs
    ? new SerialFlushLogRecordProcessor(
        new BatchLogRecordProcessor({ exporter: exporters.logs, ...config.logs.batch }),
      )
    : undefined;

  const bundled = bundledInstrumentations(config);
  const contextManager = new SdkContextManager();
  const sdk = new NodeSDK({
    contextManager,
    resource: buildResource(config),
    autoDetectResources: false,
    spanProcessors: spanProcessor ? [spanProcessor, spanCounter] : [],
    logRecordProcessors: logProcessor ? [logProcessor, logCounter] : [],
    metricReaders: [], // metrics off
    sampler: samplerFor(config.sampleRate),
    instrumentations: [...bundled, ...config.instrumentations],
    // textMapPropagator left undefined: OTEL_PROPAGATORS, else W3C trace context + baggage.
  });
  sdk.start();
  contextManager.useDirectlyFromFirstUse();
  if (batchSpanProcessor && config.exportSpans === "errors") deferBundledSpans(bundled);

  return {
    async forceFlush() {
      await Promise.all([spanProcessor?.forceFlush(), logProcessor?.forceFlush()]);
    },
    shutdown: () => sdk.shutdown(),
    activity: () => activity,
  };
}
