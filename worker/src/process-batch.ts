import { createHash } from "node:crypto";
import { ATTR, type ErrorEvent, errorBatchJobSchema } from "@codewarden/common";
import { type Db, getInAppRules, type StoreErrorEvent, storeErrorEvents } from "@codewarden/drizzle";
import type pino from "pino";
import { type AlertDeps, type AlertTags, evaluateAlerts } from "./alerts/evaluate";
import { computeFingerprint, culprit, FINGERPRINT_VERSION, issueTitle } from "./fingerprint";
import { defaultScrubber, type Scrubber } from "./scrub";
import { type InAppOptions, parseStack } from "./stack/index";
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
  /** Full event bodies kept per issue and hour (bounded storage); default 100. */
  eventsPerIssueHour?: number;
  /** PII scrubbing rules (CODEWARDEN_SCRUB_*); default: every built-in rule. */
  scrubber?: Scrubber;
  /**
   * Where LLM summary jobs of new and regressed issues go (the summaries queue; the model is
   * never called inline). Without it, issues keep their heuristic summaries.
   */
  summariser?: Summariser | null;
  /**
   * Alert rules are evaluated against the stored batch and their deliveries enqueued here (the
   * alerts queue; never a network call inline). Without it, no alerts.
   */
  alerts?: AlertDeps | null;
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

/**
 * A digest of the affected user's id (`user.id`, else `enduser.id`) for counting distinct users
 * per issue; the id itself (often an email) is never stored by this path.
 */
export function userDigestOf(attributes: Readonly<Record<string, string | number | boolean>>): string | null {
  const id = attributes[ATTR.userId] ?? attributes[ATTR.enduserId];
  if (id === undefined || id === "") return null;
  return createHash("sha256").update(String(id)).digest("hex").slice(0, 32);
}

/**
 * Results shared by the events of one batch: the events of an issue repeat the same stack
 * trace (and often the same message), and scrubbing and parsing it is most of the per-event cost.
 */
export interface PrepareMemo {
  text: Map<string, string>;
  frames: Map<string, ReturnType<typeof parseStack>>;
}

export function createPrepareMemo(): PrepareMemo {
  return { text: new Map(), frames: new Map() };
}

/**
 * A stack trace scrubbed line-wise at its first line break: the first line usually repeats the
 * (variable) message, the rest is the same for every occurrence of a bug, so with a memo it is
 * scrubbed once per batch. (Scrubbing rules do not span a line break that is followed by a frame.)
 */
function scrubStack(stack: string, scrubText: (s: string) => string, memo?: PrepareMemo): string {
  const nl = stack.indexOf("\n");
  if (!memo || nl < 0) return scrubText(stack);
  return `${scrubText(stack.slice(0, nl))}\n${scrubText(stack.slice(nl + 1))}`;
}

