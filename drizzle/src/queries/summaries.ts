import { and, eq, gte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { issues, summaries } from "../schema/issues";

export interface SummaryInput {
  source: "llm" | "heuristic";
  text: string;
  likelyCause: string | null;
  suggestedFix: string | null;
  /** Model that wrote an LLM summary; null for heuristic ones. */
  model: string | null;
}

export interface Summary extends SummaryInput {
  issueId: string;
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
    text: summary.text,
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
            text: values.text,
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
      text: summaries.text,
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

/** LLM summaries written for a project's issues since a time (the per-project daily budget). */
export async function countLlmSummariesSince(
  db: Db,
  params: { projectId: string; since: Date },
): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(summaries)
    .innerJoin(issues, eq(issues.id, summaries.issueId))
    .where(
      and(
        eq(issues.projectId, params.projectId),
        eq(summaries.source, "llm"),
        gte(summaries.createdAt, params.since),
      ),
    );
  return Number(rows[0]?.n ?? 0);
}
