import type { Attributes } from "@opentelemetry/api";
import { cleanAttributes } from "./attributes.js";
import { warnOnce } from "./diagnostics.js";
import { MAX_MESSAGE_LENGTH, MAX_STACK_LENGTH } from "./exception.js";
import { sharedState } from "./shared-state.js";

/** What is about to be sent for one captureException / captureMessage call (and for crashes). */
export interface CapturedEvent {
  /** "exception" for captureException and crashes, "message" for captureMessage. */
  kind: "exception" | "message";
  /** `exception.type` (e.g. "TypeError"; "Message" for captureMessage). */
  type: string;
  /** `exception.message`. */
  message: string;
  /** `exception.stacktrace`, when there is one. */
  stacktrace?: string;
  /** Extra attributes: the user and tags in scope, then the ones passed to the capture call. */
  attributes: Attributes;
  /** The value given to captureException (the message string for captureMessage). Do not mutate. */
  readonly error: unknown;
}

/**
 * Called synchronously before each event is sent. Return the event (edited or not) to send it, or `null`
 * to drop it. If it throws or returns something else, a warning is printed once and the event is sent
 * unmodified (scrub rules still apply): an error tracker should not lose errors to a bug in a hook.
 */
export type BeforeSend = (event: CapturedEvent) => CapturedEvent | null;

export interface SendPipeline {
  beforeSend?: BeforeSend;
  /** Patterns (global) whose matches are replaced by `[redacted]` in message and stack trace. */
  scrub: readonly RegExp[];
}

export const REDACTED = "[redacted]";

export function setPipeline(pipeline: SendPipeline | undefined): void {
  sharedState().pipeline = pipeline;
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

function scrubText(text: string, patterns: readonly RegExp[]): string {
  let out = text;
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    out = out.replace(pattern, REDACTED);
  }
  return out;
}

/** Takes what beforeSend returned, field by field; anything missing or of the wrong type keeps the original. */
function merge(original: CapturedEvent, edited: CapturedEvent): CapturedEvent {
  const type = typeof edited.type === "string" && edited.type !== "" ? edited.type : original.type;
  const message = typeof edited.message === "string" ? edited.message : original.message;
  const stacktrace =
    typeof edited.stacktrace === "string"
      ? edited.stacktrace
      : "stacktrace" in edited && edited.stacktrace === undefined
        ? undefined
        : original.stacktrace;
  const attributes =
    edited.attributes !== null && typeof edited.attributes === "object"
      ? cleanAttributes(edited.attributes)
      : original.attributes;
  return {
    kind: original.kind,
    error: original.error,
    type: cap(type, 256),
    message: cap(message, MAX_MESSAGE_LENGTH),
    ...(stacktrace !== undefined ? { stacktrace: cap(stacktrace, MAX_STACK_LENGTH) } : {}),
    attributes,
  };
}

/**
 * Runs beforeSend (if any) on a copy of `event`, then the scrub rules. Returns what to send, or null to drop.
 * Never throws.
 */
export function runPipeline(event: CapturedEvent, pipeline = sharedState().pipeline): CapturedEvent | null {
  if (!pipeline) return event;
  let result = event;
  if (pipeline.beforeSend) {
    try {
      const copy: CapturedEvent = { ...event, attributes: { ...event.attributes } };
      const edited = pipeline.beforeSend(copy) as unknown;
      if (edited === null) return null;
      if (edited !== undefined && typeof edited === "object") {
        result = merge(event, edited as CapturedEvent);
      } else {
        warnOnce("beforeSend must return the event or null; sending events unmodified.");
      }
    } catch (error) {
      warnOnce(
        `beforeSend threw (${error instanceof Error ? error.message.slice(0, 200) : "non-Error"}); sending events unmodified.`,
      );
      result = event;
    }
  }
  if (pipeline.scrub.length === 0) return result;
  return {
    ...result,
    message: scrubText(result.message, pipeline.scrub),
    ...(result.stacktrace !== undefined ? { stacktrace: scrubText(result.stacktrace, pipeline.scrub) } : {}),
  };
}
