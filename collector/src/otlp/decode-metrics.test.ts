import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { decodeMetricsJson } from "./decode-json";
import { decodeMetricsProto } from "./decode-metrics";

/** A reader that collects on demand (no timer), to get real ResourceMetrics from the SDK. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function recordMetrics() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "metrics-test" }),
    readers: [reader],
  });
  const meter = provider.getMeter("test");
  const counter = meter.createCounter("requests");
  counter.add(1, { route: "/a" });
  counter.add(2, { route: "/b" });
  meter.createHistogram("latency").record(12, { route: "/a" });
  const gauge = meter.createGauge("temperature");
  gauge.record(21.5, { room: "x" });
  gauge.record(19, { room: "y" });
  gauge.record(18, { room: "z" });
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  await provider.shutdown();
  return resourceMetrics;
}

describe("metrics decoding (counted, never stored)", () => {
  it("counts the data points of bytes from the official protobuf and JSON serializers alike", async () => {
    const metrics = await recordMetrics();
    // 2 counter series + 1 histogram series + 3 gauge series.
    expect(decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(metrics)!)).toEqual({
      dataPointCount: 6,
    });
    expect(decodeMetricsJson(JsonMetricsSerializer.serializeRequest(metrics)!)).toEqual({
      dataPointCount: 6,
    });
  });
});
