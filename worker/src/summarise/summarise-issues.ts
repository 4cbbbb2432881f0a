import { type IssueSummaryJob, SUMMARY_LIMITS } from "@codewarden/common";
import { type Db, type StackFrame, upsertSummary } from "@codewarden/drizzle";
import type pino from "pino";
import { heuristicSummary } from "./heuristic";
import type { Summariser } from "./llm";
import { promptFrames } from "./prompt";

/** An issue that needs a summary now, with the (scrubbed) event that describes it. */
export interface IssueToSummarise {
  id: string;
  reason: "new" | "regressed";
  event: {
    /** Natural key of the event; for a regression it tells this occasion from earlier ones. */
    eventKey: string;
    exceptionType: string;
    message: string;
    frames: readonly StackFrame[];
    language: string | null;
    serviceName: string | null;
    serviceVersion: string | null;
    spanName: string | null;
    route: string | null;
  };
}

const short = (s: string | null, max = 256) => (s === null ? null : s.slice(0, max));

/** The summary job of one issue: only what the prompt may hold, capped to the job schema. */
export function summaryJobFor(projectId: string, t: IssueToSummarise): IssueSummaryJob {
  const e = t.event;
  return {
    v: 1,
    projectId,
    issueId: t.id,
    occasion: t.reason,
    eventKey: e.eventKey,
    event: {
      exceptionType: e.exceptionType.slice(0, 256),
      message: e.message.slice(0, SUMMARY_LIMITS.message),
      frames: promptFrames(e.frames),
      language: short(e.language),
      serviceName: short(e.serviceName),
      serviceVersion: short(e.serviceVersion),
      spanName: short(e.spanName),
      route: short(e.route),
    },
  };
}

/**
 * Every new issue gets a heuristic summary at once (kept if another writer got there first).
 * With a summariser, one LLM summary job per new or regressed issue is enqueued — never one per
 * event, and never a model call inline; the job's answer replaces the heuristic summary.
 */
export async function summariseIssues(
  db: Db,
  projectId: string,
  targets: readonly IssueToSummarise[],
  deps: { logger: pino.Logger; summariser?: Summariser | null },
): Promise<{ heuristic: number; enqueued: number }> {
  let heuristic = 0;
  try {
    for (const t of targets) {
      if (t.reason !== "new") continue;
      const summary = heuristicSummary(t.event);
      const row = { source: "heuristic" as const, model: null, ...summary };
      if (await upsertSummary(db, t.id, row, { onlyIfMissing: true })) heuristic++;
    }
  } catch (err) {
    // The LLM jobs below do not depend on it (and the heuristic never replaces an LLM summary).
    deps.logger.error({ err, projectId }, "writing heuristic summaries failed");
  }

  const summariser = deps.summariser;
  if (!summariser || targets.length === 0) return { heuristic, enqueued: 0 };
  await summariser.enqueue(targets.map((t) => summaryJobFor(projectId, t)));
  return { heuristic, enqueued: targets.length };
}
