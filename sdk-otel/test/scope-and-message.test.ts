import { trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { beforeEach, describe, expect, it } from "vitest";
import { setPipeline } from "../src/before-send.js";
import { captureException, captureMessage } from "../src/capture.js";
import { setTag, setUser } from "../src/scope.js";
import { useInMemorySdk } from "./helpers/in-memory-sdk.js";

const { spans, logRecords } = useInMemorySdk();
beforeEach(() => {
  setPipeline(undefined);
  setUser(null);
});

describe("setUser and setTag", () => {
  it("inside a span: set on the span and on exceptions captured later in the same trace only", () => {
    const tracer = trace.getTracer("test");
    tracer.startActiveSpan("request", (request) => {
      setUser({ id: 42, email: "ada@example.com", username: "ada" });
      setTag("tenant", "acme");
      tracer.startActiveSpan("db", (child) => {
        captureException(new Error("in-child"));
        child.end();
      });
      request.end();
    });
    tracer.startActiveSpan("other-request", (other) => {
      captureException(new Error("other-trace"));
      other.end();
    });

    const request = spans.getFinishedSpans().find((s) => s.name === "request");
    expect(request?.attributes).toMatchObject({
      "user.id": "42",
      "user.email": "ada@example.com",
      "user.name": "ada",
      tenant: "acme",
    });
    const [inChild, otherTrace] = logRecords.getFinishedLogRecords();
    expect(inChild?.attributes).toMatchObject({
      "user.id": "42",
      "user.email": "ada@example.com",
      tenant: "acme",
    });
    expect(otherTrace?.attributes["exception.message"]).toBe("other-trace");
    expect(otherTrace?.attributes).not.toHaveProperty("user.id");
    expect(otherTrace?.attributes).not.toHaveProperty("tenant");
  });

  it("outside any span: applies to every later exception; setUser(null) clears; call attributes win", () => {
    setUser({ id: "u-7" });
    setTag("region", "eu");
    captureException(new Error("first"), { region: "us" });
    setUser(null);
    captureException(new Error("second"));

    const [first, second] = logRecords.getFinishedLogRecords();
    expect(first?.attributes).toMatchObject({ "user.id": "u-7", region: "us" });
    expect(second?.attributes).not.toHaveProperty("user.id");
    expect(second?.attributes.region).toBe("eu");
  });

  it("ignores invalid input without throwing", () => {
    expect(() => setUser("nope" as never)).not.toThrow();
    expect(() => setTag("", "x")).not.toThrow();
    expect(() => setTag("exception.type", "Spoof")).not.toThrow();
    expect(() => setTag("obj", { a: 1 } as never)).not.toThrow();
    captureException(new Error("after-bad-input"));
    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.attributes["exception.type"]).toBe("Error");
    expect(log?.attributes).not.toHaveProperty("obj");
  });
});

describe("captureMessage", () => {
  it("emits a log record with the level, the message and exception.type Message, in the span's context", () => {
    let spanId: string | undefined;
    trace.getTracer("test").startActiveSpan("job", (span) => {
      spanId = span.spanContext().spanId;
      captureMessage("quota nearly used", { "quota.used": 0.93 }, "warning");
      span.end();
    });

    const [log] = logRecords.getFinishedLogRecords();
    expect(log?.body).toBe("quota nearly used");
    expect(log?.severityNumber).toBe(SeverityNumber.WARN);
    expect(log?.attributes).toMatchObject({
      "quota.used": 0.93,
      "exception.type": "Message",
      "exception.message": "quota nearly used",
    });
    expect(log?.spanContext?.spanId).toBe(spanId);
    const job = spans.getFinishedSpans().find((s) => s.name === "job");
    expect(job?.events).toHaveLength(0);
    expect(job?.status.code).toBe(0);
  });

  it("defaults to info and goes through beforeSend and scrub", () => {
    setPipeline({
      beforeSend: (event) => (event.message.includes("drop-me") ? null : event),
      scrub: [/secret-\d+/g],
    });
    captureMessage("drop-me please");
    captureMessage("leaked secret-123");

    const records = logRecords.getFinishedLogRecords();
    expect(records).toHaveLength(1);
    expect(records[0]?.severityNumber).toBe(SeverityNumber.INFO);
    expect(records[0]?.body).toBe("leaked [redacted]");
  });
});

describe("captureException with beforeSend", () => {
  it("a dropped exception records nothing: no span event, no log record", () => {
    setPipeline({ beforeSend: () => null, scrub: [] });
    trace.getTracer("test").startActiveSpan("quiet", (span) => {
      captureException(new Error("ignored"));
      span.end();
    });
    expect(logRecords.getFinishedLogRecords()).toHaveLength(0);
    const [quiet] = spans.getFinishedSpans();
    expect(quiet?.events).toHaveLength(0);
  });

  it("an edited exception is what the span event and the log record carry", () => {
    setPipeline({ beforeSend: (event) => ({ ...event, message: "edited-message" }), scrub: [] });
    captureException(new Error("original-message"));
    const [own] = spans.getFinishedSpans();
    const [log] = logRecords.getFinishedLogRecords();
    expect(own?.events[0]?.attributes?.["exception.message"]).toBe("edited-message");
    expect(log?.attributes["exception.message"]).toBe("edited-message");
    expect(log?.body).toBe("Error: edited-message");
  });
});
