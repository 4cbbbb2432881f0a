import {
  ALERT_MESSAGE_LIMITS,
  type AlertDigestJob,
  type AlertJob,
  type AlertMessage,
  type AlertMessageIssue,
  type AlertQueue,
} from "@codewarden/common";
import {
  type AlertIssueFacts,
  type AlertRuleRow,
  claimAlertNotifications,
  createAlertDeliveries,
  type Db,
  getProjectName,
  listAlertIssueFacts,
  listAlertRules,
  type NewAlertDelivery,
  type NotificationClaim,
  SPIKE_BASELINE_HOURS,
  spikeCounts,
} from "@codewarden/drizzle";

/**
 * Flood protection (docs/decisions/007-alerts.md): a rule sends at most this many individual
 * alerts per digest window; further issues firing in that window go into one digest instead.
 */
export const MAX_INDIVIDUAL_ALERTS_PER_DIGEST_WINDOW = 5;
/** Default digest window: issues firing for a rule within it share one digest. */
export const DEFAULT_DIGEST_WINDOW_MS = 60_000;
/** A digest runs this long after its window closed, so claims still committing are included. */
export const DIGEST_GRACE_MS = 5_000;

/** Where and how an issue was seen in this batch. */
export interface AlertTags {
  environments: ReadonlySet<string>;
  services: ReadonlySet<string>;
}

export interface AlertCandidates {
  projectId: string;
  newIssueIds: readonly string[];
  regressedIssueIds: readonly string[];
  /** Every issue whose counters the batch advanced (spike candidates). */
  touchedIssueIds: readonly string[];
  /** The batch's environments and services per issue fingerprint. */
  tagsByFingerprint: ReadonlyMap<string, AlertTags>;
}

export interface AlertDeps {
  /** Where delivery and digest jobs go (BullMQ, or in-process in the all-in-one mode). */
  queue: AlertQueue;
  /** Origin of the dashboard (CODEWARDEN_PUBLIC_URL), for links to issue pages. */
  publicUrl: string;
  /** Digest window length (default 60 s). */
  digestWindowMs?: number;
  /** How long after its window a digest runs (default DIGEST_GRACE_MS). */
  digestGraceMs?: number;
  now?: () => Date;
}

/** Link to an issue page (web route `issues/:id`). */
export const issueUrl = (publicUrl: string, issueId: string) =>
  `${publicUrl.replace(/\/+$/, "")}/issues/${encodeURIComponent(issueId)}`;

const floorTo = (t: number, ms: number) => Math.floor(t / ms) * ms;
const cap = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function tagList(values: Iterable<string> | undefined): string[] {
  return [...(values ?? [])].slice(0, ALERT_MESSAGE_LIMITS.tags).map((v) => cap(v, ALERT_MESSAGE_LIMITS.tag));
}

export function messageIssue(
  publicUrl: string,
  f: AlertIssueFacts,
  tags: AlertTags | undefined,
  windowCount: number | null = null,
): AlertMessageIssue {
  return {
    id: f.id,
    title: cap(f.title, ALERT_MESSAGE_LIMITS.title),
    url: issueUrl(publicUrl, f.id),
    eventCount: f.eventCount,
    culprit: f.culprit === null ? null : cap(f.culprit, ALERT_MESSAGE_LIMITS.title),
    environments: tagList(tags?.environments),
    services: tagList(tags?.services),
    summary: f.summary === null ? null : cap(f.summary, ALERT_MESSAGE_LIMITS.summary),
    windowCount,
  };
}

const REASON_TITLE = { new: "New issue", regressed: "Regression", spike: "Spike" } as const;

/** Whether the batch saw the issue in the rule's environment and service (null: any). */
function matchesFilters(rule: AlertRuleRow, tags: AlertTags | undefined): boolean {
  if (rule.environment !== null && !tags?.environments.has(rule.environment)) return false;
  if (rule.service !== null && !tags?.services.has(rule.service)) return false;
  return true;
}

/**
 * Spike test: the window's events reach `spikeCount` (when set) and exceed `spikeFactor` times
 * the issue's usual hourly rate over the window's hours (when set). The usual rate is the
 * average of the hourly counters of the 7 days before the window.
 */
export function isSpike(
  rule: Pick<AlertRuleRow, "spikeCount" | "spikeFactor" | "windowMinutes">,
  counts: { windowCount: number; baselineCount: number },
): boolean {
  if (rule.spikeCount === null && rule.spikeFactor === null) return false;
  if (rule.spikeCount !== null && counts.windowCount < rule.spikeCount) return false;
  if (rule.spikeFactor !== null) {
    const usualPerHour = counts.baselineCount / SPIKE_BASELINE_HOURS;
    const windowHours = Math.max(1, rule.windowMinutes / 60);
    if (counts.windowCount <= rule.spikeFactor * usualPerHour * windowHours) return false;
  }
  return true;
}

/**
 * Evaluates a project's enabled rules against what a stored batch did (new, regressed and
 * touched issues), claims one ledger row per (rule, issue, window) — the database decides
 * which worker notifies — and enqueues the deliveries; digests are scheduled for the end of
 * their window. Ignored issues never alert; neither do resolved ones (a spike on an issue
 * resolved in the next release). Network calls happen in the delivery jobs, never here.
 */
