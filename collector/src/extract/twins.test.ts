/**
 * An exception emitted both as a span event and as a log record (OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN
 * = logs/dup) must get one event key, whatever time each signal stamped on it; everything else
 * keeps keys of its own.
 */
import { ROOT_CONTEXT, type SpanContext, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  jsonLogs,
  makeError,
  protobufLogs,
  protobufTraces,
  recordLogs,
  recordSpans,
} from "../../test/otel-data";
import { processExport } from "../process-export";

const RECEIVED = "2026-03-01T12:00:00.000Z";
const AT: [number, number] = [1_767_000_000, 123_456_789];

/** Records `errors` on one span (at AT) and returns the span's keys and context. */
async function spanEvents(errors: Error[]): Promise<{ keys: string[]; ctx: SpanContext }> {
  let ctx: SpanContext | undefined;
  const spans = await recordSpans((t) => {
    const s = t.startSpan("op");
    ctx = s.spanContext();
    for (const e of errors) s.recordException(e, AT);
    s.end();
  });
  const keys = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors.map(
    (e) => e.eventKey,
  );
  return { keys, ctx: ctx! };
}

/** The keys of log records carrying `errors` in span context `ctx`, each at its own time. */
async function logRecords(
  ctx: SpanContext | null,
  errors: Error[],
  time: (i: number) => [number, number] | undefined,
): Promise<string[]> {
  const records = await recordLogs((logger) => {
    errors.forEach((e, i) => {
      logger.emit({
        timestamp: time(i),
        context: ctx ? trace.setSpanContext(ROOT_CONTEXT, ctx) : ROOT_CONTEXT,
        attributes: {
          "exception.type": e.name,
          "exception.message": e.message,
          "exception.stacktrace": e.stack,
        },
      });
    });
  });
  return processExport("logs", "protobuf", protobufLogs(records), RECEIVED).errors.map((e) => e.eventKey);
}

describe("span event and log record twins", () => {
  it("collapse when the log took its own clock reading (Python's record_exception)", async () => {
    const err = makeError();
    const span = await spanEvents([err]);
    const logs = await logRecords(span.ctx, [err], () => [AT[0], AT[1] + 37_000]);
    expect(logs).toEqual(span.keys);
  });

  it("collapse when the log has only an observed time (Java's SDK leaves the timestamp unset)", async () => {
    const err = makeError();
    const span = await spanEvents([err]);
    const records = await recordLogs((logger) =>
      logger.emit({
        context: trace.setSpanContext(ROOT_CONTEXT, span.ctx),
        attributes: { "exception.type": err.name, "exception.message": err.message },
      }),
    );
    // Rewritten into a record with no time_unix_nano, only observed_time_unix_nano.
    const json = JSON.parse(Buffer.from(jsonLogs(records)).toString());
    const record = json.resourceLogs[0].scopeLogs[0].logRecords[0];
    // Observed a few milliseconds after the span event was recorded.
    record.observedTimeUnixNano = String(BigInt(AT[0]) * 1_000_000_000n + BigInt(AT[1]) + 4_000_000n);
    delete record.timeUnixNano;
    const [fromLog] = processExport("logs", "json", Buffer.from(JSON.stringify(json)), RECEIVED).errors;
    expect(fromLog!.eventKey).toBe(span.keys[0]);
  });

  it("two identical exceptions on one span stay two, and pair with their two log twins", async () => {
    const err = makeError();
    const span = await spanEvents([err, err]);
    expect(new Set(span.keys).size).toBe(2);
    const logs = await logRecords(span.ctx, [err, err], (i) => [AT[0], AT[1] + (i + 1) * 1_000_000]);
    expect(logs).toEqual(span.keys);
  });

  it("the same exception logged again on a long-lived span in a later second is a new event", async () => {
    const err = makeError();
    const span = await spanEvents([err]);
    const first = await logRecords(span.ctx, [err], () => [AT[0], AT[1] + 1_000]);
    const later = await logRecords(span.ctx, [err], () => [AT[0] + 2, AT[1]]);
    expect(first).toEqual(span.keys);
    expect(later).toHaveLength(1);
    expect(later).not.toEqual(first);
  });

  it("differ when the message, the type or the span differs", async () => {
    const err = makeError("card declined for order 42");
    const span = await spanEvents([err]);
    const other = makeError("card declined for order 43");
    expect(await logRecords(span.ctx, [other], () => AT)).not.toEqual(span.keys);
    const typed = makeError("card declined for order 42");
    typed.name = "RangeError";
    expect(await logRecords(span.ctx, [typed], () => AT)).not.toEqual(span.keys);
    const sibling = await spanEvents([err]);
    expect(sibling.keys).not.toEqual(span.keys);
  });

  it("without trace context, identical logs at different times stay distinct, and a retry keeps its keys", async () => {
    const err = makeError();
    const records = await recordLogs((logger) => {
      for (const second of [10, 20]) {
        logger.emit({
          timestamp: [1_767_000_000 + second, 0],
          attributes: { "exception.type": err.name, "exception.message": err.message },
        });
      }
    });
    const body = protobufLogs(records);
    const keys = processExport("logs", "protobuf", body, RECEIVED).errors.map((e) => e.eventKey);
    expect(new Set(keys).size).toBe(2);
    expect(
      processExport("logs", "protobuf", body, "2030-01-01T00:00:00.000Z").errors.map((e) => e.eventKey),
    ).toEqual(keys);
  });
});
