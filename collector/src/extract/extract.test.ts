import { errorBatchJobSchema, errorEventSchema, LIMITS } from "@codewarden/common";
import { ROOT_CONTEXT, type SpanContext, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  jsonLogs,
  jsonTraces,
  makeError,
  protobufLogs,
  protobufTraces,
  RESOURCE_ATTRIBUTES,
  recordLogs,
  recordSpans,
  typicalLogs,
  typicalTrace,
} from "../../test/otel-data";
import { MAX_ERRORS_PER_REQUEST, processExport } from "../process-export";
import { toErrorBatchJobs } from "./batch";

const RECEIVED = "2026-03-01T12:00:00.000Z";
const PROJECT = "7d3c0a52-4f3e-4c1e-9a55-1b2f0c3d4e5f";

describe("error extraction", () => {
  it("extracts an exception event and an ERROR span with error.type, per the job schema", async () => {
    const spans = await recordSpans(typicalTrace);
    const { items, errors, rejected } = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED);
    expect(items).toBe(3);
    expect(rejected).toBe(0);
    for (const e of errors) errorEventSchema.parse(e);
    const [event, status] = errors;
    const server = spans[0]!;
    expect(event).toMatchObject({
      source: "span_event",
      timestamp: "2026-03-01T10:00:00.123Z",
      traceId: server.spanContext().traceId,
      spanId: server.spanContext().spanId,
      exceptionType: "TypeError",
      message: "card declined for order 42",
      fingerprint: null,
      resource: {
        serviceName: "checkout",
        serviceNamespace: "shop",
        serviceVersion: "1.4.2",
        serviceInstanceId: "pod-7",
        environment: "production",
        sdkLanguage: "nodejs",
        hostName: "node-1",
      },
      span: { name: "POST /checkout", kind: 2, statusCode: 2 },
      attributes: { "http.route": "/checkout", "http.request.method": "POST", "user.id": "u-1" },
    });
    expect(event!.stacktrace).toMatch(/at chargeCard/);
    expect(event!.attributes).not.toHaveProperty("exception.type");
    expect(status).toMatchObject({
      source: "span_status",
      exceptionType: "504",
      message: "gateway timeout",
      stacktrace: null,
      span: { name: "GET payments", kind: 3, statusCode: 2 },
      attributes: { "error.type": "504", "http.response.status_code": 504 },
    });
    const [job] = toErrorBatchJobs(PROJECT, RECEIVED, errors);
    expect(errorBatchJobSchema.parse(job)).toEqual({
      v: 1,
      projectId: PROJECT,
      receivedAt: RECEIVED,
      errors,
    });
  });

  it("gives the same errors and event keys for protobuf, JSON and a retry", async () => {
    const spans = await recordSpans(typicalTrace);
    const a = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    const b = processExport("traces", "json", jsonTraces(spans), "2030-01-01T00:00:00.000Z").errors;
    expect(b).toEqual(a);
    expect(new Set(a.map((e) => e.eventKey)).size).toBe(a.length);
    for (const e of a) expect(e.eventKey).toMatch(/^[0-9a-f]{32}$/);
  });

  it("gives one key to an exception sent both as a span event and as a log record, and distinct keys otherwise", async () => {
    const err = makeError();
    const at = [1_767_000_000, 123_456_789] as [number, number];
    let context: SpanContext | undefined;
    const spans = await recordSpans((t) => {
      const s = t.startSpan("both");
      context = s.spanContext();
      s.recordException(err, at);
      s.end();
    });
    const logsOf = (time: [number, number], type = err.name) =>
      recordLogs((logger) =>
        logger.emit({
          timestamp: time,
          context: trace.setSpanContext(ROOT_CONTEXT, context!),
          attributes: { "exception.type": type, "exception.message": err.message },
        }),
      );
    const [fromSpan] = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    const [fromLog] = processExport("logs", "protobuf", protobufLogs(await logsOf(at)), RECEIVED).errors;
    expect(fromLog!.source).toBe("log");
    expect(fromLog!.traceId).toBe(fromSpan!.traceId);
    expect(fromLog!.eventKey).toBe(fromSpan!.eventKey);
    // The log twin's time need not be the span event's (see the twin tests below).
    const later = processExport("logs", "protobuf", protobufLogs(await logsOf([at[0], at[1] + 1])), RECEIVED);
    expect(later.errors[0]!.eventKey).toBe(fromSpan!.eventKey);
    const otherType = processExport(
      "logs",
      "protobuf",
      protobufLogs(await logsOf(at, "RangeError")),
      RECEIVED,
    );
    expect(otherType.errors[0]!.eventKey).not.toBe(fromSpan!.eventKey);
  });

  it("gives distinct keys to two identical exceptions on one span", async () => {
    const err = makeError();
    const spans = await recordSpans((t) => {
      const s = t.startSpan("twice");
      s.recordException(err, 1000);
      s.recordException(err, 1000);
      s.end();
    });
    const errors = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    expect(errors).toHaveLength(2);
    expect(errors[0]!.eventKey).not.toBe(errors[1]!.eventKey);
  });

  it("does not report an ERROR span that has an exception event twice, nor one without error.type", async () => {
    const spans = await recordSpans((t) => {
      const a = t.startSpan("with-exception", { attributes: { "error.type": "TypeError" } });
      a.recordException(makeError());
      a.setStatus({ code: SpanStatusCode.ERROR });
      a.end();
      const b = t.startSpan("no-error-type");
      b.setStatus({ code: SpanStatusCode.ERROR, message: "failed" });
      b.end();
    });
    const errors = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    expect(errors.map((e) => e.source)).toEqual(["span_event"]);
  });

  it("extracts log records with exception attributes, from protobuf and JSON alike", async () => {
    const records = await recordLogs(typicalLogs);
    const errors = processExport("logs", "protobuf", protobufLogs(records), RECEIVED).errors;
    expect(processExport("logs", "json", jsonLogs(records), RECEIVED).errors).toEqual(errors);
    expect(errors).toHaveLength(1);
    const e = errorEventSchema.parse(errors[0]);
    expect(e).toMatchObject({
      source: "log",
      timestamp: "2026-03-01T10:00:01.000Z",
      traceId: null,
      spanId: null,
      exceptionType: "TypeError",
      message: "payment provider unreachable",
      span: null,
      attributes: { "order.id": 42 },
    });
  });

  it("uses the body when a log has no exception.message, and 'Error' when it has no type", async () => {
    const records = await recordLogs((l) => {
      l.emit({ body: "disk full on /var", attributes: { "exception.type": "IOError" } });
      l.emit({ body: { code: 7 }, attributes: { "exception.type": "Structured" } });
      l.emit({ severityText: "DEBUG", attributes: { "exception.message": "no type here" } });
    });
    const errors = processExport("logs", "protobuf", protobufLogs(records), RECEIVED).errors;
    expect(errors.map((e) => [e.exceptionType, e.message])).toEqual([
      ["IOError", "disk full on /var"],
      ["Structured", '{"code":7}'],
      ["Error", "no type here"],
    ]);
  });

  it("takes codewarden.fingerprint and falls back to deployment.environment", async () => {
    const spans = await recordSpans(
      (t) => {
        const s = t.startSpan("fp", { attributes: { "codewarden.fingerprint": "checkout-card" } });
        s.recordException(makeError());
        s.end();
      },
      { "service.name": "svc", "deployment.environment": "staging" },
    );
    const [e] = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    expect(e!.fingerprint).toBe("checkout-card");
    expect(e!.resource.environment).toBe("staging");
    expect(e!.attributes).not.toHaveProperty("codewarden.fingerprint");
  });

  it("truncates every oversized string instead of rejecting", async () => {
    const huge = "x".repeat(LIMITS.stacktrace * 2);
    const spans = await recordSpans(
      (t) => {
        const s = t.startSpan(huge, {
          attributes: Object.fromEntries([
            [`k${huge}`, huge],
            ...Array.from({ length: 100 }, (_, i) => [`a${i}`, i]),
          ]),
        });
        s.addEvent("exception", {
          "exception.type": huge,
          "exception.message": huge,
          "exception.stacktrace": huge,
          "codewarden.fingerprint": huge,
        });
        s.end();
      },
      { "service.name": huge, "host.name": "h\u0000st" },
    );
    const [e] = processExport("traces", "protobuf", protobufTraces(spans), RECEIVED).errors;
    const parsed = errorEventSchema.parse(e);
    expect(parsed.exceptionType).toHaveLength(LIMITS.exceptionType);
    expect(parsed.message).toHaveLength(LIMITS.message);
    expect(parsed.stacktrace).toHaveLength(LIMITS.stacktrace);
    expect(parsed.fingerprint).toHaveLength(LIMITS.shortString);
    expect(parsed.resource.serviceName).toHaveLength(LIMITS.shortString);
    expect(parsed.resource.hostName).toBe("h\uFFFDst");
    expect(parsed.span!.name).toHaveLength(LIMITS.shortString);
    expect(Object.keys(parsed.attributes)).toHaveLength(LIMITS.attributesPerEvent);
    const [firstKey] = Object.keys(parsed.attributes);
    expect(firstKey).toHaveLength(LIMITS.attributeKey);
    expect(parsed.attributes[firstKey!]).toHaveLength(LIMITS.attributeValue);
  });

  it("never splits a surrogate pair when truncating", async () => {
    const records = await recordLogs((l) =>
      l.emit({ attributes: { "exception.type": `${"a".repeat(LIMITS.exceptionType - 1)}😀tail` } }),
    );
    const [e] = processExport("logs", "protobuf", protobufLogs(records), RECEIVED).errors;
    expect(e!.exceptionType).toBe("a".repeat(LIMITS.exceptionType - 1));
  });

  it("splits a request's errors into jobs of at most errorsPerJob and rejects beyond the per-request cap", async () => {
    const n = MAX_ERRORS_PER_REQUEST + 5;
    const record = (i: number) => ({
      timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)),
      attributes: [{ key: "exception.type", value: { stringValue: "E" } }],
    });
    const body = Buffer.from(
      JSON.stringify({
        resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: n }, (_, i) => record(i)) }] }],
      }),
    );
    const result = processExport("logs", "json", body, RECEIVED);
    expect(result.items).toBe(n);
    expect(result.errors).toHaveLength(MAX_ERRORS_PER_REQUEST);
    expect(result.rejected).toBe(5);
    const jobs = toErrorBatchJobs(PROJECT, RECEIVED, result.errors);
    expect(jobs).toHaveLength(Math.ceil(MAX_ERRORS_PER_REQUEST / LIMITS.errorsPerJob));
    for (const job of jobs) errorBatchJobSchema.parse(job);
    expect(jobs.flatMap((j) => j.errors)).toEqual(result.errors);
  });

  it("uses the receive time when an item's time is unset or has no ISO-8601 form", () => {
    const body = (timeUnixNano: string) =>
      Buffer.from(
        JSON.stringify({
          resourceLogs: [
            {
              scopeLogs: [
                {
                  logRecords: [
                    { timeUnixNano, attributes: [{ key: "exception.type", value: { stringValue: "E" } }] },
                  ],
                },
              ],
            },
          ],
        }),
      );
    for (const t of ["0", "18446744073709551615"]) {
      const [e] = processExport("logs", "json", body(t), RECEIVED).errors;
      expect(errorEventSchema.parse(e).timestamp).toBe(
        t === "18446744073709551615" ? "2554-07-21T23:34:33.709Z" : RECEIVED,
      );
    }
    // Beyond fixed64 (2^64 - 1 ns is in 2554) a time is malformed: the record is rejected.
    const beyond = processExport("logs", "json", body("253402300800000000000"), RECEIVED);
    expect(beyond).toMatchObject({ errors: [], malformed: 1, rejected: 1 });
  });

  it("drops a __proto__ attribute key", () => {
    const body = Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    attributes: [
                      { key: "__proto__", value: { stringValue: "polluted" } },
                      { key: "exception.type", value: { stringValue: "E" } },
                      { key: "ok", value: { stringValue: "kept" } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [e] = processExport("logs", "json", body, RECEIVED).errors;
    expect(Object.getPrototypeOf(e!.attributes)).toBe(Object.prototype);
    expect(Object.keys(e!.attributes)).toEqual(["ok"]);
    expect(e!.timestamp).toBe(RECEIVED);
  });

  it("does not report a SERVER span's 5xx on its own when its trace, from the same service, carries an exception", async () => {
    // A framework (express) records the thrown error on its handler's span, under the server span, and
    // the server span ends with 500: one failure, reported once, as the exception.
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "5bf7651916cd43dd8448eb211c80319a",
      spanId: "a7ad6b7169203330",
      traceFlags: 1,
      isRemote: true,
    });
    const serverError = { "error.type": "500", "http.response.status_code": 500 };
    const checkout = await recordSpans((tracer) => {
      const server = tracer.startSpan(
        "GET /api/boom/:id",
        { kind: SpanKind.SERVER, attributes: serverError },
        remote,
      );
      const ctx = trace.setSpan(remote, server);
      const handler = tracer.startSpan("request handler - /api/boom/:id", {}, ctx);
      handler.recordException(makeError());
      handler.setStatus({ code: SpanStatusCode.ERROR });
      handler.end();
      const client = tracer.startSpan(
        "GET payments",
        { kind: SpanKind.CLIENT, attributes: { "error.type": "504" } },
        ctx,
      );
      client.setStatus({ code: SpanStatusCode.ERROR });
      client.end(); // a failed downstream call stays its own error
      server.setStatus({ code: SpanStatusCode.ERROR });
      server.end();
      const other = tracer.startSpan("GET /api/slow", { kind: SpanKind.SERVER, attributes: serverError });
      other.setStatus({ code: SpanStatusCode.ERROR });
      other.end(); // another request's 500, without an exception
    });
    // Another service of the same trace, in the same request (e.g. through an OpenTelemetry Collector).
    const gateway = await recordSpans(
      (tracer) => {
        const server = tracer.startSpan(
          "GET /boom",
          { kind: SpanKind.SERVER, attributes: serverError },
          remote,
        );
        server.setStatus({ code: SpanStatusCode.ERROR });
        server.end();
      },
      { ...RESOURCE_ATTRIBUTES, "service.name": "gateway" },
    );
    const spans = [...checkout, ...gateway];
    for (const [encoding, body] of [
      ["protobuf", protobufTraces(spans)],
      ["json", jsonTraces(spans)],
    ] as const) {
      const { errors } = processExport("traces", encoding, body, RECEIVED);
      expect(errors.map((e) => [e.source, e.resource.serviceName, e.span?.name])).toEqual([
        ["span_event", "checkout", "request handler - /api/boom/:id"],
        ["span_status", "checkout", "GET payments"],
        ["span_status", "checkout", "GET /api/slow"],
        ["span_status", "gateway", "GET /boom"],
      ]);
    }
  });
});
