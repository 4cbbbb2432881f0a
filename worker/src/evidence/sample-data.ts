import { EVIDENCE_METHOD_NOTES, type EvidenceData } from "@codewarden/drizzle";

/** A hostile issue title (telemetry is attacker-controlled): markup, control characters, length. */
export const HOSTILE_TITLE = `<script>alert("pwned")</script>\u0000\u001b[31m ${"A".repeat(400)}`;

const HOUR = 3_600_000;

/**
 * Realistic evidence data for one month (for the sample rendering in docs/screenshots and the
 * rendering tests): deterministic, no randomness, no clock.
 */
export function sampleEvidenceData(): EvidenceData {
  const from = new Date("2026-03-01T00:00:00Z");
  const to = new Date("2026-04-01T00:00:00Z");
  const at = (day: number, hour = 0) => new Date(from.getTime() + (day * 24 + hour) * HOUR);
  const titles = [
    "TypeError: Cannot read properties of undefined (reading 'id')",
    "Error: connect ECONNREFUSED 10.0.3.7:5432",
    "KeyError: 'customer_id'",
    'java.lang.NullPointerException: Cannot invoke "Order.total()" because "order" is null',
    "TimeoutError: Navigation timeout of 30000 ms exceeded",
    "ValueError: invalid literal for int() with base 10: 'NaN'",
    'PG::UniqueViolation: duplicate key value violates unique constraint "users_email_key"',
    "RangeError: Maximum call stack size exceeded",
  ];
  const listed = Array.from({ length: 24 }, (_, i) => {
    const detectedAt = at(i + 1, (i * 7) % 24);
    const acked = i % 5 !== 4;
    const resolved = i % 3 !== 2;
    return {
      issueId: `0a1b2c3d-0000-4000-8000-${String(i).padStart(12, "0")}`,
      projectSlug: i % 3 === 0 ? "checkout" : i % 3 === 1 ? "api" : "web",
      title: i === 3 ? HOSTILE_TITLE : titles[i % titles.length]!,
      kind: i % 6 === 5 ? ("regression" as const) : ("new" as const),
      detectedAt,
      approximate: i === 11,
      acknowledgedAt: acked ? new Date(detectedAt.getTime() + ((i % 4) + 1) * 0.75 * HOUR) : null,
      resolvedAt: resolved ? new Date(detectedAt.getTime() + ((i % 7) + 1) * 5 * HOUR) : null,
    };
  });
  const people = ["alice@example.com", "bob@example.com", "carol@example.com"];
  const accessActions = [
    ["user.signed_in", "alice@example.com", "alice@example.com", null],
    ["api_token.created", "alice@example.com", 'api_token "ci deploys" (cw_...9f2c)', "203.0.113.7"],
    ["member.invited", "alice@example.com", "dave@example.com (member)", "203.0.113.7"],
    ["invitation.accepted", "dave@example.com", "dave@example.com (member)", "198.51.100.23"],
    ["member.role_changed", "alice@example.com", "bob@example.com: member -> owner", "203.0.113.7"],
    ["ingest_key.revoked", "bob@example.com", 'ingest_key "staging" (cw_...77a1)', "192.0.2.44"],
    ["member.removed", "bob@example.com", "carol@example.com (member)", "192.0.2.44"],
    ["user.signed_out_everywhere", "carol@example.com", "2 session(s) revoked", "198.51.100.5"],
  ] as const;
  const accessChanges = Array.from({ length: 30 }, (_, i) => {
    const [action, actor, target, ip] = accessActions[i % accessActions.length]!;
    const signIn = action === "user.signed_in";
    return {
      at: at(Math.floor(i * 0.95), (i * 5) % 24),
      action,
      actor: signIn ? people[i % people.length]! : actor,
      target: signIn ? people[i % people.length]! : target,
      ip,
      source: signIn ? ("sessions" as const) : ("audit_log" as const),
    };
  });
  const ackMeasured = listed.filter((i) => i.acknowledgedAt).length;
  const resMeasured = listed.filter((i) => i.resolvedAt).length;
  return {
    organization: { id: "5f0c1e2a-8d3b-4c7e-9a61-2b4d6f8a0c13", name: "Acme Payments Ltd", slug: "acme" },
    period: { from, to },
    generatedAt: new Date("2026-04-01T02:00:00Z"),
    projects: [
      { slug: "api", name: "API" },
      { slug: "checkout", name: "Checkout" },
      { slug: "web", name: "Web app" },
    ],
    incidents: {
      total: listed.length,
      newIssues: listed.filter((i) => i.kind === "new").length,
      regressions: listed.filter((i) => i.kind === "regression").length,
      listed,
    },
    timeToAcknowledge: {
      measured: ackMeasured,
      pending: listed.length - ackMeasured,
      medianMs: 1.5 * HOUR,
      p90Ms: 3 * HOUR,
    },
    timeToResolve: {
      measured: resMeasured,
      pending: listed.length - resMeasured,
      medianMs: 20 * HOUR,
      p90Ms: 35 * HOUR,
    },
    openIssues: {
      total: 11,
      byAge: [
        { label: "< 1 day", count: 2 },
        { label: "1-7 days", count: 4 },
        { label: "7-30 days", count: 3 },
        { label: "> 30 days", count: 2 },
      ],
      oldest: listed
        .filter((i) => !i.resolvedAt)
        .map((i) => ({
          issueId: i.issueId,
          projectSlug: i.projectSlug,
          title: i.title,
          status: i.kind === "regression" ? ("regressed" as const) : ("unresolved" as const),
          createdAt: i.detectedAt,
          eventCount: 17 + i.detectedAt.getUTCDate() * 13,
        })),
    },
    accessChanges: { total: accessChanges.length, listed: accessChanges },
    alertDeliveries: [
      {
        channel: "email",
        destination: "oncall@acme.example",
        delivered: 41,
        failed: 0,
        lastFailureAt: null,
        lastError: null,
      },
      {
        channel: "slack",
        destination: "#incidents",
        delivered: 38,
        failed: 2,
        lastFailureAt: new Date("2026-03-19T04:12:00Z"),
        lastError: "HTTP 503 from hooks.slack.com (retried)",
      },
    ],
    notes: EVIDENCE_METHOD_NOTES,
  };
}
