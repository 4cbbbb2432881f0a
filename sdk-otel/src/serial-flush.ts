import type { Context } from "@opentelemetry/api";
import type { LogRecordProcessor, SdkLogRecord } from "@opentelemetry/sdk-logs";

/**
 * Runs `forceFlush` and `shutdown` of `inner` one after another, never two at once.
 *
 * The SDK's BatchLogRecordProcessor returns at once from a flush asked for while another is running (it
 * guards `_flushAll` with a flag), and its shutdown flushes that way before it shuts the exporter down. So
 * a record emitted while a flush is exporting — e.g. the app's own uncaughtException handler keeps the
 * process alive, the SDK flushes the crash in the background, the next request fails and is captured, then
 * the app calls shutdown() — was never exported (test/serial-flush.test.ts). Queued here, each flush or
 * shutdown starts after the previous one has settled and so exports everything emitted before it started.
 */
export class SerialFlushLogRecordProcessor implements LogRecordProcessor {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly inner: LogRecordProcessor) {}

  onEmit(logRecord: SdkLogRecord, context?: Context): void {
    this.inner.onEmit(logRecord, context);
  }

  forceFlush(): Promise<void> {
    return this.queue(() => this.inner.forceFlush());
  }

  shutdown(): Promise<void> {
    return this.queue(() => this.inner.shutdown());
  }

  private queue(operation: () => Promise<void>): Promise<void> {
    const run = this.last.then(operation, operation);
    this.last = run.catch(() => undefined);
    return run;
  }
}
