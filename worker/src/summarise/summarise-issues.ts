import { countLlmSummariesSince, type Db, type StackFrame, upsertSummary } from "@codewarden/drizzle";
import type pino from "pino";
import { heuristicSummary } from "./heuristic";
import type { Summariser } from "./llm";

/** An issue that needs a summary now, with the event that describes it. */
export interface IssueToSummarise {
  id: string;
  reason: "new" | "regressed";
  event: {
    exceptionType: string;
    message: string;
    frames: readonly StackFrame[];
    language: string | null;
    serviceName: string | null;
  };
}

/** LLM calls one job may make; the rest keep their heuristic summary (jobs must stay short). */
export const MAX_LLM_CALLS_PER_JOB = 10;

function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * Every new issue gets a heuristic summary at once (kept if another writer got there first).
 * With a summariser, new and regressed issues are then summarised by the LLM — at most one
 * call per issue per occasion, never per event, within the project's daily budget.
 */
export async function summariseIssues(
  db: Db,
  projectId: string,
  targets: readonly IssueToSummarise[],
  deps: { logger: pino.Logger; summariser?: Summariser | null; now?: () => Date },
): Promise<{ heuristic: number; llm: number }> {
  let heuristic = 0;
  for (const t of targets) {
    if (t.reason !== "new") continue;
    const summary = heuristicSummary(t.event);
    if (
      await upsertSummary(db, t.id, { source: "heuristic", model: null, ...summary }, { onlyIfMissing: true })
    )
      heuristic++;
  }

  const summariser = deps.summariser;
  if (!summariser || targets.length === 0) return { heuristic, llm: 0 };
  const used = await countLlmSummariesSince(db, {
    projectId,
    since: startOfUtcDay(deps.now?.() ?? new Date()),
  });
  const allowance = Math.min(MAX_LLM_CALLS_PER_JOB, Math.max(0, summariser.dailyBudgetPerProject - used));
  if (allowance < targets.length) {
    deps.logger.info(
      { projectId, wanted: targets.length, allowance, budget: summariser.dailyBudgetPerProject },
      "llm summaries limited by budget; heuristic summaries kept",
    );
  }
  let llm = 0;
  for (const t of targets.slice(0, allowance)) {
    const summary = await summariser.summarise({ ...t.event, reason: t.reason });
    if (!summary) continue;
    await upsertSummary(db, t.id, { source: "llm", model: summariser.model, ...summary });
    llm++;
  }
  return { heuristic, llm };
}
