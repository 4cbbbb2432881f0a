/**
 * One autocannon run against one target, through autocannon's programmatic API, in this process.
 * Request n (counted across all runs of one LoadGenerator) carries the error body when
 * n % errorEvery === errorEvery - 1, and fresh trace ids from payload.ts's stamper.
 *
 * autocannon gives each connection a `context` that setupRequest fills and onResponse reads
 * back; with pipelining 1 the response always belongs to the request built last on that
 * connection, which is how error-carrying requests are matched with their status codes.
 */
import { createRequire } from "node:module";
import { type Bodies, createStamper, SPANS_PER_REQUEST } from "./payload";

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | null;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  requests?: AutocannonRequest[];
}

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9?: number;
}

/** The fields of autocannon's result that the benchmark reads. */
export interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
  requests: Histogram & { sent: number };
  throughput: Histogram;
}

type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult> & { stop(): void };

// autocannon 9 ships no type declarations; it is CommonJS.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** One request in this many carries the error body. */
  errorEvery: number;
  ingestKey: string;
}

export interface ErrorRequestTally {
  /** Error-carrying requests written to a socket. */
  sent: number;
  /** ... answered 200 (these must all be stored). */
  acknowledged: number;
  /** ... answered with another status (must not be stored; OTLP clients retry them). */
  rejected: number;
}

export interface LoadSummary {
  durationSeconds: number;
  /** Responses (any status) per second. */
  requestsPerSecond: number;
  /** Spans in 2xx responses per second. */
  spansPerSecond: number;
  responses: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts (autocannon's `errors` includes its `timeouts`). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency of 2xx responses (autocannon leaves other statuses out of its histogram). */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export class LoadGenerator {
  private serial = 0;
  private readonly stamp = createStamper();
  readonly errorRequests: ErrorRequestTally = { sent: 0, acknowledged: 0, rejected: 0 };

  constructor(
    private readonly bodies: Bodies,
    private readonly opts: LoadOptions,
  ) {}

  /** Error-carrying requests written but never answered (in flight when a run stopped, or timed out). */
  get errorRequestsUnanswered(): number {
    const t = this.errorRequests;
    return t.sent - t.acknowledged - t.rejected;
  }

  async run(url: string, durationSeconds = this.opts.durationSeconds): Promise<LoadSummary> {
    const { errorEvery } = this.opts;
    const tally = this.errorRequests;
    const instance = autocannon({
      url,
      connections: this.opts.connections,
      duration: durationSeconds,
      pipelining: 1,
      timeout: 10,
      requests: [
        {
          method: "POST",
          path: "/v1/traces",
          headers: {
            "content-type": "application/x-protobuf",
            authorization: `Bearer ${this.opts.ingestKey}`,
          },
          setupRequest: (req, ctx) => {
            const n = this.serial++;
            const carriesError = n % errorEvery === errorEvery - 1;
            const tpl = carriesError ? this.bodies.withError : this.bodies.plain;
            // autocannon copies the body into its request buffer right after this returns,
            // so the template can be re-stamped in place for the next request.
            req.body = this.stamp(tpl, n);
            ctx.carriesError = carriesError;
            if (carriesError) tally.sent++;
            return req;
          },
          onResponse: (status, _body, ctx) => {
            if (!ctx.carriesError) return;
            ctx.carriesError = false;
            if (status === 200) tally.acknowledged++;
            else tally.rejected++;
          },
        },
      ],
    });
    const r = await instance;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
    const allResponses = Object.values(statusCodes).reduce((a, b) => a + b, 0);
    return {
      durationSeconds: r.duration,
      requestsPerSecond: Math.round(allResponses / r.duration),
      spansPerSecond: Math.round((r["2xx"] * SPANS_PER_REQUEST) / r.duration),
      responses: allResponses,
      ok2xx: r["2xx"],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes,
      latencyMs: {
        p50: r.latency.p50,
        p90: r.latency.p90,
        p99: r.latency.p99,
        max: r.latency.max,
        mean: r.latency.mean,
      },
    };
  }
}
