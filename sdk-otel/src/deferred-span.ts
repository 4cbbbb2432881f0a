import { performance } from "node:perf_hooks";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import { EXCEPTION_EVENT } from "./error-spans.js";

/**
 * At most this many attributes, and this many event, exception and link calls, are buffered before the span
 * is started for real, so a runaway loop cannot grow it (the SDK keeps 128 of each by default anyway).
 */
const MAX_BUFFERED_CALLS = 512;

type Call = (span: Span) => void;

/** What a DeferredSpan's options (kind, attributes, links) are computed by, when it is started for real. */
export interface SpanOptionsSource {
  spanOptions(): SpanOptions;
}

/** The status of every span that has none yet (replaced, never changed in place). */
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/**
 * Now, in milliseconds since the epoch with sub-millisecond precision, on the same clock as the SDK's
 * `hrTime()`. (A bare `performance.now()` would be converted by each span with its own `Date.now()`-based
 * offset, i.e. with up to a millisecond of jitter between a parent and its child.)
 */
function epochNow(): number {
  return TIME_ORIGIN + performance.now();
}

const TIME_ORIGIN = performance.timeOrigin;

/**
 * A span that is started for real only when something needs it to exist.
 *
 * With `exportSpans: "errors"` almost every server span is recorded, ended and then dropped by the
 * ErrorSpanProcessor. Recording it costs a small service more CPU than its own request handling
 * (docs/BENCHMARKS.md, SDK overhead): ids, the span object, attribute sanitising, the processors. This
 * span stands in for it: it holds the start time, the parent context, a name, the status and what
 * computes its options (SpanOptionsSource), the attributes set on it, and buffers the events, exceptions and links. It becomes a real span from `tracer` — with the recorded start time, then every buffered call
 * replayed in order — the first time
 *
 * - anything asks for its span context (a child span, a log record, trace-context propagation on an
 *   outgoing request), so every id anyone saw belongs to the span that is exported; or
 * - it ends carrying an error (status ERROR, an `exception` event), or the owner decides it must be
 *   kept (`materialize()`).
 *
 * A span that ends without any of that is never started: it costs no ids, no processor calls and no
 * export, which is what the "errors" mode would have done with it anyway. The sampler runs when the
 * real span starts, as it would have at start; `isRecording()` answers true until then.
 */
export class DeferredSpan implements Span {
  private real: Span | undefined;
  /** Attributes set before the start, merged (a later value wins, as on a span). */
  private attributes: Attributes | undefined;
  private calls: Call[] | undefined;
  private attributeCount = 0;
  private ended = false;
  /** The status so far (applied when the span starts; then the real span's own). */
  private status: SpanStatus = UNSET_STATUS;
  private exceptionEvent = false;

  constructor(
    private readonly tracer: Tracer,
    private name: string,
    private readonly parent: Context,
    private options: SpanOptionsSource,
    private readonly startTime: TimeInput = epochNow(),
  ) {}

  /** True once the span was started for real. */
  get started(): boolean {
    return this.real !== undefined;
  }

  /** True when what was done to it makes it an error span (status ERROR or an exception event). */
  get carriesError(): boolean {
    return this.status.code === SpanStatusCode.ERROR || this.exceptionEvent;
  }

  /** Starts the real span (once) and replays the buffered calls; returns it. */
  materialize(): Span {
    if (this.real) return this.real;
    const real = this.tracer.startSpan(
      this.name,
      { ...this.options.spanOptions(), startTime: this.startTime },
      this.parent,
    );
    this.real = real;
    if (this.attributes) real.setAttributes(this.attributes);
    this.attributes = undefined;
    const calls = this.calls;
    this.calls = undefined;
    if (calls) for (const call of calls) call(real);
    if (this.status.code !== SpanStatusCode.UNSET) real.setStatus(this.status);
    return real;
  }

  private buffer(call: Call): this {
    if (this.real) call(this.real);
    else if (!this.ended) {
      if (!this.calls) this.calls = [];
      if (this.calls.length < MAX_BUFFERED_CALLS) this.calls.push(call);
    }
    return this;
  }

