import { and, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { llmBudgetUsage, llmSummaryCache, summaries } from "../schema/issues";

export interface SummaryInput {
  source: "llm" | "heuristic";
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  /** Model that wrote an LLM summary; null for heuristic ones. */
  model: string | null;
  /** Short title written by the LLM (null/absent for heuristic summaries). */
  title?: string | null;
  /** The LLM's confidence in its likely cause, 0..1 (null/absent for heuristic summaries). */
  confidence?: number | null;
}

export interface Summary extends SummaryInput {
  issueId: string;
  title: string | null;
  confidence: number | null;
  createdAt: Date;
}

/**
 * Writes the one summary of an issue. With `onlyIfMissing`, an existing summary is kept
 * (a heuristic first summary must not replace an LLM one written meanwhile). Returns whether
 * a row was written.
 */
export async function upsertSummary(
  db: Db,
  issueId: string,
  summary: SummaryInput,
  opts: { onlyIfMissing?: boolean } = {},
): Promise<boolean> {
  const values = {
    issueId,
    source: summary.source,
    title: summary.title ?? null,
    text: summary.text,
    confidence: summary.confidence ?? null,
    likelyCause: summary.likelyCause,
    suggestedFix: summary.suggestedFix,
    model: summary.model,
  };
  const insert = db.insert(summaries).values(values);
  const rows = opts.onlyIfMissing
    ? await insert
        .onConflictDoNothing({ target: summaries.issueId })
        .returning({ issueId: summaries.issueId })
    : await insert
        .onConflictDoUpdate({
          target: summaries.issueId,
          set: {
            source: values.source,
            title: values.title,
            text: values.text,
            confidence: values.confidence,
            likelyCause: values.likelyCause,
            suggestedFix: values.suggestedFix,
            model: values.model,
            createdAt: sql`now()`,
          },
        })
        .returning({ issueId: summaries.issueId });
  return rows.length > 0;
}

/** The summary of an issue, or null. */
export async function getSummary(db: Db, issueId: string): Promise<Summary | null> {
  const rows = await db
    .select({
      issueId: summaries.issueId,
      source: summaries.source,
      title: summaries.title,
      text: summaries.text,
      confidence: summaries.confidence,
      likelyCause: summaries.likelyCause,
      suggestedFix: summaries.suggestedFix,
      model: summaries.model,
      createdAt: summaries.createdAt,
    })
    .from(summaries)
    .where(eq(summaries.issueId, issueId))
    .limit(1);
  return rows[0] ?? null;
}

/** An LLM answer remembered for a project by a digest of the model and the prompt. */
export interface CachedLlmSummary {
  model: string;
  title: string | null;
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  confidence: number | null;
}

/** The cached LLM answer for a prompt digest, or null. */
export async function getCachedLlmSummary(
  db: Db,
  params: { projectId: string; promptDigest: string },
): Promise<CachedLlmSummary | null> {
  const rows = await db
    .select({
      model: llmSummaryCache.model,
      title: llmSummaryCache.title,
      text: llmSummaryCache.text,
      likelyCause: llmSummaryCache.likelyCause,
      suggestedFix: llmSummaryCache.suggestedFix,
      confidence: llmSummaryCache.confidence,
    })
    .from(llmSummaryCache)
    .where(
      and(
        eq(llmSummaryCache.projectId, params.projectId),
        eq(llmSummaryCache.promptDigest, params.promptDigest),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** Remembers an LLM answer (the first answer for a digest wins). */
export async function cacheLlmSummary(
  db: Db,
  params: { projectId: string; promptDigest: string } & CachedLlmSummary,
): Promise<void> {
  await db
    .insert(llmSummaryCache)
    .values({
      projectId: params.projectId,
      promptDigest: params.promptDigest,
      model: params.model,
      title: params.title,
      text: params.text,
      likelyCause: params.likelyCause,
      suggestedFix: params.suggestedFix,
      confidence: params.confidence,
    })
    .onConflictDoNothing({ target: [llmSummaryCache.projectId, llmSummaryCache.promptDigest] });
}

/**
 * Reserves one of the project's `budget` LLM calls for `day` (UTC, `YYYY-MM-DD`): true if the call may be
 * made. One statement — insert the day's row, or add one to it while it is under the budget — so that jobs
 * running at the same time (several workers, or one worker's concurrent jobs) cannot all pass a check and
 * overrun the budget together.
 */
export async function reserveLlmCall(
  db: Db,
  params: { projectId: string; day: string; budget: number },
): Promise<boolean> {
  if (!(params.budget >= 1)) return false;
  const rows = await db
    .insert(llmBudgetUsage)
    .values({ projectId: params.projectId, day: params.day, calls: 1 })
    .onConflictDoUpdate({
      target: [llmBudgetUsage.projectId, llmBudgetUsage.day],
      set: { calls: sql`${llmBudgetUsage.calls} + 1` },
      setWhere: sql`${llmBudgetUsage.calls} < ${params.budget}`,
    })
    .returning({ calls: llmBudgetUsage.calls });
  return rows.length > 0;
}

/** Gives back a call reserved with reserveLlmCall that got no answer (refused, 5xx, connection lost). */
export async function releaseLlmCall(db: Db, params: { projectId: string; day: string }): Promise<void> {
  await db
    .update(llmBudgetUsage)
    .set({ calls: sql`${llmBudgetUsage.calls} - 1` })
    .where(
      and(
        eq(llmBudgetUsage.projectId, params.projectId),
        eq(llmBudgetUsage.day, params.day),
        gt(llmBudgetUsage.calls, 0),
      ),
    );
}
