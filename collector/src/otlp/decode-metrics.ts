import { walkExportRequest } from "./decode-envelope";
import type { DecodedMetrics } from "./model";
import {
  createReader,
  expectEnd,
  expectWire,
  guardDecode,
  messageEnd,
  type Reader,
  readTag,
  skipField,
  WIRE_LEN,
} from "./wire";

// Field numbers from opentelemetry-proto collector/metrics/v1/metrics_service.proto and metrics/v1/metrics.proto.
/** Metric.gauge, sum, histogram, exponential_histogram, summary: each holds `data_points = 1`. */
const METRIC_DATA_FIELDS = new Set([5, 7, 9, 10, 11]);
const DATA_POINTS = 1;

/** Walks an ExportMetricsServiceRequest far enough to count its data points (metrics are never stored). */
export function decodeMetricsProto(bytes: Uint8Array): DecodedMetrics {
  return guardDecode("ExportMetricsServiceRequest", () => {
    const out: DecodedMetrics = { dataPointCount: 0, malformed: 0 };
    walkExportRequest(createReader(bytes), {
      decodeItem: (r) => {
        out.dataPointCount += countDataPoints(r);
        return null;
      },
      onItem: () => {},
      onMalformed: () => out.malformed++,
    });
    return out;
  });
}

/** Walks an embedded message, calling `onChild` for each occurrence of the length-delimited `childField`. */
function walk(r: Reader, childField: number, onChild: (r: Reader) => void): void {
  const end = messageEnd(r);
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === childField) {
      expectWire(field, wire, WIRE_LEN);
      onChild(r);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
}

/** The data points of one Metric (counted only once the whole Metric proved well formed). */
function countDataPoints(r: Reader): number {
  const end = messageEnd(r);
  let count = 0;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (METRIC_DATA_FIELDS.has(field)) {
      expectWire(field, wire, WIRE_LEN);
      walk(r, DATA_POINTS, (r) => {
        count++;
        r.pos = messageEnd(r);
      });
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  return count;
}
