/**
 * One autocannon run (programmatic API, in this process) against one app: GET /api/products with
 * a varying query, and one request in `errorEvery` to GET /api/checkout, which the app answers 500
 * after capturing the error. With pipelining 1 a connection's response belongs to the request
 * built last on it, so `context` tells which responses came from the error route.
 */
import { createRequire } from "node:module";

interface AutocannonRequest {
  method?: string;
  path?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | null;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

interface Histogram {
  mean: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
}

type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  /** When set, exactly this many requests (then `duration` is ignored). */
  amount?: number;
  pipelining: number;
  timeout: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

// autocannon 9 ships no type declarations; it is CommonJS.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const CATEGORIES = ["books", "games", "music", "garden", "tools"];

export interface LoadSummary {
  durationSeconds: number;
  /** Responses (any status) per second. */
  requestsPerSecond: number;
  responses: number;
  /** Responses from the error route (500, expected). */
  errorResponses: number;
  /** Responses other than 200 from the products route, plus error-route responses other than 500. */
  unexpected: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  /** autocannon's histogram of 2xx responses, 1 ms resolution. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export class LoadGenerator {
  private serial = 0;
  /** Error-route requests answered 500, over every run of this generator (warm-ups included). */
  errorsAnswered = 0;

  constructor(
    private readonly connections: number,
    private readonly errorEvery: number,
  ) {}

  /** `durationSeconds` of load, or exactly `amount` requests when given (`timeoutSeconds` per request). */
  async run(
    url: string,
    durationSeconds: number,
    amount?: number,
    timeoutSeconds = 10,
  ): Promise<LoadSummary> {
    let errorResponses = 0;
    let unexpected = 0;
    const r = await autocannon({
      url,
      connections: this.connections,
      duration: durationSeconds,
      amount,
      pipelining: 1,
      timeout: timeoutSeconds,
      requests: [
        {
          method: "GET",
          setupRequest: (req, ctx) => {
            const n = this.serial++;
            // errorEvery 0: never.
            ctx.errorRoute = this.errorEvery > 0 && n % this.errorEvery === this.errorEvery - 1;
            req.path = ctx.errorRoute
              ? `/api/checkout?cart=${n}`
              : `/api/products?category=${CATEGORIES[n % CATEGORIES.length]}&page=${(n % 20) + 1}&limit=10`;
            return req;
          },
          onResponse: (status, _body, ctx) => {
            if (ctx.errorRoute) {
              if (status === 500) errorResponses++;
              else unexpected++;
            } else if (status !== 200) unexpected++;
          },
        },
      ],
    });
    this.errorsAnswered += errorResponses;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
    const responses = Object.values(statusCodes).reduce((a, b) => a + b, 0);
    return {
      durationSeconds: r.duration,
      requestsPerSecond: Math.round(responses / r.duration),
      responses,
      errorResponses,
      unexpected,
      errors: r.errors,
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
