/**
 * The issues of the dashboard benchmark, built in TypeScript (10,000 rows by default): each one
 * a service, an exception with a realistic stack trace parsed into frames by the worker's own
 * parser, its fingerprint, title, culprit and summary computed by the worker's own functions, a
 * status, an activity interval and a number of events with a Zipf skew (a few hot issues, a
 * long tail). The events themselves are generated in SQL from these rows (seed.ts).
 */
import { computeFingerprint, culprit, issueTitle } from "../../worker/src/fingerprint";
import { parseStack } from "../../worker/src/stack/index";
import { heuristicSummary } from "../../worker/src/summarise/heuristic";
import { exceptionFor, stackOf } from "./stacks";
import { between, pick, prng, type Rand, SERVICES, type Service } from "./vocabulary";

/** One row of the seed's scratch table `issue_seed` (column names as in SQL). */
export interface IssueSeed {
  idx: number;
  n_events: number;
  start_at: string;
  end_at: string;
  fingerprint: string;
  title: string;
  exception_type: string;
  message: string;
  msg_template: string;
  culprit: string | null;
  status: "unresolved" | "regressed" | "resolved" | "ignored";
  resolution: "now" | "next_release" | null;
  resolved_at: string | null;
  ignore_more: number | null;
  language: string;
  source: "span_event" | "log";
  services: string[];
  envs: string[];
  routes: string[];
  route_key: string;
  method: string | null;
  stack_before: string;
  stack_after: string;
  uses_type: boolean;
  frames: unknown[];
  attr_base: Record<string, string | number | boolean>;
  summary_source: "llm" | "heuristic";
  summary_title: string | null;
  summary_text: string;
  summary_cause: string | null;
  summary_fix: string | null;
  summary_confidence: number | null;
}

export interface SeedShape {
  issues: number;
  events: number;
  days: number;
  /** Zipf exponent of events per issue rank (1: the top issue has ~10% of 1M events over 10k issues). */
  skew: number;
  now: Date;
}

/** Events per issue rank: max(1, E·r^-s / Σ), the rounding remainder on the top issue; sums to `events`. */
export function zipfCounts(issues: number, events: number, skew: number): number[] {
  if (events < issues) throw new Error(`--events (${events}) must be at least --issues (${issues})`);
  const weights = Array.from({ length: issues }, (_, i) => (i + 1) ** -skew);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((events * w) / total)));
  counts[0]! += events - counts.reduce((a, b) => a + b, 0);
  if (counts[0]! < 1) throw new Error("skew too flat for so few events");
  return counts;
}

const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
];

const LLM_CAUSES = [
  "The value is read before the asynchronous lookup that sets it has completed.",
  "A record deleted by a concurrent request is still referenced from the cache.",
  "The upstream service times out under load and the client does not retry.",
  "Input from the client is not validated before it is parsed.",
  "Two requests race to insert the same row; the second violates the unique constraint.",
];
const LLM_FIXES = [
  "Await the lookup (or guard against a missing value) before reading it.",
  "Invalidate the cache entry when the record is deleted, and handle a missing record.",
  "Add a timeout with a bounded retry and a fallback, and alert on the upstream's latency.",
  "Validate the input with a schema and answer 400 when it is malformed.",
  "Use an upsert (INSERT … ON CONFLICT) or catch the violation and re-read the row.",
];

function weightedService(rand: Rand): Service {
  const total = SERVICES.reduce((a, s) => a + s.weight, 0);
  let x = rand() * total;
  for (const s of SERVICES) {
    x -= s.weight;
    if (x < 0) return s;
  }
  return SERVICES[SERVICES.length - 1]!;
}

function environmentsFor(rand: Rand): string[] {
  const x = rand();
  if (x < 0.55) return ["production", "staging"];
  if (x < 0.8) return ["production"];
  if (x < 0.93) return ["staging"];
  return ["development", "staging"];
}

function statusFor(rand: Rand, idx: number): IssueSeed["status"] {
  if (idx <= 30) return idx % 10 === 3 ? "regressed" : "unresolved";
  const x = rand();
  if (x < 0.72) return "unresolved";
  if (x < 0.78) return "regressed";
  if (x < 0.93) return "resolved";
  return "ignored";
}

function attributesFor(rand: Rand, service: Service, method: string | null): IssueSeed["attr_base"] {
  if (service.language === "webjs")
    return {
      "user_agent.original": pick(rand, USER_AGENTS),
      "browser.language": "en-US",
      "url.scheme": "https",
    };
  if (!method) return { "messaging.system": "bullmq", "messaging.operation": "process" };
  return {
    "http.request.method": method,
    "http.response.status_code": 500,
    "url.scheme": "http",
    "server.port": 8080,
    "network.protocol.version": "1.1",
    "user_agent.original": pick(rand, USER_AGENTS),
    "exception.escaped": rand() < 0.5,
  };
}

