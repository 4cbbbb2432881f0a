import { SpanStatusCode, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { describe, expect, it } from "vitest";
import { captureException } from "../src/capture.js";
import { useInMemorySdk } from "./helpers/in-memory-sdk.js";

// A real OpenTelemetry SDK with in-memory exporters: what captureException records is read back as exported.
const { spans, logRecords } = useInMemorySdk();

describe("captureException", () => {
  it("records on the active span and emits an ERROR log record with the same time and span context", () => {
    const error = new TypeError("cannot read properties of undefined");
    trace.getTracer("test").startActiveSpan("checkout", (span) => {
      captureException(error, { "order.id": "o-17" });
      span.end();
    });

    const [checkout] = spans.getFinishedSpans();
    expect(checkout?.name).toBe("checkout");
    expect(checkout?.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
    const event = checkout?.events.find((e) => e.name === "exception");
    expect(event?.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": error.message,
      "exception.stacktrace": error.stack,
    });

    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.severityNumber).toBe(SeverityNumber.ERROR);
    expect(log?.severityText).toBe("ERROR");
    expect(log?.attributes).toEqual({
      "order.id": "o-17",
      "exception.type": "TypeError",
      "exception.message": error.message,
      "exception.stacktrace": error.stack,
    });
    expect(log?.spanContext?.traceId).toBe(checkout?.spanContext().traceId);
    expect(log?.spanContext?.spanId).toBe(checkout?.spanContext().spanId);
    expect(log?.hrTime).toEqual(event?.time);
  });

  it("without an active span, records on a short ended span named exception", () => {
    captureException("quota exceeded", { tenant: "acme" });

    const [own] = spans.getFinishedSpans();
    expect(own?.name).toBe("exception");
    expect(own?.attributes).toEqual({ tenant: "acme" });
    expect(own?.status.code).toBe(SpanStatusCode.ERROR);
    expect(own?.events[0]?.attributes).toMatchObject({
      "exception.type": "Error",
      "exception.message": "quota exceeded",
    });

    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.attributes).toEqual({
      tenant: "acme",
      "exception.type": "Error",
      "exception.message": "quota exceeded",
    });
    expect(log?.spanContext?.spanId).toBe(own?.spanContext().spanId);
    expect(log?.body).toBe("Error: quota exceeded");
  });

  it("drops invalid attributes and does not let them override exception.*", () => {
    captureException(new Error("boom"), {
      ok: 1,
      "exception.type": "Spoofed",
      nested: { no: true } as never,
    });

    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.attributes.ok).toBe(1);
    expect(log?.attributes["exception.type"]).toBe("Error");
    expect(log?.attributes).not.toHaveProperty("nested");
  });

  it("never throws, whatever it is given", () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    );
    expect(() => captureException(hostile, hostile as never)).not.toThrow();
    expect(() => captureException(undefined)).not.toThrow();
    expect(logRecords.getFinishedLogRecords()).toHaveLength(2);
  });
});
