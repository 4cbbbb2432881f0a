import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { computeFingerprint } from "../../src/fingerprint";
import { scrubText } from "../../src/scrub";
import { type InAppOptions, parseStack } from "../../src/stack/index";

/**
 * The labelled grouping corpus: one file per sample under `samples/<group>/`, a small header
 * and the stack trace exactly as an OpenTelemetry SDK puts it in `exception.stacktrace`:
 *
 * ```
 * # free-text note (optional, any number of lines)
 * label: node/users-getProfile-undefined-email   ← samples with the same label are one issue
 * language: nodejs                               ← telemetry.sdk.language; empty = not sent
 * type: TypeError                                ← exception.type
 * message: Cannot read properties of undefined   ← exception.message (JSON string if multi-line)
 * known-miss: why v1 cannot group this label     ← optional: an accepted, documented split
 * in-app-exclude: dist/lib/http/, other/         ← optional project in-app overrides
 * in-app-include: …
 * ---
 * <stack trace; nothing after the separator = no stack>
 * ```
 */
export interface Sample {
  /** `group/file` without the extension. */
  id: string;
  group: string;
  label: string;
  language: string | null;
  exceptionType: string;
  message: string;
  stacktrace: string | null;
  note: string | null;
  knownMiss: string | null;
  inApp: InAppOptions | undefined;
}

export const SAMPLES_DIR = fileURLToPath(new URL("./samples/", import.meta.url));

const KEYS = new Set([
  "label",
  "language",
  "type",
  "message",
  "known-miss",
  "in-app-exclude",
  "in-app-include",
]);

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** Parses one sample file; throws with the file name on a malformed header. */
export function parseSample(id: string, text: string): Sample {
  const sep = text.indexOf("\n---\n");
  if (sep < 0) throw new Error(`${id}: no "---" line after the header`);
  const header = text.slice(0, sep).split("\n");
  const body = text.slice(sep + "\n---\n".length);
  const fields = new Map<string, string>();
  const notes: string[] = [];
  for (const line of header) {
    if (line.startsWith("#")) {
      notes.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(": ");
    const key = colon < 0 ? line.replace(/:$/, "") : line.slice(0, colon);
    if (!KEYS.has(key)) throw new Error(`${id}: unknown header line ${JSON.stringify(line)}`);
    if (fields.has(key)) throw new Error(`${id}: duplicate header ${key}`);
    fields.set(key, colon < 0 ? "" : line.slice(colon + 2));
  }
  const label = fields.get("label");
  const exceptionType = fields.get("type");
  const rawMessage = fields.get("message");
  if (!label || exceptionType === undefined || rawMessage === undefined)
    throw new Error(`${id}: label, type and message are required`);
  const message = rawMessage.startsWith('"') ? (JSON.parse(rawMessage) as string) : rawMessage;
  const include = list(fields.get("in-app-include"));
  const exclude = list(fields.get("in-app-exclude"));
  return {
    id,
    group: id.split("/")[0]!,
    label,
    language: fields.get("language") || null,
    exceptionType,
    message,
    stacktrace: body.trim() === "" ? null : body,
    note: notes.length > 0 ? notes.join(" ") : null,
    knownMiss: fields.get("known-miss") ?? null,
    inApp: include || exclude ? { inAppInclude: include, inAppExclude: exclude } : undefined,
  };
}

/** Every sample, sorted by id. */
export function loadCorpus(dir: string = SAMPLES_DIR): Sample[] {
  const out: Sample[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".txt")) continue;
    const path = join(entry.parentPath, entry.name);
    const id = relative(dir, path)
      .replace(/\\/g, "/")
      .replace(/\.txt$/, "");
    out.push(parseSample(id, readFileSync(path, "utf8")));
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** v1 grouping, as the worker does it (`prepareEvent`): scrub, parse, fingerprint. */
export function v1Fingerprint(s: Sample): string {
  const exceptionType = scrubText(s.exceptionType);
  const message = scrubText(s.message);
  const stacktrace = s.stacktrace === null ? null : scrubText(s.stacktrace);
  const frames = parseStack(stacktrace, s.language, s.inApp);
  return computeFingerprint({ exceptionType, message, frames });
}

/** The naive alternative: the exact exception type and message. */
export function baselineFingerprint(s: Sample): string {
  return `${s.exceptionType}\u0000${s.message}`;
}

export interface PairwiseScores {
  /** Pairs in the same predicted group and with the same label. */
  truePositives: number;
  /** Pairs grouped together whose labels differ (wrong merges). */
  falsePositives: number;
  /** Pairs with the same label that were grouped apart (wrong splits). */
  falseNegatives: number;
  precision: number;
  recall: number;
}

/**
 * Pairwise precision and recall of a grouping against labels: over all pairs of items,
 * precision = same-group pairs that share a label / same-group pairs, recall = same-label
 * pairs that share a group / same-label pairs. An empty denominator scores 1.
 */
export function pairwiseScores(labels: readonly string[], groups: readonly string[]): PairwiseScores {
  if (labels.length !== groups.length) throw new Error("labels and groups differ in length");
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const sameLabel = labels[i] === labels[j];
      const sameGroup = groups[i] === groups[j];
      if (sameLabel && sameGroup) tp++;
      else if (sameGroup) fp++;
      else if (sameLabel) fn++;
    }
  }
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
  };
}