/** Every issue of the data set, rank 1 (the most events) first. Deterministic for a given shape (and `now`). */
export function buildIssueSeeds(shape: SeedShape): IssueSeed[] {
  const rand = prng(20261126);
  const counts = zipfCounts(shape.issues, shape.events, shape.skew);
  const nowMs = shape.now.getTime();
  const windowMs = shape.days * 86_400_000;
  const fingerprints = new Set<string>();
  const out: IssueSeed[] = [];
  for (let idx = 1; idx <= shape.issues; idx++) {
    const service = weightedService(rand);
    let shapeOf = exceptionFor(rand, service);
    let message = shapeOf.messageTemplate.replaceAll("{n}", String(between(rand, 10_000, 99_999)));
    let frames = parseStack(stackOf(shapeOf, message), service.language);
    let fingerprint = computeFingerprint({ exceptionType: shapeOf.exceptionType, message, frames });
    // Another exception (other calls) until it is a new issue, as grouping would have it.
    for (let tries = 0; fingerprints.has(fingerprint); tries++) {
      if (tries > 50) throw new Error("could not draw a new fingerprint");
      shapeOf = exceptionFor(rand, service);
      message = shapeOf.messageTemplate.replaceAll("{n}", String(between(rand, 10_000, 99_999)));
      frames = parseStack(stackOf(shapeOf, message), service.language);
      fingerprint = computeFingerprint({ exceptionType: shapeOf.exceptionType, message, frames });
    }
    fingerprints.add(fingerprint);

    const status = statusFor(rand, idx);
    // Activity interval: hot issues span the window; most issues are still active (last event
    // within two hours); resolved ones stopped before they were resolved.
    const startMs = nowMs - windowMs * (idx <= 20 ? 0.95 + 0.05 * rand() : rand());
    let endMs = rand() < 0.7 || idx <= 20 ? nowMs - rand() * 7_200_000 : startMs + (nowMs - startMs) * rand();
    let resolvedAt: string | null = null;
    if (status === "resolved") {
      endMs = startMs + (nowMs - startMs) * 0.9 * rand();
      resolvedAt = new Date(endMs + (nowMs - endMs) * rand()).toISOString();
    }
    if (status === "regressed") endMs = nowMs - rand() * 3_600_000;
    endMs = Math.max(endMs, startMs);

    const sibling = SERVICES.filter((s) => s.language === service.language && s !== service);
    const services =
      rand() < 0.06 && sibling.length > 0 ? [service.name, pick(rand, sibling).name] : [service.name];
    const routes = [pick(rand, service.routes)];
    if (rand() < 0.3) routes.push(pick(rand, service.routes));
    const queue = routes[0]!.startsWith("queue:");
    const method = service.language === "webjs" || queue ? null : rand() < 0.6 ? "POST" : "GET";
    const llm = rand() < 0.35;
    const heuristic = heuristicSummary({
      exceptionType: shapeOf.exceptionType,
      message,
      frames,
      language: service.language,
    });
    const cause = between(rand, 0, LLM_CAUSES.length - 1);
    out.push({
      idx,
      n_events: counts[idx - 1]!,
      start_at: new Date(startMs).toISOString(),
      end_at: new Date(endMs).toISOString(),
      fingerprint,
      title: issueTitle({ exceptionType: shapeOf.exceptionType, message }),
      exception_type: shapeOf.exceptionType,
      message,
      msg_template: shapeOf.messageTemplate,
      culprit: culprit(frames),
      status,
      resolution: status === "resolved" ? (rand() < 0.7 ? "now" : "next_release") : null,
      resolved_at: resolvedAt,
      ignore_more: status === "ignored" && rand() < 0.5 ? pick(rand, [100, 1000]) : null,
      language: service.language,
      source: rand() < 0.9 ? "span_event" : "log",
      services,
      envs: environmentsFor(rand),
      routes: routes.map((r) => (queue ? r.slice("queue:".length) : r)),
      route_key: queue ? "messaging.destination.name" : "http.route",
      method,
      stack_before: shapeOf.stackBefore,
      stack_after: shapeOf.stackAfter,
      uses_type: shapeOf.usesType,
      frames,
      attr_base: attributesFor(rand, service, method),
      summary_source: llm ? "llm" : "heuristic",
      summary_title: llm
        ? `${shapeOf.exceptionType.split(".").pop()} in ${culprit(frames) ?? service.name}`
        : null,
      summary_text: llm
        ? `${issueTitle({ exceptionType: shapeOf.exceptionType, message })} is raised in ${service.name}. ${LLM_CAUSES[cause]}`
        : heuristic.text,
      summary_cause: llm ? LLM_CAUSES[cause]! : heuristic.likelyCause,
      summary_fix: llm ? LLM_FIXES[cause]! : heuristic.suggestedFix,
      summary_confidence: llm ? Math.round((0.55 + 0.4 * rand()) * 100) / 100 : null,
    });
  }
  return out;
}
