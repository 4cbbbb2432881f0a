import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { diag } from "@opentelemetry/api";
import {
  createOtlpNetworkExportDelegate,
  type ExportResponse,
  type IExporterTransport,
  OTLPExporterBase,
  OTLPExporterError,
} from "@opentelemetry/otlp-exporter-base";
import { createOtlpHttpExporterMetrics } from "@opentelemetry/otlp-exporter-base/node-http";
import {
  type IExporterMetricsHelper,
  type ISerializer,
  LogsExporterMetricsHelper,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from "@opentelemetry/otlp-transformer";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { ExportThreadData, FromExportThread, ToExportThread } from "./export-worker.js";
import {
  httpOptions,
  type SenderConfig,
  Senders,
  type SendOutcome,
  SIGNALS,
  type Signal,
} from "./otlp-sender.js";

/** How much longer than the exporter's own timeout an answer from the export thread may take before giving up. */
const THREAD_GRACE_MS = 5_000;

/**
 * The file this module was loaded from (dist/esm/… or dist/cjs/…), from V8's call sites: the one way that works
 * in both builds (the ES module build has no __filename, the CommonJS one no import.meta). Undefined if unknown.
 */
function thisModuleFile(): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, thisModuleFile);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    return sites?.[0]?.getFileName() ?? undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** dist/…/export-worker.js next to this module; undefined when running from the TypeScript sources or a bundle. */
function exportWorkerFile(): string | undefined {
  const here = thisModuleFile();
  if (!here) return undefined;
  const file = join(dirname(here.startsWith("file:") ? fileURLToPath(here) : here), "export-worker.js");
  return existsSync(file) ? file : undefined;
}

interface Pending {
  signal: Signal;
  body: Uint8Array;
  resolve: (outcome: SendOutcome) => void;
  timer: NodeJS.Timeout;
}

/**
 * Sends what the exporters serialized from a worker thread, so that the HTTP client, gzip, DNS and sockets of
 * the export never run on the application's thread.
 *
 * Why: V8's inline caches are shared by every caller of the same function. The export's requests, responses,
 * gzip streams and sockets go through the same Node.js internals as the application's own requests (streams,
 * events, `_http_outgoing`, and on Node.js 20 and 22 the async hooks that carry AsyncLocalStorage), and the
 * first export turned many of those sites megamorphic for good: every later request of the application paid for
 * it. On Node.js 20, with one error in 1,000 requests, exporting made every request ~17k instructions dearer
 * than the same run with the exporters off (docs/BENCHMARKS.md, 2026-12-07). In the thread the export's type
 * feedback stays in another isolate.
 *
 * The thread starts with the first export and does not keep the process alive while idle. If it cannot start
 * (a bundle without export-worker.js) or stops, exports run on the application's thread as before; what was in
 * flight is sent again there, not lost. `exportThread: false` (CODEWARDEN_EXPORT_THREAD=false) exports on the
 * application's thread from the start.
 */
export class ExportThread {
  private worker: Worker | undefined;
  private unavailable = false;
  private closed = false;
  private nextId = 1;
  private users = 0;
  private readonly pending = new Map<number, Pending>();
  /** The application's thread's own senders: without the thread, or once it is gone. */
  private readonly inProcess: Senders;

  constructor(
    private readonly data: ExportThreadData,
    private readonly file: string | undefined,
  ) {
    this.inProcess = new Senders(data.configs);
  }

  transport(signal: Signal): IExporterTransport {
    this.users++;
    let released = false;
    return {
      send: async (body) => response(await this.send(signal, body)),
      shutdown: () => {
        if (released) return;
        released = true;
        if (--this.users === 0) this.close();
      },
    };
  }