export async function evaluateAlerts(
  db: Db,
  input: AlertCandidates,
  deps: AlertDeps,
): Promise<{ deliveries: number; leftToDigest: number; digests: number }> {
  const none = { deliveries: 0, leftToDigest: 0, digests: 0 };
  const rules = (await listAlertRules(db, { projectId: input.projectId, enabledOnly: true })).filter(
    (r) => r.channelIds.length > 0,
  );
  if (rules.length === 0) return none;
  const kinds = new Set(rules.map((r) => r.kind));
  const byKind = {
    new_issue: kinds.has("new_issue") ? input.newIssueIds : [],
    regression: kinds.has("regression") ? input.regressedIssueIds : [],
    spike: kinds.has("spike") ? input.touchedIssueIds : [],
  };
  const candidateIds = [...new Set([...byKind.new_issue, ...byKind.regression, ...byKind.spike])];
  if (candidateIds.length === 0) return none;

  const now = deps.now?.() ?? new Date();
  const facts = new Map(
    (await listAlertIssueFacts(db, { projectId: input.projectId, issueIds: candidateIds }))
      .filter((f) => f.status !== "ignored")
      .map((f) => [f.id, f]),
  );
  const tagsOf = (f: AlertIssueFacts) => input.tagsByFingerprint.get(f.fingerprint);

  // Spike counts per distinct window length (one query each).
  const spikeWindows = new Map<number, Map<string, { windowCount: number; baselineCount: number }>>();
  const spikeIds = byKind.spike.filter((id) => facts.get(id)?.status !== "resolved" && facts.has(id));
  for (const rule of rules) {
    if (rule.kind !== "spike" || spikeWindows.has(rule.windowMinutes) || spikeIds.length === 0) continue;
    const windowStart = new Date(now.getTime() - rule.windowMinutes * 60_000);
    spikeWindows.set(rule.windowMinutes, await spikeCounts(db, { issueIds: spikeIds, windowStart }));
  }

  const claims: NotificationClaim[] = [];
  const windowCounts = new Map<string, number>();
  for (const rule of rules) {
    const windowStart = new Date(floorTo(now.getTime(), rule.windowMinutes * 60_000));
    const ids = rule.kind === "spike" ? spikeIds : byKind[rule.kind];
    for (const id of ids) {
      const f = facts.get(id);
      if (!f || !matchesFilters(rule, tagsOf(f))) continue;
      let reason: NotificationClaim["reason"];
      if (rule.kind === "spike") {
        const counts = spikeWindows.get(rule.windowMinutes)?.get(id);
        if (!counts || !isSpike(rule, counts)) continue;
        windowCounts.set(`${rule.id}|${id}`, counts.windowCount);
        reason = "spike";
      } else reason = rule.kind === "new_issue" ? "new" : "regressed";
      claims.push({ ruleId: rule.id, issueId: id, windowStart, reason });
    }
  }
  if (claims.length === 0) return none;

  const digestWindowMs = deps.digestWindowMs ?? DEFAULT_DIGEST_WINDOW_MS;
  const digestWindowStart = new Date(floorTo(now.getTime(), digestWindowMs));
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const projectName = (await getProjectName(db, input.projectId)) ?? "project";

  const { claimed, deliveryIds } = await db.transaction(async (tx) => {
    const claimed = await claimAlertNotifications(tx, {
      claims,
      digestWindowStart,
      maxIndividual: MAX_INDIVIDUAL_ALERTS_PER_DIGEST_WINDOW,
      at: now,
    });
    const rows: NewAlertDelivery[] = [];
    for (const c of claimed) {
      if (!c.individual) continue;
      const rule = ruleById.get(c.ruleId)!;
      const f = facts.get(c.issueId)!;
      const message: AlertMessage = {
        v: 1,
        kind: "alert",
        reason: c.reason,
        title: `${REASON_TITLE[c.reason]}: ${cap(f.title, ALERT_MESSAGE_LIMITS.title)}`,
        projectName: cap(projectName, ALERT_MESSAGE_LIMITS.tag),
        ruleName: cap(rule.name, ALERT_MESSAGE_LIMITS.tag),
        issues: [messageIssue(deps.publicUrl, f, tagsOf(f), windowCounts.get(`${rule.id}|${f.id}`) ?? null)],
        moreIssues: 0,
        createdAt: now.toISOString(),
      };
      for (const channelId of rule.channelIds) {
        rows.push({
          projectId: input.projectId,
          channelId,
          ruleId: rule.id,
          issueId: f.id,
          kind: "alert",
          payload: message,
        });
      }
    }
    return { claimed, deliveryIds: await createAlertDeliveries(tx, rows) };
  });

  const jobs: AlertJob[] = deliveryIds.map((deliveryId) => ({ v: 1, kind: "delivery", deliveryId }));
  const digestRules = new Set(
    claimed.filter((c) => !c.individual || ruleById.get(c.ruleId)!.digest).map((c) => c.ruleId),
  );
  for (const ruleId of digestRules) {
    const digest: AlertDigestJob = {
      v: 1,
      kind: "digest",
      projectId: input.projectId,
      ruleId,
      windowStart: digestWindowStart.toISOString(),
      windowMs: digestWindowMs,
      runAt: new Date(
        digestWindowStart.getTime() + digestWindowMs + (deps.digestGraceMs ?? DIGEST_GRACE_MS),
      ).toISOString(),
    };
    jobs.push(digest);
  }
  await deps.queue.enqueue(jobs);
  return {
    deliveries: deliveryIds.length,
    leftToDigest: claimed.filter((c) => !c.individual).length,
    digests: digestRules.size,
  };
}
