import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import { recordMetrics } from "../../test/otel-data";
import { decodeMetricsJson } from "./decode-json";
import { decodeMetricsProto } from "./decode-metrics";

describe("metrics decoding (counted, never stored)", () => {
  it("counts the data points of bytes from the official protobuf and JSON serializers alike", async () => {
    const metrics = await recordMetrics();
    // 2 counter series + 1 histogram series + 3 gauge series.
    expect(decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(metrics)!)).toEqual({
      dataPointCount: 6,
      malformed: 0,
    });
    expect(decodeMetricsJson(JsonMetricsSerializer.serializeRequest(metrics)!)).toEqual({
      dataPointCount: 6,
      malformed: 0,
    });
  });
});
