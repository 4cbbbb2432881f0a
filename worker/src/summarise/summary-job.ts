import { issueSummaryJobSchema } from "@codewarden/common";
import {
  type CachedLlmSummary,
  cacheLlmSummary,
  type Db,
  getCachedLlmSummary,
  getSummary,
  releaseLlmCall,
  reserveLlmCall,
  upsertSummary,
} from "@codewarden/drizzle";
import type pino from "pino";
import { LlmCallError, type LlmClient } from "./llm";
import { buildPrompt, promptDigest } from "./prompt";
import type { LlmSummary } from "./reply";
import { InvalidSummaryJobError } from "./retry-policy";

export interface SummaryJobDeps {
  llm: LlmClient;
  /** LLM calls per project per UTC day (reserved before each call, given back if it got no answer). */
  dailyBudgetPerProject: number;
  logger: pino.Logger;
  now?: () => Date;
}

/**
 * What a summary job did: wrote a fresh answer, reused a cached one, or made no call (the
 * issue already has its LLM summary, the budget is spent, or the issue/project is gone).
 */
export type SummaryJobOutcome = "written" | "cached" | "already-summarised" | "over-budget" | "gone";

const FOREIGN_KEY_VIOLATION = "23503";

function sqlStateOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The UTC day of `now`, `YYYY-MM-DD`: what the daily budget counts by. */
function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Handles one summary job, the same under BullMQ and the in-process queue: at most one LLM
 * call, and none on a cache hit, for an issue already summarised, or past the project's daily
 * budget. The answer replaces the issue's summary and is cached by a digest of model + prompt.
 * Failed calls throw LlmCallError (the queue retries the retryable ones); the issue keeps its
 * current summary meanwhile.
 */
export async function runSummaryJob(db: Db, data: unknown, deps: SummaryJobDeps): Promise<SummaryJobOutcome> {
  const parsed = issueSummaryJobSchema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidSummaryJobError(
      `invalid summary job: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(job)"}: ${i.message}`)
        .join("; ")}`,
    );
  }
  const job = parsed.data;
  const log = deps.logger;
  const model = deps.llm.model;

  if (job.occasion === "new") {
    // A duplicate (a job re-added after the first was removed) must not pay twice.
    const current = await getSummary(db, job.issueId);
    if (current?.source === "llm") return "already-summarised";
  }

  const prompt = buildPrompt(job.event, job.occasion);
  const digest = promptDigest(model, prompt);
  const write = async (s: CachedLlmSummary) => {
    try {
      await upsertSummary(db, job.issueId, { source: "llm", ...s });
      return true;
    } catch (err) {
      if (sqlStateOf(err) === FOREIGN_KEY_VIOLATION) return false;
      throw err;
    }
  };

  const cached = await getCachedLlmSummary(db, { projectId: job.projectId, promptDigest: digest });
  if (cached) return (await write(cached)) ? "cached" : "gone";

  const budget = { projectId: job.projectId, day: utcDay(deps.now?.() ?? new Date()) };
  if (!(await reserveLlmCall(db, { ...budget, budget: deps.dailyBudgetPerProject }))) {
    log.info(
      { projectId: job.projectId, issueId: job.issueId, budget: deps.dailyBudgetPerProject },
      "llm daily budget spent; the issue keeps its current summary",
    );
    return "over-budget";
  }

  const started = Date.now();
  let summary: LlmSummary;
  try {
    summary = await deps.llm.summarise(prompt);
  } catch (err) {
    // A reply the endpoint answered (200) but that could not be used was paid for: it counts. A call that got
    // no answer (refused, rate-limited, a 5xx, a dropped connection) is given back; its retry reserves again.
    if (!(err instanceof LlmCallError && err.status === 200)) {
      await releaseLlmCall(db, budget).catch((releaseErr: unknown) =>
        log.warn({ err: releaseErr, projectId: job.projectId }, "could not give back a reserved llm call"),
      );
    }
    throw err;
  }
  const answer: CachedLlmSummary = {
    model,
    title: summary.title,
    text: summary.text,
    likelyCause: summary.likelyCause,
    suggestedFix: summary.suggestedFix,
    confidence: summary.confidence,
  };
  try {
    await cacheLlmSummary(db, { projectId: job.projectId, promptDigest: digest, ...answer });
  } catch (err) {
    if (sqlStateOf(err) === FOREIGN_KEY_VIOLATION) return "gone";
    throw err;
  }
  const written = await write(answer);
  log.debug(
    { issueId: job.issueId, occasion: job.occasion, model, ms: Date.now() - started },
    "llm summary written",
  );
  return written ? "written" : "gone";
}