  spanContext(): SpanContext {
    return this.materialize().spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.real) this.real.setAttribute(key, value);
    else if (!this.ended) {
      if (!this.attributes) this.attributes = {};
      if (key in this.attributes || this.attributeCount++ < MAX_BUFFERED_CALLS) this.attributes[key] = value;
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.real) this.real.setAttributes(attributes);
    else
      for (const key of Object.keys(attributes)) {
        const value = attributes[key];
        if (value !== undefined) this.setAttribute(key, value);
      }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (name === EXCEPTION_EVENT) this.exceptionEvent = true;
    // The event's time is now, not when it is replayed.
    const time = startTime ?? (isTimeInput(attributesOrStartTime) ? attributesOrStartTime : epochNow());
    const attributes = isTimeInput(attributesOrStartTime) ? undefined : attributesOrStartTime;
    return this.buffer((span) => span.addEvent(name, attributes, time));
  }

  addLink(link: Link): this {
    return this.buffer((span) => span.addLink(link));
  }

  addLinks(links: Link[]): this {
    return this.buffer((span) => span.addLinks(links));
  }

  setStatus(status: SpanStatus): this {
    if (this.real) this.real.setStatus(status);
    // As in the SDK: UNSET changes nothing and OK is final.
    else if (!this.ended && status.code !== SpanStatusCode.UNSET && this.status.code !== SpanStatusCode.OK)
      this.status = { ...status };
    return this;
  }

  updateName(name: string): this {
    if (this.real) this.real.updateName(name);
    else this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.exceptionEvent = true;
    const at = time ?? epochNow();
    this.buffer((span) => span.recordException(exception, at));
  }

  /** Ends the real span if there is one or the span carries an error; otherwise it is dropped unstarted. */
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    if (!this.real && this.carriesError) this.materialize();
    this.ended = true;
    this.calls = undefined;
    this.attributes = undefined;
    // A dropped span is never exported, even if its context is asked for later: let go of what computes
    // its options (for a server span, the request with its socket and body), which async resources that
    // captured the request's context would otherwise keep alive for seconds.
    if (!this.real) this.options = NO_OPTIONS;
    else this.real.end(endTime ?? epochNow());
  }

  isRecording(): boolean {
    if (this.real) return this.real.isRecording();
    return !this.ended;
  }
}

const NO_OPTIONS: SpanOptionsSource = { spanOptions: () => ({}) };

/** The options a tracer's caller passed, as they are. */
class GivenOptions implements SpanOptionsSource {
  constructor(private readonly options: SpanOptions) {}

  spanOptions(): SpanOptions {
    return this.options;
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === "number" || value instanceof Date || Array.isArray(value);
}

/**
 * A tracer whose spans are DeferredSpans over `real`'s: for the bundled instrumentations in the "errors" mode,
 * where a span that ends without an error is dropped anyway. A child asks its parent for its context only
 * when it starts for real itself, so a request's framework, database and cache spans start — parents first —
 * only if one of them fails or something propagates the trace. Suppressed tracing (the exporters' own
 * requests) goes straight to `real`.
 */
export class DeferredTracer implements Tracer {
  constructor(private readonly real: Tracer) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    if (isTracingSuppressed(ctx)) return this.real.startSpan(name, options, ctx);
    const { startTime, root, ...rest } = options;
    const parent = root ? trace.deleteSpan(ctx) : ctx;
    return new DeferredSpan(this.real, name, parent, new GivenOptions(rest), startTime ?? epochNow());
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    arg2: SpanOptions | F,
    arg3?: Context | F,
    arg4?: F,
  ): ReturnType<F> {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (typeof arg2 === "function") fn = arg2;
    else if (typeof arg3 === "function") {
      options = arg2;
      fn = arg3;
    } else {
      options = arg2;
      ctx = arg3;
      fn = arg4 as F;
    }
    const parent = ctx ?? context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/** Hands out DeferredTracers over `real`'s tracers (see DeferredTracer). */
export class DeferredTracerProvider implements TracerProvider {
  constructor(private readonly real: TracerProvider) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new DeferredTracer(this.real.getTracer(name, version, options));
  }
}
