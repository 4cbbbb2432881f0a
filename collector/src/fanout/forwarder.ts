import type pino from "pino";
import type { Signal } from "../otlp/responses";

/** One accepted OTLP request, as received. */
export interface FanoutRequest {
  signal: Signal;
  /** The body exactly as received (still compressed when it came compressed). */
  body: Buffer;
  contentType: string;
  /** The request's Content-Encoding, when it had one other than identity. */
  contentEncoding?: string;
}

export type FanoutResult = "sent" | "dropped" | "failed";

export interface Fanout {
  /** Queues a request for forwarding. Never waits, never throws: a full buffer drops it (counted). */
  forward(request: FanoutRequest): void;
  /** Bytes waiting in the buffer (not yet being sent). */
  readonly queuedBytes: number;
  /** Stops taking requests; waits up to `deadlineMs` for queued and in-flight sends, then aborts them. */
  close(deadlineMs?: number): Promise<void>;
}

export interface ForwarderOptions {
  /** Where a signal's requests go. */
  endpoint: (signal: Signal) => string;
  /** Extra headers for every send (e.g. authorization). */
  headers?: Record<string, string>;
  /** Buffer bound in bytes (default 32 MiB) and in requests (default 512). */
  maxQueueBytes?: number;
  maxQueueRequests?: number;
  /** Sends in flight at once (default 4). */
  concurrency?: number;
  /** Deadline of one send, response included (default 10 s). */
  timeoutMs?: number;
  /** How long close() lets queued and in-flight sends finish (default 5 s). */
  closeDeadlineMs?: number;
  onResult: (result: FanoutResult, signal: Signal) => void;
  logger: pino.Logger;
}

interface Inflight {
  abort: AbortController;
  done: Promise<void>;
}

/** How often, at most, a failing or dropping forwarder logs (the counters say the rest). */
const WARN_INTERVAL_MS = 30_000;

/**
 * Forwards requests asynchronously over a bounded buffer with a few concurrent sends and a
 * timeout each. No retries: a failed send is counted and let go, so a slow or down destination
 * costs at most the buffer's memory and never slows or fails ingest.
 */
export function createForwarder(opts: ForwarderOptions): Fanout {
  const maxBytes = opts.maxQueueBytes ?? 32 * 1024 * 1024;
  const maxRequests = opts.maxQueueRequests ?? 512;
  const concurrency = opts.concurrency ?? 4;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const queue: FanoutRequest[] = [];
  const inflight = new Set<Inflight>();
  let queuedBytes = 0;
  let closed = false;
  let lastWarn = Number.NEGATIVE_INFINITY;
  let unreported = { failed: 0, dropped: 0 };
  let idle: (() => void) | null = null;

  function report(result: FanoutResult, signal: Signal, detail?: Record<string, unknown>): void {
    opts.onResult(result, signal);
    if (result === "sent") return;
    unreported[result]++;
    const now = Date.now();
    if (now - lastWarn < WARN_INTERVAL_MS) return;
    lastWarn = now;
    opts.logger.warn({ ...unreported, ...detail }, "telemetry fan-out is failing or dropping requests");
    unreported = { failed: 0, dropped: 0 };
  }

  function pump(): void {
    while (inflight.size < concurrency && queue.length > 0) {
      const request = queue.shift()!;
      queuedBytes -= request.body.length;
      const entry: Inflight = { abort: new AbortController(), done: Promise.resolve() };
      entry.done = send(request, entry.abort).finally(() => {
        inflight.delete(entry);
        pump();
      });
      inflight.add(entry);
    }
    if (inflight.size === 0 && queue.length === 0) idle?.();
  }

  async function send(request: FanoutRequest, abort: AbortController): Promise<void> {
    const timer = setTimeout(() => abort.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const headers: Record<string, string> = { ...opts.headers, "content-type": request.contentType };
      if (request.contentEncoding) headers["content-encoding"] = request.contentEncoding;
      const res = await fetch(opts.endpoint(request.signal), {
        method: "POST",
        headers,
        body: request.body,
        signal: abort.signal,
      });
      await res.arrayBuffer(); // drain, so the connection is reused
      if (res.ok) report("sent", request.signal);
      else report("failed", request.signal, { status: res.status });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      report("failed", request.signal, { err: cause ?? (err as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get queuedBytes() {
      return queuedBytes;
    },
    forward(request) {
      const size = request.body.length;
      if (closed || queue.length >= maxRequests || queuedBytes + size > maxBytes) {
        report("dropped", request.signal);
        return;
      }
      queue.push(request);
      queuedBytes += size;
      pump();
    },
    async close(deadlineMs = opts.closeDeadlineMs ?? 5000) {
      closed = true;
      if (inflight.size > 0 || queue.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, deadlineMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const request of queue.splice(0)) report("dropped", request.signal);
      queuedBytes = 0;
      for (const entry of inflight) entry.abort.abort(new Error("collector closing"));
      await Promise.all([...inflight].map((e) => e.done));
    },
  };
}
