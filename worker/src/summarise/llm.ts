import type { IssueSummaryJob } from "@codewarden/common";
import OpenAI from "openai";
import { REPLY_JSON_SCHEMA, SYSTEM_PROMPT } from "./prompt";
import { type LlmSummary, parseReply } from "./reply";

export interface LlmConfig {
  /** OpenAI-compatible base URL, e.g. `http://litellm:4000/v1` (`/chat/completions` is appended). */
  baseUrl: string;
  apiKey: string | null;
  model: string;
  /** One request's time limit (a timeout is retried like a network error). */
  timeoutMs: number;
  /** Answered LLM calls per project per UTC day; beyond it issues keep their current summary. */
  dailyBudgetPerProject: number;
  /** Calls started per minute at most, across all workers of one queue. */
  ratePerMinute: number;
  /** Summary jobs a worker runs at once. */
  concurrency: number;
  /** Calls per job at most: 429, 5xx and network errors are retried with exponential backoff. */
  attempts: number;
  /** `json_object` (widely supported) or `json_schema` (structured outputs, where supported). */
  responseFormat: "json_object" | "json_schema";
}

/**
 * What processBatch hands new and regressed issues to for an LLM summary: a queue (BullMQ in
 * scale-out, in-process in the all-in-one mode). It never calls the model inline.
 */
export interface Summariser {
  enqueue(jobs: readonly IssueSummaryJob[]): Promise<void>;
}

/** A failed LLM call. `retryable`: 429, 5xx, timeouts and network errors; not: other 4xx, malformed replies. */
export class LlmCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    /** What the endpoint asked for in `Retry-After` / `retry-after-ms`, if anything. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "LlmCallError";
  }
}

/** The model behind an OpenAI-compatible endpoint: one call per `summarise`, no retries of its own. */
export interface LlmClient {
  readonly model: string;
  /** The validated summary, or throws LlmCallError. */
  summarise(prompt: string): Promise<LlmSummary>;
}

/** Longest Retry-After honoured (a longer one is capped, the job is retried then). */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Milliseconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), else null. */
export function retryAfterMsFrom(headers: Headers | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const cap = (ms: number) => Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms)) return cap(ms);
  const value = headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return cap(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : cap(date - now);
}

function classify(err: unknown): LlmCallError {
  if (err instanceof LlmCallError) return err;
  if (err instanceof OpenAI.APIConnectionError) {
    return new LlmCallError(`llm request failed: ${err.message}`, true);
  }
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    const status = err.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new LlmCallError(
      `llm endpoint answered ${status}`,
      retryable,
      status,
      retryAfterMsFrom(err.headers as Headers | undefined),
    );
  }
  // Anything else (a fetch failure the SDK did not wrap): transient until proven otherwise.
  return new LlmCallError(`llm request errored: ${err instanceof Error ? err.message : String(err)}`, true);
}

/**
 * Client for an OpenAI-compatible `/chat/completions` endpoint (LiteLLM in production) built
 * on the official `openai` package. Retries are left to the queue (so every call is counted,
 * rate-limited and backed off in one place): the SDK's own retries are off.
 */
export function createLlmClient(config: LlmConfig): LlmClient {
  const client = new OpenAI({
    baseURL: config.baseUrl,
    // Keyless endpoints (a local LiteLLM) get no Authorization header at all.
    apiKey: config.apiKey ?? "unused",
    defaultHeaders: config.apiKey ? undefined : { Authorization: null },
    organization: null,
    project: null,
    timeout: config.timeoutMs,
    maxRetries: 0,
    logLevel: "off",
  });
  const responseFormat =
    config.responseFormat === "json_schema"
      ? {
          type: "json_schema" as const,
          json_schema: { name: "issue_summary", strict: true, schema: { ...REPLY_JSON_SCHEMA } },
        }
      : { type: "json_object" as const };

  return {
    model: config.model,
    async summarise(prompt) {
      let content: unknown;
      try {
        const completion = await client.chat.completions.create({
          model: config.model,
          temperature: 0.2,
          max_tokens: 700,
          response_format: responseFormat,
          messages: [
            { role: "system", content: SYSTEM_PROMPT },
            { role: "user", content: prompt },
          ],
        });
        content = completion.choices?.[0]?.message?.content;
      } catch (err) {
        throw classify(err);
      }
      const summary = typeof content === "string" ? parseReply(content) : null;
      if (!summary) throw new LlmCallError("llm reply was not the expected JSON object", false, 200);
      return summary;
    },
  };
}
