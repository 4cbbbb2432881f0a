import {
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import { encodeExportResponse, encodeStatus } from "./responses";

describe("export responses, read back by the official deserializers", () => {
  it("an empty protobuf response means full success", () => {
    const body = encodeExportResponse("protobuf", "traces");
    expect(body.length).toBe(0);
    expect(ProtobufTraceSerializer.deserializeResponse(body).partialSuccess).toBeFalsy();
    expect(JSON.parse(encodeExportResponse("json", "traces").toString())).toEqual({});
  });

  it("carries partial_success with the rejected count and message", () => {
    const partial = { rejected: 7, message: "too many errors" };
    const traces = ProtobufTraceSerializer.deserializeResponse(
      encodeExportResponse("protobuf", "traces", partial),
    );
    expect(Number(traces.partialSuccess?.rejectedSpans)).toBe(7);
    expect(traces.partialSuccess?.errorMessage).toBe("too many errors");
    const logs = ProtobufLogsSerializer.deserializeResponse(
      encodeExportResponse("protobuf", "logs", partial),
    );
    expect(Number(logs.partialSuccess?.rejectedLogRecords)).toBe(7);
    const metrics = ProtobufMetricsSerializer.deserializeResponse(
      encodeExportResponse("protobuf", "metrics", partial),
    );
    expect(Number(metrics.partialSuccess?.rejectedDataPoints)).toBe(7);
    expect(JSON.parse(encodeExportResponse("json", "logs", partial).toString())).toEqual({
      partialSuccess: { rejectedLogRecords: "7", errorMessage: "too many errors" },
    });
  });

  it("encodes google.rpc.Status as protobuf and JSON", () => {
    expect(JSON.parse(encodeStatus("json", 3, "bad").toString())).toEqual({ code: 3, message: "bad" });
    // field 1 varint 3, field 2 length-delimited "bad"
    expect([...encodeStatus("protobuf", 3, "bad")]).toEqual([0x08, 3, 0x12, 3, 0x62, 0x61, 0x64]);
  });
});
