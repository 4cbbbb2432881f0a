import { type Context, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Which ended spans are exported: only those that carry an error (the default), or every sampled one. */
export type SpanExportMode = "errors" | "all";

export const SPAN_EXPORT_MODES: readonly SpanExportMode[] = ["errors", "all"];

/** The span event name the OpenTelemetry exception conventions use. */
export const EXCEPTION_EVENT = "exception";

/** Whether an ended span carries an error: status ERROR or an `exception` event. */
export function spanCarriesError(span: ReadableSpan): boolean {
  if (span.status.code === SpanStatusCode.ERROR) return true;
  for (const event of span.events) if (event.name === EXCEPTION_EVENT) return true;
  return false;
}

/**
 * Hands only the spans that carry an error to `inner` (the batch processor and its exporter).
 *
 * CodeWarden keeps exceptions, not traces: a span without an error is read and dropped by the
 * collector. Spans are still recorded as usual — the instrumentations need the active span for
 * trace context, and an error needs its span's name, kind and attributes — but serialising,
 * compressing and sending the other 99.9% cost the app more CPU than the request itself in
 * small services (bench/sdk). `exportSpans: "all"` sends every sampled span, for a trace
 * backend behind the same endpoint (e.g. CodeWarden's OpenObserve fan-out).
 */
export class ErrorSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (spanCarriesError(span)) this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
