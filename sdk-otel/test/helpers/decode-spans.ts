import protobuf from "protobufjs";
import { type OtlpSink, payload } from "./otlp-sink.js";

// The subset of opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1) the tests read,
// with the upstream field numbers, decoded by protobufjs: independent of the SDK's own encoder.
const PROTO = `
syntax = "proto3";
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
  Status status = 15;
}
message Event { string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const ExportTraceServiceRequest = protobuf
  .parse(PROTO, { keepCase: false })
  .root.lookupType("ExportTraceServiceRequest");

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export type AttributeValue = string | number | boolean | null;

export interface DecodedSpan {
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  status: { code: number; message: string };
}

interface RawKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number };
}

function attributes(list: RawKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value?.stringValue ??
      value?.boolValue ??
      (value?.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value?.doubleValue ??
      null;
  }
  return out;
}

const hex = (bytes: string | undefined): string => Buffer.from(bytes ?? "", "base64").toString("hex");

/** Decodes one OTLP/protobuf ExportTraceServiceRequest body into flat spans. */
export function decodeSpans(body: Uint8Array): DecodedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  // biome-ignore lint/suspicious/noExplicitAny: protobufjs toObject() is untyped; shapes follow PROTO above.
  const request = ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String }) as any;
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          scope: scopeSpans.scope?.name ?? "",
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name ?? "",
          kind: span.kind ?? 0,
          attributes: attributes(span.attributes),
          events: (span.events ?? []).map((event: { name?: string; attributes?: RawKeyValue[] }) => ({
            name: event.name ?? "",
            attributes: attributes(event.attributes),
          })),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
        });
      }
    }
  }
  return spans;
}

/** Every span the sink received on /v1/traces since request number `from`. */
export function spansFrom(sink: OtlpSink, from = 0): DecodedSpan[] {
  return sink.requests
    .slice(from)
    .filter((request) => request.path === "/v1/traces")
    .flatMap((request) => decodeSpans(payload(request)));
}
