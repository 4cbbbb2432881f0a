import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { processExport } from "../process-export";
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from "./decode-json";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../shared/fixtures/otlp-examples/${name}`, import.meta.url));

describe("shared OTLP JSON examples (opentelemetry-proto/examples) are accepted as they are", () => {
  it("trace.json: one span, upper-case hex ids, no error", () => {
    const decoded = decodeTracesJson(fixture("trace.json"));
    expect(decoded).toEqual({ spanCount: 1, malformed: 0, candidates: [] });
  });

  it("logs.json: one record with every AnyValue kind, no exception", () => {
    expect(decodeLogsJson(fixture("logs.json"))).toEqual({ logRecordCount: 1, malformed: 0, candidates: [] });
  });

  it("events.json: an event record with a kvlist body", () => {
    expect(decodeLogsJson(fixture("events.json"))).toEqual({
      logRecordCount: 1,
      malformed: 0,
      candidates: [],
    });
  });

  it("metrics.json: data points of sum, gauge, histogram and exponential histogram are counted", () => {
    expect(decodeMetricsJson(fixture("metrics.json"))).toEqual({ dataPointCount: 4, malformed: 0 });
  });

  it("an exception added to trace.json is decoded with lower-cased ids", () => {
    const doc = JSON.parse(fixture("trace.json").toString());
    const span = doc.resourceSpans[0].scopeSpans[0].spans[0];
    span.events = [
      {
        name: "exception",
        timeUnixNano: "1544712660500000000",
        attributes: [{ key: "exception.type", value: { stringValue: "KeyError" } }],
      },
    ];
    const result = processExport(
      "traces",
      "json",
      Buffer.from(JSON.stringify(doc)),
      new Date().toISOString(),
    );
    expect(result.items).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      source: "span_event",
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      exceptionType: "KeyError",
      timestamp: "2018-12-13T14:51:00.500Z",
      resource: { serviceName: "my.service" },
      span: { name: "I'm a server span", kind: 2, statusCode: 0 },
      attributes: { "my.span.attr": "some value" },
    });
  });
});
