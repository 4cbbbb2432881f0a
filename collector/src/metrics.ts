/** A small Prometheus text-format registry for the collector's own metrics (no dependency). */

type Labels = Record<string, string>;

/** Rendered label sets by their raw form; label values come from small closed sets, so this stays small. */
const labelKeys = new Map<string, string>();
const MAX_LABEL_KEYS = 10_000;

/** The rendered, sorted and escaped label set (`a="x",b="y"`), memoised: this runs on every request. */
function labelKey(labels: Labels): string {
  let raw = "";
  for (const k in labels) raw += `${k}\u0000${labels[k]}\u0000`;
  let key = labelKeys.get(raw);
  if (key === undefined) {
    const keys = Object.keys(labels).sort();
    key = keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",");
    if (labelKeys.size >= MAX_LABEL_KEYS) labelKeys.clear();
    labelKeys.set(raw, key);
  }
  return key;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines.join("\n");
  }
}

/** A value read when /metrics is scraped. */
class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${this.read()}`,
    ].join("\n");
  }
}

export type RejectReason =
  | "unauthorized"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "too_large"
  | "decode_error"
  | "queue_unavailable"
  | "auth_unavailable"
  | "busy"
  | "rate_limited"
  | "malformed_item"
  | "too_many_errors";

/** The collector's metrics, exposed on GET /metrics. */
export class CollectorMetrics {
  readonly requests = new Counter(
    "codewarden_collector_requests_total",
    "OTLP requests by signal and status code.",
  );
  readonly spans = new Counter(
    "codewarden_collector_spans_received_total",
    "Spans received in accepted requests.",
  );
  readonly logRecords = new Counter(
    "codewarden_collector_log_records_received_total",
    "Log records received in accepted requests.",
  );
  readonly dataPoints = new Counter(
    "codewarden_collector_metric_data_points_received_total",
    "Metric data points received (counted, never stored).",
  );
  readonly errorsExtracted = new Counter(
    "codewarden_collector_errors_extracted_total",
    "Errors extracted and enqueued, by source.",
  );
  readonly rejects = new Counter(
    "codewarden_collector_rejects_total",
    "Rejected requests or items, by reason.",
  );
  readonly fanout = new Counter(
    "codewarden_collector_fanout_total",
    "Accepted requests forwarded to OpenObserve, by result (sent, dropped when the buffer is full, failed).",
  );
  /** Bytes waiting to be forwarded; wired by the server when a fan-out is configured. */
  fanoutQueueBytes: () => number = () => 0;
  readonly enqueueSeconds = new Histogram(
    "codewarden_collector_enqueue_duration_seconds",
    "Time to enqueue the error jobs of one request.",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );

  render(): string {
    return `${[
      this.requests,
      this.spans,
      this.logRecords,
      this.dataPoints,
      this.errorsExtracted,
      this.rejects,
      this.fanout,
      new Gauge(
        "codewarden_collector_fanout_queue_bytes",
        "Bytes of accepted requests waiting to be forwarded to OpenObserve.",
        this.fanoutQueueBytes,
      ),
      this.enqueueSeconds,
    ]
      .map((m) => m.render())
      .join("\n")}\n`;
  }
}
