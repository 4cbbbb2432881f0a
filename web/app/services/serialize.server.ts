import type { EventRow, IssueRow, StackFrame, SummaryRow } from "@codewarden/drizzle";

/** JSON shapes of the public REST API (DESIGN.md); the dashboard loaders reuse them. */
export interface SummaryJson {
  source: "llm" | "heuristic";
  /** Short title (LLM summaries; null otherwise). */
  title: string | null;
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  /** The model's confidence in the likely cause, 0..1 (LLM summaries; null otherwise). */
  confidence: number | null;
}

export interface IssueJson {
  id: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: IssueRow["status"];
  eventCount: number;
  firstSeen: string;
  lastSeen: string;
  services: string[];
  environments: string[];
  /** Distinct affected users (`user.id` / `enduser.id`). */
  userCount: number;
  firstRelease: string | null;
  lastRelease: string | null;
  /** Resolved issues: `now` or `next_release` (events of `resolvedInRelease` do not reopen it). */
  resolution: IssueRow["resolution"];
  resolvedInRelease: string | null;
  /** Ignored issues: they come back unresolved when `eventCount` reaches this. */
  ignoreUntilCount: number | null;
  summary: SummaryJson | null;
}

export interface EventJson {
  id: string;
  timestamp: string;
  traceId: string | null;
  spanId: string | null;
  serviceName: string | null;
  serviceVersion: string | null;
  environment: string | null;
  exceptionType: string;
  message: string;
  stacktrace: string | null;
  frames: StackFrame[];
}

export function summaryJson(s: SummaryRow | null): SummaryJson | null {
  if (!s) return null;
  return {
    source: s.source,
    title: s.title,
    text: s.text,
    likelyCause: s.likelyCause,
    suggestedFix: s.suggestedFix,
    confidence: s.confidence,
  };
}

export function issueJson(i: IssueRow): IssueJson {
  return {
    id: i.id,
    title: i.title,
    exceptionType: i.exceptionType,
    message: i.message,
    culprit: i.culprit,
    status: i.status,
    eventCount: i.eventCount,
    firstSeen: i.firstSeen.toISOString(),
    lastSeen: i.lastSeen.toISOString(),
    services: i.services,
    environments: i.environments,
    userCount: i.userCount,
    firstRelease: i.firstRelease,
    lastRelease: i.lastRelease,
    resolution: i.resolution,
    resolvedInRelease: i.resolvedInRelease,
    ignoreUntilCount: i.ignoreUntilCount,
    summary: summaryJson(i.summary),
  };
}

export function eventJson(e: EventRow): EventJson {
  return {
    id: e.id,
    timestamp: e.timestamp.toISOString(),
    traceId: e.traceId,
    spanId: e.spanId,
    serviceName: e.serviceName,
    serviceVersion: e.serviceVersion,
    environment: e.environment,
    exceptionType: e.exceptionType,
    message: e.message,
    stacktrace: e.stacktrace,
    frames: e.frames.map((f) => ({
      function: f.function ?? null,
      module: f.module ?? null,
      file: f.file ?? null,
      line: f.line ?? null,
      column: f.column ?? null,
      inApp: Boolean(f.inApp),
    })),
  };
}
