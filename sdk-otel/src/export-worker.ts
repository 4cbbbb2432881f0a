/**
 * The export thread's entry point (see off-thread-export.ts): sends the request bodies the application's thread
 * serialized, and answers how each send ended. Its diagnostics go back to the application's thread.
 */

import { parentPort, workerData } from "node:worker_threads";
import { type DiagLogger, DiagLogLevel, diag } from "@opentelemetry/api";
import { type SenderConfig, Senders, type SendOutcome, type Signal } from "./otlp-sender.js";

/** application thread → export thread */
export type ToExportThread = { id: number; signal: Signal; body: Uint8Array };
/** export thread → application thread */
export type FromExportThread = ({ id: number } & SendOutcome) | { log: "error" | "warn"; message: string };

export interface ExportThreadData {
  configs: Partial<Record<Signal, SenderConfig>>;
}

const port = parentPort;
if (port) {
  const data = workerData as ExportThreadData;
  // Warnings and errors go to the application's thread, which logs them through its own diag logger. (Debug
  // output would repeat the request bodies byte by byte; the exporter on that thread already logs what it sends.)
  const forward =
    (level: "error" | "warn") =>
    (message: string, ...args: unknown[]) =>
      port.postMessage({
        log: level,
        message: [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(" "),
      } satisfies FromExportThread);
  const logger: DiagLogger = {
    error: forward("error"),
    warn: forward("warn"),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN });
  const senders = new Senders(data.configs);
  port.on("message", (message: ToExportThread) => {
    void senders
      .send(message.signal, message.body)
      .then((outcome) => port.postMessage({ id: message.id, ...outcome } satisfies FromExportThread));
  });
}
