import type { StackFrame } from "@codewarden/drizzle";
import { culprit } from "../fingerprint";
import { topFrame } from "../normalise-frame";
import { scrubText } from "../scrub";
import { HEURISTIC_RULES } from "./heuristic-rules";

export interface HeuristicInput {
  exceptionType: string;
  message: string;
  frames: readonly StackFrame[];
  language: string | null;
}

export interface SummaryText {
  text: string;
  likelyCause: string;
  suggestedFix: string;
}

const MAX_MESSAGE_IN_SUMMARY = 300;

function firstLine(message: string): string {
  const line =
    message
      .split(/\r?\n/)
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  return line.length > MAX_MESSAGE_IN_SUMMARY ? `${line.slice(0, MAX_MESSAGE_IN_SUMMARY - 1)}…` : line;
}

function where(frames: readonly StackFrame[]): string | null {
  const name = culprit(frames);
  if (!name) return null;
  const top = topFrame(frames);
  return top?.line != null ? `${name}, line ${top.line}` : name;
}

/**
 * Deterministic summary used when no LLM is configured (and as the first summary of every
 * new issue): recognises common errors by type and message, else names the culprit frame.
 * The message is scrubbed again here, so callers cannot leak PII into a summary.
 */
export function heuristicSummary(input: HeuristicInput): SummaryText {
  const type = scrubText(input.exceptionType.trim()).slice(0, 256) || "Error";
  const message = firstLine(scrubText(input.message));
  const location = where(input.frames);
  const rule = HEURISTIC_RULES.find((r) => r.matches(type, message));

  const what = message ? `${type}: ${message}` : type;
  const at = location ? ` in ${location}` : "";
  if (rule) {
    return {
      text: `${what}${at}. ${rule.likelyCause}`,
      likelyCause: rule.likelyCause,
      suggestedFix: rule.suggestedFix,
    };
  }
  const runtime = input.language ? ` (${input.language})` : "";
  return {
    text: `${what}${at}${runtime}. No common cause was recognised from the error type and message.`,
    likelyCause: location
      ? `The error was raised in ${location}; the type and message do not match a known pattern.`
      : "The error type and message do not match a known pattern and no stack trace was available.",
    suggestedFix: location
      ? `Start at ${location}: check the inputs and state that reach it when this ${type} is raised, and add a test reproducing it.`
      : `Record a stack trace for this ${type} (record the exception on the active span) to locate where it is raised.`,
  };
}
