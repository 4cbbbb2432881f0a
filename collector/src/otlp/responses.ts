import protobuf from "protobufjs/minimal";

/** Wire format of a request, and therefore of its response. */
export type OtlpFormat = "protobuf" | "json";
export type Signal = "traces" | "logs" | "metrics";

export const CONTENT_TYPES: Record<OtlpFormat, string> = {
  protobuf: "application/x-protobuf",
  json: "application/json",
};

/** google.rpc.Code values used in Status bodies. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  NOT_FOUND: 5,
} as const;

/** A google.rpc.Status (field 1 code int32, field 2 message string) in the given format. */
export function encodeStatus(format: OtlpFormat, code: number, message: string): Buffer {
  if (format === "json") return Buffer.from(JSON.stringify({ code, message }), "utf8");
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int32(code);
  if (message) w.uint32((2 << 3) | 2).string(message);
  return Buffer.from(w.finish());
}

const REJECTED_FIELD: Record<Signal, string> = {
  traces: "rejectedSpans",
  logs: "rejectedLogRecords",
  metrics: "rejectedDataPoints",
};

/**
 * An Export{Trace,Logs,Metrics}ServiceResponse: empty on full success; with partial_success
 * (field 1: rejected count int64 = 1, error_message = 2) when items were rejected.
 */
export function encodeExportResponse(
  format: OtlpFormat,
  signal: Signal,
  partial?: { rejected: number; message: string },
): Buffer {
  if (format === "json") {
    if (!partial) return Buffer.from("{}", "utf8");
    const body = {
      partialSuccess: { [REJECTED_FIELD[signal]]: String(partial.rejected), errorMessage: partial.message },
    };
    return Buffer.from(JSON.stringify(body), "utf8");
  }
  if (!partial) return Buffer.alloc(0);
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork();
  w.uint32((1 << 3) | 0).int64(partial.rejected);
  if (partial.message) w.uint32((2 << 3) | 2).string(partial.message);
  w.ldelim();
  return Buffer.from(w.finish());
}