export interface GroupingErrors {
  /** Labels whose samples landed in more than one group: label → sample ids per group. */
  split: Array<{ label: string; groups: string[][] }>;
  /** Groups that hold more than one label: sample ids per label. */
  merged: Array<{ labels: Record<string, string[]> }>;
}

/** Which labels were split and which groups merged different labels. */
export function groupingErrors(samples: readonly Sample[], groups: readonly string[]): GroupingErrors {
  const byLabel = new Map<string, Map<string, string[]>>();
  const byGroup = new Map<string, Map<string, string[]>>();
  samples.forEach((s, i) => {
    const g = groups[i]!;
    const l = byLabel.get(s.label) ?? new Map<string, string[]>();
    l.set(g, [...(l.get(g) ?? []), s.id]);
    byLabel.set(s.label, l);
    const m = byGroup.get(g) ?? new Map<string, string[]>();
    m.set(s.label, [...(m.get(s.label) ?? []), s.id]);
    byGroup.set(g, m);
  });
  return {
    split: [...byLabel]
      .filter(([, gs]) => gs.size > 1)
      .map(([label, gs]) => ({ label, groups: [...gs.values()] })),
    merged: [...byGroup.values()]
      .filter((ls) => ls.size > 1)
      .map((ls) => ({ labels: Object.fromEntries(ls) })),
  };
}

export interface CorpusReport {
  samples: number;
  labels: number;
  v1: PairwiseScores;
  baseline: PairwiseScores;
  v1Errors: GroupingErrors;
  perGroup: Array<{
    group: string;
    samples: number;
    labels: number;
    v1: PairwiseScores;
    baseline: PairwiseScores;
  }>;
}

/** Fingerprints every sample with v1 and the baseline and scores both. */
export function evaluate(samples: readonly Sample[]): CorpusReport {
  const labels = samples.map((s) => s.label);
  const v1 = samples.map(v1Fingerprint);
  const baseline = samples.map(baselineFingerprint);
  const groups = [...new Set(samples.map((s) => s.group))].sort();
  return {
    samples: samples.length,
    labels: new Set(labels).size,
    v1: pairwiseScores(labels, v1),
    baseline: pairwiseScores(labels, baseline),
    v1Errors: groupingErrors(samples, v1),
    perGroup: groups.map((group) => {
      const idx = samples.flatMap((s, i) => (s.group === group ? [i] : []));
      const pick = (xs: readonly string[]) => idx.map((i) => xs[i]!);
      return {
        group,
        samples: idx.length,
        labels: new Set(pick(labels)).size,
        v1: pairwiseScores(pick(labels), pick(v1)),
        baseline: pairwiseScores(pick(labels), pick(baseline)),
      };
    }),
  };
}

const pct = (x: number) => x.toFixed(3);

/** The report as a plain-text table (also used in docs/GROUPING.md). */
export function formatReport(r: CorpusReport): string {
  const rows = [
    ["group", "samples", "labels", "v1 precision", "v1 recall", "baseline precision", "baseline recall"],
    ...r.perGroup.map((g) => [
      g.group,
      String(g.samples),
      String(g.labels),
      pct(g.v1.precision),
      pct(g.v1.recall),
      pct(g.baseline.precision),
      pct(g.baseline.recall),
    ]),
    [
      "all",
      String(r.samples),
      String(r.labels),
      pct(r.v1.precision),
      pct(r.v1.recall),
      pct(r.baseline.precision),
      pct(r.baseline.recall),
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  const table = [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
  const pairs = (p: PairwiseScores) =>
    `${p.truePositives} right pairs, ${p.falsePositives} wrongly merged, ${p.falseNegatives} wrongly split`;
  return `${table}\n\nv1:       ${pairs(r.v1)}\nbaseline: ${pairs(r.baseline)}`;
}

/** Split and merged samples, for failure messages. */
export function formatErrors(e: GroupingErrors, samples: readonly Sample[]): string {
  const known = new Map(samples.map((s) => [s.label, s.knownMiss]));
  const out: string[] = [];
  for (const s of e.split) {
    const why = known.get(s.label);
    out.push(`split ${s.label}${why ? ` (known miss: ${why})` : ""}:`);
    s.groups.forEach((ids, i) => {
      out.push(`  group ${i + 1}: ${ids.join(", ")}`);
    });
  }
  for (const m of e.merged) {
    out.push("merged into one group:");
    for (const [label, ids] of Object.entries(m.labels)) out.push(`  ${label}: ${ids.join(", ")}`);
  }
  return out.join("\n");
}
