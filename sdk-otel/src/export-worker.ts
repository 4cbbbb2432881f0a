/**
 * The export thread's entry point (see off-thread-export.ts): sends the request bodies the application's thread
 * serialized, and answers how each send ended. Its diagnostics go back to the application's thread.
 */

import { parentPort, workerData } from "node:worker_threads";
import { type DiagLogger, diag } from "@opentelemetry/api";
import {
  createSender,
  type Sender,
  type SenderConfig,
  type SendOutcome,
  type Signal,
} from "./otlp-sender.js";

/** application thread → export thread */
export type ToExportThread = { id: number; signal: Signal; body: Uint8Array };
/** export thread → application thread */
export type FromExportThread =
  | ({ id: number } & SendOutcome)
  | { log: "error" | "warn" | "debug"; message: string };

export interface ExportThreadData {
  configs: Partial<Record<Signal, SenderConfig>>;
  debug: boolean;
}

const port = parentPort;
if (port) {
  const data = workerData as ExportThreadData;
  const forward =
    (level: "error" | "warn" | "debug") =>
    (message: string, ...args: unknown[]) =>
      port.postMessage({
        log: level,
        message: [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(" "),
      } satisfies FromExportThread);
  const logger: DiagLogger = {
    error: forward("error"),
    warn: forward("warn"),
    info: () => {},
    debug: data.debug ? forward("debug") : () => {},
    verbose: () => {},
  };
  diag.setLogger(logger);
  const senders: Partial<Record<Signal, Sender>> = {};
  port.on("message", (message: ToExportThread) => {
    const config = data.configs[message.signal];
    if (!config) {
      port.postMessage({
        id: message.id,
        ok: false,
        error: `no ${message.signal} exporter`,
      } satisfies FromExportThread);
      return;
    }
    const sender = senders[message.signal] ?? createSender(message.signal, config);
    senders[message.signal] = sender;
    void sender
      .send(message.body)
      .then((outcome) => port.postMessage({ id: message.id, ...outcome } satisfies FromExportThread));
  });
}
