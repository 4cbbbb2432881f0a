import { context } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from "@opentelemetry/sdk-logs";
import { describe, expect, it } from "vitest";
import { SerialFlushLogRecordProcessor } from "../src/serial-flush.js";

/** An exporter that takes `delayMs` per export (a real network round trip), recording the bodies. */
function slowExporter(delayMs: number): LogRecordExporter & { bodies: unknown[] } {
  const bodies: unknown[] = [];
  return {
    bodies,
    export(records: ReadableLogRecord[], done) {
      setTimeout(() => {
        bodies.push(...records.map((r) => r.body));
        done({ code: ExportResultCode.SUCCESS });
      }, delayMs);
    },
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  };
}

/** A background flush (as after a crash the app survives), a record while it exports, then shutdown. */
async function flushEmitShutdown(wrap: boolean): Promise<unknown[]> {
  const exporter = slowExporter(50);
  const batch = new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 });
  const processor = wrap ? new SerialFlushLogRecordProcessor(batch) : batch;
  const provider = new LoggerProvider({ processors: [processor] });
  const logger = provider.getLogger("test");
  logger.emit({ body: "first", context: context.active() });
  const background = processor.forceFlush();
  await new Promise((resolve) => setTimeout(resolve, 10)); // the first export is on the wire
  logger.emit({ body: "second" });
  await provider.shutdown();
  await background;
  return exporter.bodies;
}

describe("SerialFlushLogRecordProcessor", () => {
  it("exports a record emitted while a flush is exporting, when shutdown follows", async () => {
    expect(await flushEmitShutdown(true)).toEqual(["first", "second"]);
  });

  it("is needed: the SDK's batch processor alone loses that record", async () => {
    expect(await flushEmitShutdown(false)).toEqual(["first"]);
  });

  it("runs flushes one after another, each exporting what was emitted before it started", async () => {
    const exporter = slowExporter(20);
    const processor = new SerialFlushLogRecordProcessor(
      new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 }),
    );
    const logger = new LoggerProvider({ processors: [processor] }).getLogger("test");
    logger.emit({ body: "a" });
    const first = processor.forceFlush();
    logger.emit({ body: "b" });
    const second = processor.forceFlush();
    await second;
    expect(exporter.bodies).toEqual(["a", "b"]);
    await first;
  });
});
