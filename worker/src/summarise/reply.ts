import { z } from "zod";
import { scrubText } from "../scrub";

/** A summary as the model wrote it, validated: `text` is "what happened". */
export interface LlmSummary {
  title: string;
  text: string;
  likelyCause: string;
  suggestedFix: string;
  confidence: number;
}

export const MAX_TITLE_CHARS = 200;
export const MAX_FIELD_CHARS = 2000;

const field = (max: number) =>
  z
    .string()
    .transform((s) => scrubText(s.trim()))
    .pipe(z.string().min(1))
    .transform((s) => (s.length > max ? `${s.slice(0, max - 1)}…` : s));

/** A number 0..1; a numeric string is accepted ("0.8"), anything else is not. */
const confidence = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v),
  z.number().min(0).max(1),
);

const replySchema = z.object({
  title: field(MAX_TITLE_CHARS),
  whatHappened: field(MAX_FIELD_CHARS),
  likelyCause: field(MAX_FIELD_CHARS),
  suggestedFix: field(MAX_FIELD_CHARS),
  confidence,
});

/** Key spellings models use for each field (compared lower-case, without `_`, `-` or spaces). */
const ALIASES: Record<string, keyof z.input<typeof replySchema>> = {
  title: "title",
  whathappened: "whatHappened",
  summary: "whatHappened",
  likelycause: "likelyCause",
  cause: "likelyCause",
  suggestedfix: "suggestedFix",
  fix: "suggestedFix",
  confidence: "confidence",
};

/** The JSON object in a reply: the whole content, a fenced block, or the outermost braces. */
function extractObject(content: string): Record<string, unknown> | null {
  const trimmed = content.trim();
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  try {
    // Valid JSON of another shape (an array, a string) is not dug into.
    const whole: unknown = JSON.parse(trimmed);
    return isObject(whole) ? whole : null;
  } catch {
    // not JSON as a whole: look for a fenced block or the outermost braces
  }
  const candidates: string[] = [];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  if (fenced?.[1]) candidates.push(fenced[1].trim());
  const start = trimmed.indexOf("{");
  const end = trimmed.lastIndexOf("}");
  if (start >= 0 && end > start) candidates.push(trimmed.slice(start, end + 1));
  for (const c of candidates) {
    try {
      const parsed: unknown = JSON.parse(c);
      if (isObject(parsed)) return parsed;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

/**
 * The summary in a model's reply, validated with zod, or null for anything malformed (not
 * JSON, a missing or empty field, a confidence outside 0..1). Fields are scrubbed and capped:
 * a reply is never stored unchecked.
 */
export function parseReply(content: string): LlmSummary | null {
  if (content.length > 64 * 1024) return null;
  const raw = extractObject(content);
  if (!raw) return null;
  const normalised: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const canonical = ALIASES[key.toLowerCase().replace(/[\s_-]/g, "")];
    if (canonical && !(canonical in normalised)) normalised[canonical] = value;
  }
  const parsed = replySchema.safeParse(normalised);
  if (!parsed.success) return null;
  const { whatHappened, ...rest } = parsed.data;
  return { ...rest, text: whatHappened };
}
