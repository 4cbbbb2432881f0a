import { type ErrorEvent, errorBatchJobSchema } from "@codewarden/common";
import { type Db, type StoreErrorEvent, storeErrorEvents } from "@codewarden/drizzle";
import type pino from "pino";
import { computeFingerprint, culprit, FINGERPRINT_VERSION, issueTitle } from "./fingerprint";
import { scrubAttributes, scrubText } from "./scrub";
import { parseStack } from "./stack/index";
import { storableEvent } from "./storable";
import type { Summariser } from "./summarise/llm";
import { type IssueToSummarise, summariseIssues } from "./summarise/summarise-issues";

/** A job that can never succeed (bad shape); the BullMQ consumer turns it into UnrecoverableError. */
export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidJobError";
  }
}

export interface ProcessBatchDeps {
  logger: pino.Logger;
  /** LLM summariser for new and regressed issues; without it, issues keep heuristic summaries. */
  summariser?: Summariser | null;
}

export interface ProcessBatchResult {
  inserted: number;
  duplicates: number;
  newIssues: number;
}

const FOREIGN_KEY_VIOLATION = "23503";

/** SQLSTATE of a driver error (postgres.js, PGlite), also when wrapped by drizzle. */
function sqlStateOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Event times further in the future than this (client clock skew) are taken as the receive time. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

function describeIssues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join(".") || "(job)"}: ${i.message}`)
    .join("; ")
    .slice(0, 1000);
}

/** Scrubbed, parsed and fingerprinted form of one error event, ready to store. */
export function prepareEvent(
  raw: ErrorEvent,
  receivedAt: Date,
): StoreErrorEvent & { language: string | null } {
  const e = storableEvent(raw);
  const exceptionType = scrubText(e.exceptionType);
  const message = scrubText(e.message);
  const stacktrace = e.stacktrace === null ? null : scrubText(e.stacktrace);
  const language = e.resource.sdkLanguage;
  const frames = parseStack(stacktrace, language);
  let timestamp = new Date(e.timestamp);
  if (Number.isNaN(timestamp.getTime()) || timestamp.getTime() > receivedAt.getTime() + MAX_FUTURE_SKEW_MS) {
    timestamp = receivedAt;
  }
  return {
    fingerprint: computeFingerprint({ exceptionType, message, frames, fingerprint: e.fingerprint }),
    fingerprintVersion: FINGERPRINT_VERSION,
    title: issueTitle({ exceptionType, message }),
    culprit: culprit(frames),
    exceptionType,
    message,
    eventKey: e.eventKey,
    source: e.source,
    timestamp,
    traceId: e.traceId,
    spanId: e.spanId,
    serviceName: e.resource.serviceName,
    serviceVersion: e.resource.serviceVersion,
    environment: e.resource.environment,
    stacktrace,
    frames,
    attributes: scrubAttributes(e.attributes),
    resource: { ...e.resource },
    span: e.span ? { ...e.span, name: scrubText(e.span.name) } : null,
    language,
  };
}

/**
 * The worker's core, shared by the BullMQ consumer (Bun) and the all-in-one in-process
 * queue: validate the job, scrub PII, parse stacks, fingerprint, store idempotently, and
 * give every new issue a first (heuristic) summary.
 */
export async function processBatch(
  db: Db,
  job: unknown,
  deps: ProcessBatchDeps,
): Promise<ProcessBatchResult> {
  const parsed = errorBatchJobSchema.safeParse(job);
  if (!parsed.success) throw new InvalidJobError(`invalid error batch job: ${describeIssues(parsed.error)}`);
  const { projectId, errors } = parsed.data;
  const receivedAt = new Date(parsed.data.receivedAt);

  const prepared = errors.map((e) => prepareEvent(e, receivedAt));
  const result = await storeErrorEvents(db, {
    projectId,
    events: prepared.map(({ language: _language, ...event }) => event),
  }).catch((err: unknown) => {
    // A project deleted after the collector accepted the batch: retrying cannot help.
    if (sqlStateOf(err) === FOREIGN_KEY_VIOLATION)
      throw new InvalidJobError(`project ${projectId} does not exist`);
    throw err;
  });

  const byFingerprint = new Map<string, (typeof prepared)[number]>();
  for (const e of prepared) if (!byFingerprint.has(e.fingerprint)) byFingerprint.set(e.fingerprint, e);
  const targets: IssueToSummarise[] = [];
  for (const [list, reason] of [
    [result.newIssues, "new"],
    [result.regressedIssues, "regressed"],
  ] as const) {
    for (const issue of list) {
      const event = byFingerprint.get(issue.fingerprint);
      if (event) targets.push({ id: issue.id, reason, event });
    }
  }
  // The events are committed: a failure here must not fail (and retry) the job, which would
  // then find only duplicates. The issue keeps whatever summary it has.
  const summaries = await summariseIssues(db, projectId, targets, deps).catch((err: unknown) => {
    deps.logger.error({ err, projectId }, "writing issue summaries failed");
    return { heuristic: 0, llm: 0 };
  });

  deps.logger.debug(
    {
      projectId,
      errors: errors.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      newIssues: result.newIssues.length,
      regressed: result.regressedIssues.length,
      llmSummaries: summaries.llm,
    },
    "error batch stored",
  );
  return { inserted: result.inserted, duplicates: result.duplicates, newIssues: result.newIssues.length };
}