/** Scrubbed, parsed and fingerprinted form of one error event, ready to store. */
export function prepareEvent(
  raw: ErrorEvent,
  receivedAt: Date,
  scrubber: Scrubber = defaultScrubber,
  inApp?: InAppOptions,
  memo?: PrepareMemo,
): StoreErrorEvent & { language: string | null } {
  const scrubText = memo
    ? (s: string): string => {
        let out = memo.text.get(s);
        if (out === undefined) {
          out = scrubber.text(s);
          memo.text.set(s, out);
        }
        return out;
      }
    : scrubber.text;
  const e = storableEvent(raw);
  const exceptionType = scrubText(e.exceptionType);
  const message = scrubText(e.message);
  const stacktrace = e.stacktrace === null ? null : scrubStack(e.stacktrace, scrubText, memo);
  const language = e.resource.sdkLanguage;
  let frames: ReturnType<typeof parseStack>;
  if (memo) {
    const key = `${language ?? ""}\u0000${stacktrace ?? ""}`;
    frames = memo.frames.get(key) ?? parseStack(stacktrace, language, inApp);
    memo.frames.set(key, frames);
  } else {
    frames = parseStack(stacktrace, language, inApp);
  }
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
    attributes: scrubber.attributes(e.attributes),
    resource: { ...e.resource },
    span: e.span ? { ...e.span, name: scrubText(e.span.name) } : null,
    userDigest: userDigestOf(e.attributes),
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

  // The project's in-app overrides (a primary-key read; empty for most projects).
  const rules = await getInAppRules(db, projectId);
  const inApp =
    rules.include.length + rules.exclude.length > 0
      ? { inAppInclude: rules.include, inAppExclude: rules.exclude }
      : undefined;
  const memo = createPrepareMemo();
  const prepared = errors.map((e) => prepareEvent(e, receivedAt, deps.scrubber, inApp, memo));
  const result = await storeErrorEvents(
    db,
    {
      projectId,
      events: prepared.map(({ language: _language, ...event }) => event),
    },
    { eventsPerIssueHour: deps.eventsPerIssueHour },
  ).catch((err: unknown) => {
    // A project deleted after the collector accepted the batch: retrying cannot help.
    if (sqlStateOf(err) === FOREIGN_KEY_VIOLATION)
      throw new InvalidJobError(`project ${projectId} does not exist`);
    throw err;
  });

  // One summary per issue and occasion, never per event: a new issue is described by its first
  // event here, a regression by the latest one (the release that brought it back).
  const first = new Map<string, (typeof prepared)[number]>();
  const latest = new Map<string, (typeof prepared)[number]>();
  for (const e of prepared) {
    if (!first.has(e.fingerprint)) first.set(e.fingerprint, e);
    const l = latest.get(e.fingerprint);
    if (!l || e.timestamp.getTime() >= l.timestamp.getTime()) latest.set(e.fingerprint, e);
  }
  const targets: IssueToSummarise[] = [];
  for (const [list, reason, events] of [
    [result.newIssues, "new", first],
    [result.regressedIssues, "regressed", latest],
  ] as const) {
    for (const issue of list) {
      const e = events.get(issue.fingerprint);
      if (!e) continue;
      const route = e.attributes[ATTR.httpRoute];
      targets.push({
        id: issue.id,
        reason,
        event: {
          eventKey: e.eventKey,
          exceptionType: e.exceptionType,
          message: e.message,
          frames: e.frames,
          language: e.language,
          serviceName: e.serviceName,
          serviceVersion: e.serviceVersion,
          spanName: e.span?.name ?? null,
          route: typeof route === "string" ? route : null,
        },
      });
    }
  }
  // The events are committed: a failure here must not fail (and retry) the job, which would
  // then find only duplicates. The issue keeps whatever summary it has.
  const summaries = await summariseIssues(db, projectId, targets, deps).catch((err: unknown) => {
    deps.logger.error({ err, projectId }, "scheduling issue summaries failed");
    return { heuristic: 0, enqueued: 0 };
  });

  // Alerts, after the summaries so that a new issue's alert carries its first summary. Like
  // summaries, a failure here must not fail the job: the ledger keeps what was claimed.
  const alerts = deps.alerts
    ? await evaluateAlerts(
        db,
        {
          projectId,
          newIssueIds: result.newIssues.map((i) => i.id),
          regressedIssueIds: result.regressedIssues.map((i) => i.id),
          touchedIssueIds: result.touchedIssueIds,
          tagsByFingerprint: alertTagsOf(prepared),
        },
        deps.alerts,
      ).catch((err: unknown) => {
        deps.logger.error({ err, projectId }, "evaluating alert rules failed");
        return null;
      })
    : null;

  deps.logger.debug(
    {
      projectId,
      errors: errors.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      newIssues: result.newIssues.length,
      regressed: result.regressedIssues.length,
      summaryJobs: summaries.enqueued,
      alertDeliveries: alerts?.deliveries ?? 0,
    },
    "error batch stored",
  );
  return { inserted: result.inserted, duplicates: result.duplicates, newIssues: result.newIssues.length };
}

/** The environments and services each fingerprint was seen with in a batch (alert rule filters). */
function alertTagsOf(prepared: ReadonlyArray<ReturnType<typeof prepareEvent>>): Map<string, AlertTags> {
  const out = new Map<string, { environments: Set<string>; services: Set<string> }>();
  for (const e of prepared) {
    let t = out.get(e.fingerprint);
    if (!t) {
      t = { environments: new Set(), services: new Set() };
      out.set(e.fingerprint, t);
    }
    if (e.environment) t.environments.add(e.environment);
    if (e.serviceName) t.services.add(e.serviceName);
  }
  return out;
}