  private send(signal: Signal, body: Uint8Array): Promise<SendOutcome> {
    const worker = this.start();
    if (!worker) return this.sendHere(signal, body);
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timeout = (this.data.configs[signal]?.timeoutMillis ?? 10_000) + THREAD_GRACE_MS;
      const timer = setTimeout(
        () => this.settle(id, { ok: false, error: "the export thread did not answer" }),
        timeout,
      );
      timer.unref();
      this.pending.set(id, { signal, body, resolve, timer });
      // An export in flight keeps the process alive, as the exporter's own HTTP request would.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, signal, body } satisfies ToExportThread);
    });
  }

  private sendHere(signal: Signal, body: Uint8Array): Promise<SendOutcome> {
    return this.inProcess.send(signal, body);
  }

  private settle(id: number, outcome: SendOutcome): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (this.pending.size === 0) this.worker?.unref();
    entry.resolve(outcome);
  }

  private start(): Worker | undefined {
    if (this.worker || this.unavailable || this.closed) return this.worker;
    if (!this.file) {
      this.unavailable = true;
      return undefined;
    }
    try {
      const worker = new Worker(this.file, {
        workerData: this.data,
        name: "codewarden-export",
        // No preloads (the application's --import/--require of this SDK) in the thread, and should one load
        // anyway (NODE_OPTIONS), it starts nothing.
        execArgv: [],
        env: { ...process.env, OTEL_SDK_DISABLED: "true" },
      });
      worker.unref();
      worker.on("message", (message: FromExportThread) => this.receive(message));
      worker.on("error", (error) => this.lost(worker, `the export thread failed: ${error.message}`));
      worker.on("exit", (code) => this.lost(worker, `the export thread exited (code ${code})`));
      this.worker = worker;
      return worker;
    } catch (error) {
      diag.warn(`codewarden: exporting on the application's thread (no export thread: ${String(error)})`);
      this.unavailable = true;
      return undefined;
    }
  }

  private receive(message: FromExportThread): void {
    if ("log" in message) diag[message.log](`export thread: ${message.message}`);
    else {
      const { id, ...outcome } = message;
      this.settle(id, outcome);
    }
  }

  /** The thread is gone: from now on exports run here, starting with what it had not answered. */
  private lost(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.unavailable = true;
    if (!this.closed) diag.warn(`codewarden: ${reason}; exporting on the application's thread from now on`);
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const entry of left) {
      clearTimeout(entry.timer);
      void this.sendHere(entry.signal, entry.body).then(entry.resolve);
    }
  }

  private close(): void {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
    void this.inProcess.shutdown();
  }
}

function response(outcome: SendOutcome): ExportResponse {
  return outcome.ok
    ? { status: "success" }
    : {
        status: "failure",
        error: new OTLPExporterError(outcome.error ?? "the export failed", outcome.status, outcome.data),
      };
}

/** One signal's exporter: OpenTelemetry's export delegate with the export thread as its transport. */
function exporter<Items, Response>(
  thread: ExportThread,
  signal: Signal,
  config: SenderConfig,
  serializer: ISerializer<Items, Response>,
  metricsHelper: IExporterMetricsHelper<Items>,
): OTLPExporterBase<Items> {
  const options = httpOptions(signal, config);
  const metrics = createOtlpHttpExporterMetrics(
    SIGNALS[signal].component,
    metricsHelper,
    options.url,
    undefined,
  );
  return new OTLPExporterBase(
    createOtlpNetworkExportDelegate(options, serializer, metrics, thread.transport(signal)),
  );
}

export interface Exporters {
  traces?: OTLPExporterBase<ReadableSpan[]>;
  logs?: OTLPExporterBase<ReadableLogRecord[]>;
}

/**
 * The OTLP/HTTP protobuf exporters for spans and log records: OpenTelemetry's export delegate (serialization,
 * concurrency limit, timeout, exporter metrics) on the application's thread, the HTTP part in the export thread.
 */
export function createExporters(
  configs: Partial<Record<Signal, SenderConfig>>,
  options: { thread: boolean },
): Exporters {
  const thread = new ExportThread({ configs }, options.thread ? exportWorkerFile() : undefined);
  const exporters: Exporters = {};
  if (configs.traces)
    exporters.traces = exporter(
      thread,
      "traces",
      configs.traces,
      ProtobufTraceSerializer,
      TraceExporterMetricsHelper,
    );
  if (configs.logs)
    exporters.logs = exporter(
      thread,
      "logs",
      configs.logs,
      ProtobufLogsSerializer,
      LogsExporterMetricsHelper,
    );
  return exporters;
}
