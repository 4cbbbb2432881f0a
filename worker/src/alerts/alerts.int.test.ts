/**
 * Alerts end to end on real Postgres and real Redis (BullMQ, own queue prefix): batches go
 * through processBatch, rules are evaluated, deliveries travel through the alerts queue to a
 * loopback webhook receiver and a loopback SMTP sink, which count what arrives.
 */
import { randomBytes } from "node:crypto";
import { type ErrorEvent, testAlertMessage } from "@codewarden/common";
import {
  type AlertChannelConfig,
  type AlertChannelKind,
  createAlertChannel,
  createAlertDeliveries,
  createAlertRule,
  ensureBootstrap,
  issueHourlyCounts,
  issues,
  listAlertDeliveries,
  type NewAlertRule,
  projects,
  retryAlertDelivery,
  updateAlertChannel,
} from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../drizzle/src/testing";
import { processBatch } from "../process-batch";
import { errorEvent, nodeTrace } from "../testing";
import { type RunningBullmqAlerts, startBullmqAlerts } from "./queue";
import { createAlertSender } from "./send";
import { verifyWebhookSignature } from "./signature";
import { startAlertSweep } from "./sweep";
import { type SmtpSink, startSmtpSink, startWebhookReceiver, type WebhookReceiver } from "./test-receivers";

const logger = pino({ level: "silent" });
const REDIS_URL = "redis://127.0.0.1:6379";
const PUBLIC_URL = "https://codewarden.example.test";
const SECRET = "whsec_test_0123456789";
const DIGEST_WINDOW_MS = 4_000;
const DIGEST_GRACE_MS = 500;

async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("alerts (Postgres + BullMQ)", () => {
  let t: TestDatabase;
  let orgId: string;
  let adminUserId: string;
  let alerts: RunningBullmqAlerts;
  let hook: WebhookReceiver;
  let slack: WebhookReceiver;
  let failing: WebhookReceiver;
  let smtp: SmtpSink;
  const prefix = `cw-test-alerts-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    t = await createTestDatabase();
    const boot = await ensureBootstrap(t.handle.db, { adminEmail: "admin@localhost" });
    orgId = boot.orgId;
    adminUserId = boot.adminUserId;
    [hook, slack, failing, smtp] = await Promise.all([
      startWebhookReceiver(),
      startWebhookReceiver(),
      startWebhookReceiver(500),
      startSmtpSink(),
    ]);
    alerts = await startBullmqAlerts(
      { redisUrl: REDIS_URL, prefix, attempts: 3, backoffMs: 50 },
      {
        db: t.handle.db,
        logger,
        publicUrl: PUBLIC_URL,
        sender: createAlertSender({
          smtpUrl: smtp.url,
          smtpFrom: "alerts@example.test",
          timeoutMs: 5_000,
          logger,
        }),
      },
    );
  });

  afterAll(async () => {
    await alerts?.close();
    await Promise.all([hook?.close(), slack?.close(), failing?.close(), smtp?.close()]);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t?.drop();
  });

  const actor = () => ({ userId: adminUserId, ip: null });

  async function newProject(): Promise<string> {
    const slug = `p-${randomBytes(4).toString("hex")}`;
    const [row] = await t.handle.db
      .insert(projects)
      .values({ orgId, slug, name: `Project ${slug}` })
      .returning({ id: projects.id });
    return row!.id;
  }

  async function channel(projectId: string, kind: AlertChannelKind, config: AlertChannelConfig) {
    return (
      await createAlertChannel(t.handle.db, { orgId, projectId, name: kind, kind, config, actor: actor() })
    ).id;
  }

  /** A pending "test" delivery to `channelId` for a project named `project`; its id. */
  async function testDelivery(projectId: string, channelId: string, project: string): Promise<string> {
    const [deliveryId] = await createAlertDeliveries(t.handle.db, [
      { projectId, channelId, ruleId: null, issueId: null, kind: "test", payload: testAlertMessage(project) },
    ]);
    return deliveryId!;
  }

  async function rule(
    projectId: string,
    r: Partial<NewAlertRule> & Pick<NewAlertRule, "kind" | "channelIds">,
  ) {
    const full: NewAlertRule = {
      name: `${r.kind} rule`,
      windowMinutes: 60,
      spikeCount: null,
      spikeFactor: null,
      environment: null,
      service: null,
      digest: false,
      ...r,
    };
    return (await createAlertRule(t.handle.db, { orgId, projectId, rule: full, actor: actor() })).id;
  }

  const alertDeps = () => ({
    queue: alerts.queue,
    publicUrl: PUBLIC_URL,
    digestWindowMs: DIGEST_WINDOW_MS,
    digestGraceMs: DIGEST_GRACE_MS,
  });

  /** Events of one bug (a distinct stack per `bug`), timestamped now. */
  function bugEvent(bug: string, seed: string, overrides: Partial<ErrorEvent> = {}): ErrorEvent {
    return errorEvent({
      seed,
      timestamp: new Date().toISOString(),
      exceptionType: `Bug${bug}Error`,
      message: `bug ${bug} happened`,
      stacktrace: nodeTrace(`Bug${bug}Error`, "x", `handler${bug}`, `bug-${bug}.ts`, 10),
      ...overrides,
    });
  }

  const job = (projectId: string, errors: ErrorEvent[]) => ({
    v: 1 as const,
    projectId,
    receivedAt: new Date().toISOString(),
    errors,
  });

  const store = (projectId: string, errors: ErrorEvent[]) =>
    processBatch(t.handle.db, job(projectId, errors), { logger, alerts: alertDeps() });

  const bodiesFor = (r: WebhookReceiver, projectName: string) =>
    r.requests.map((q) => JSON.parse(q.body)).filter((b) => JSON.stringify(b).includes(projectName));

  it("a burst of 10,000 events over 3 new issues sends exactly 3 alerts per channel, plus one digest when the rule asks", async () => {
    const projectId = await newProject();
    const webhookId = await channel(projectId, "webhook", { url: hook.url, secret: SECRET });
    const slackId = await channel(projectId, "slack", { url: slack.url });
    const emailId = await channel(projectId, "email", { addresses: ["oncall@example.test"] });
    await rule(projectId, { kind: "new_issue", channelIds: [webhookId, emailId] });
    await rule(projectId, { kind: "new_issue", channelIds: [slackId], digest: true, name: "digest rule" });
    const projectName = (await t.handle.db.select().from(projects).where(eq(projects.id, projectId)))[0]!
      .name;

    // Start right after a digest window opened, so the whole burst falls in one window.
    while (Date.now() % DIGEST_WINDOW_MS > 200) await sleep(10);
    const events = Array.from({ length: 10_000 }, (_, i) =>
      bugEvent("ABC"[i % 3]!, `burst-${projectId}-${i}`),
    );
    const jobs = Array.from({ length: 10 }, (_, j) => events.slice(j * 1000, (j + 1) * 1000));
    // Several batches at once, like several workers.
    await Promise.all(jobs.map((errors) => store(projectId, errors)));

    const stored = await t.handle.db.select().from(issues).where(eq(issues.projectId, projectId));
    expect(stored).toHaveLength(3);
    expect(stored.reduce((n, i) => n + i.eventCount, 0)).toBe(10_000);

    await until("3 webhook alerts", () => bodiesFor(hook, projectName).length >= 3);
    await until("3 emails", () => smtp.messages.filter((m) => m.raw.includes(projectName)).length >= 3);
    await until("3 slack alerts and a digest", () => bodiesFor(slack, projectName).length >= 4, 20_000);
    // Nothing more arrives (the digest window, its grace and some retries have passed).
    await sleep(DIGEST_WINDOW_MS + DIGEST_GRACE_MS + 500);

    const webhookBodies = bodiesFor(hook, projectName);
    expect(webhookBodies).toHaveLength(3);
    expect(webhookBodies.map((b) => b.issues[0].id).sort()).toEqual(stored.map((i) => i.id).sort());
    for (const b of webhookBodies) {
      expect(b).toMatchObject({ type: "codewarden.alert", reason: "new", project: projectName });
      expect(b.issues[0].url).toBe(`${PUBLIC_URL}/issues/${b.issues[0].id}`);
      // The heuristic summary written for the new issue travels with its alert.
      expect(typeof b.issues[0].summary).toBe("string");
    }
    expect(smtp.messages.filter((m) => m.raw.includes(projectName))).toHaveLength(3);
    const slackBodies = bodiesFor(slack, projectName);
    expect(slackBodies).toHaveLength(4);
    const digest = slackBodies.filter((b) => b.text.includes("3 issues fired"));
    expect(digest).toHaveLength(1);
    for (const i of stored) expect(JSON.stringify(digest[0])).toContain(`${PUBLIC_URL}/issues/${i.id}`);

    const deliveries = await listAlertDeliveries(t.handle.db, { projectId });
    expect(deliveries).toHaveLength(10);
    expect(deliveries.every((d) => d.status === "sent" && d.attempts === 1)).toBe(true);
  });

  it("signs webhook bodies with the channel secret (X-CodeWarden-Signature)", () => {
    const signed = hook.requests.filter((r) => r.headers["x-codewarden-signature"]);
    expect(signed.length).toBeGreaterThan(0);
    for (const r of signed) {
      const header = r.headers["x-codewarden-signature"] as string;
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(SECRET, r.body, header)).toBe(true);
      expect(verifyWebhookSignature("another secret", r.body, header)).toBe(false);
      expect(verifyWebhookSignature(SECRET, `${r.body} `, header)).toBe(false);
    }
  });

  it("more than 5 issues at once: 5 alerts, then one digest of the rest", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      await rule(projectId, { kind: "new_issue", channelIds: [hookId] });
      while (Date.now() % DIGEST_WINDOW_MS > 200) await sleep(10);
      await store(
        projectId,
        Array.from({ length: 8 }, (_, i) => bugEvent(`Many${i}`, `many-${projectId}-${i}`)),
      );
      await until("5 alerts and a digest", () => receiver.requests.length >= 6, 20_000);
      await sleep(500);
      const bodies = receiver.requests.map((r) => JSON.parse(r.body));
      expect(bodies.filter((b) => b.type === "codewarden.alert")).toHaveLength(5);
      const digests = bodies.filter((b) => b.type === "codewarden.digest");
      expect(digests).toHaveLength(1);
      expect(digests[0].issues).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it("a regression rule fires when a resolved issue comes back", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      await rule(projectId, { kind: "regression", channelIds: [hookId] });
      await store(projectId, [bugEvent("R", `reg-${projectId}-1`)]);
      const [issue] = await t.handle.db.select().from(issues).where(eq(issues.projectId, projectId));
      await t.handle.db
        .update(issues)
        .set({ status: "resolved", resolution: "now", resolvedAt: new Date() })
        .where(eq(issues.id, issue!.id));
      await sleep(300);
      expect(receiver.requests).toHaveLength(0);
      await store(projectId, [bugEvent("R", `reg-${projectId}-2`)]);
      await until("the regression alert", () => receiver.requests.length >= 1);
      const body = JSON.parse(receiver.requests[0]!.body);
      expect(body).toMatchObject({ reason: "regressed", issues: [{ id: issue!.id }] });
    } finally {
      await receiver.close();
    }
  });

  it("a spike rule fires once per window when the window's events reach N", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      await rule(projectId, { kind: "spike", channelIds: [hookId], spikeCount: 50, windowMinutes: 60 });
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => bugEvent("S", `spike-${projectId}-${from + i}`));
      await store(projectId, batch(0, 30));
      await sleep(300);
      expect(receiver.requests).toHaveLength(0);
      await store(projectId, batch(30, 30));
      await until("the spike alert", () => receiver.requests.length >= 1);
      await store(projectId, batch(60, 100));
      await store(projectId, batch(160, 100));
      await sleep(500);
      expect(receiver.requests).toHaveLength(1);
      const body = JSON.parse(receiver.requests[0]!.body);
      expect(body).toMatchObject({ reason: "spike", issues: [{ windowCount: 60 }] });
    } finally {
      await receiver.close();
    }
  });

  it("a spike rule with a factor fires above k times the usual rate of the stored hourly counts, not below", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => bugEvent("K", `factor-${projectId}-${from + i}`));
      await store(projectId, batch(0, 1));
      const [issue] = await t.handle.db.select().from(issues).where(eq(issues.projectId, projectId));
      // The week before: 160 hours of 21 events (3,360 in the 168-hour baseline, 20 an hour),
      // clear of the window's hours even when the clock turns an hour during the test.
      const hourMs = 3_600_000;
      const thisHour = Math.floor(Date.now() / hourMs) * hourMs;
      await t.handle.db.insert(issueHourlyCounts).values(
        Array.from({ length: 160 }, (_, i) => ({
          issueId: issue!.id,
          hour: new Date(thisHour - (i + 3) * hourMs),
          count: 21,
        })),
      );
      // k = 2 over a one-hour window: more than 40 events.
      await rule(projectId, { kind: "spike", channelIds: [hookId], spikeFactor: 2, windowMinutes: 60 });
      await store(projectId, batch(1, 39));
      await sleep(500);
      // 40 in the window: a spike only against a baseline of nothing.
      expect(receiver.requests).toHaveLength(0);
      await store(projectId, batch(40, 1));
      await until("the spike alert", () => receiver.requests.length >= 1);
      await sleep(300);
      expect(receiver.requests).toHaveLength(1);
      const body = JSON.parse(receiver.requests[0]!.body);
      expect(body).toMatchObject({ reason: "spike", issues: [{ id: issue!.id, windowCount: 41 }] });
    } finally {
      await receiver.close();
    }
  });

  it("sends no alert for an ignored issue", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      // Two issues exist before the rule does.
      await store(projectId, [bugEvent("I", `ign-${projectId}-1`), bugEvent("J", `ign-${projectId}-2`)]);
      const rows = await t.handle.db.select().from(issues).where(eq(issues.projectId, projectId));
      const ignored = rows.find((r) => r.exceptionType === "BugIError")!;
      const watched = rows.find((r) => r.exceptionType === "BugJError")!;
      await t.handle.db.update(issues).set({ status: "ignored" }).where(eq(issues.id, ignored.id));
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      await rule(projectId, { kind: "spike", channelIds: [hookId], spikeCount: 1 });
      await store(projectId, [bugEvent("I", `ign-${projectId}-3`), bugEvent("J", `ign-${projectId}-4`)]);
      await until("the alert of the watched issue", () => receiver.requests.length >= 1);
      await sleep(300);
      expect(receiver.requests.map((r) => JSON.parse(r.body).issues[0].id)).toEqual([watched.id]);
    } finally {
      await receiver.close();
    }
  });

  it("filters by environment and service", async () => {
    const projectId = await newProject();
    const receiver = await startWebhookReceiver();
    try {
      const hookId = await channel(projectId, "webhook", { url: receiver.url });
      await rule(projectId, {
        kind: "new_issue",
        channelIds: [hookId],
        environment: "production",
        service: "api",
      });
      const resource = (environment: string, serviceName: string) => ({
        ...errorEvent({ seed: "r" }).resource,
        environment,
        serviceName,
      });
      await store(projectId, [
        bugEvent("Stg", `f-${projectId}-1`, { resource: resource("staging", "api") }),
        bugEvent("Prod", `f-${projectId}-2`, { resource: resource("production", "api") }),
        bugEvent("Wrk", `f-${projectId}-3`, { resource: resource("production", "worker") }),
      ]);
      await until("one alert", () => receiver.requests.length >= 1);
      await sleep(300);
      expect(receiver.requests).toHaveLength(1);
      const body = JSON.parse(receiver.requests[0]!.body);
      expect(body.issues[0]).toMatchObject({
        title: expect.stringContaining("BugProdError"),
        environments: ["production"],
        services: ["api"],
      });
    } finally {
      await receiver.close();
    }
  });

  it("retries a receiver that answers 500, then records one dead delivery", async () => {
    const projectId = await newProject();
    const before = failing.requests.length;
    const hookId = await channel(projectId, "webhook", { url: failing.url });
    await rule(projectId, { kind: "new_issue", channelIds: [hookId] });
    await store(projectId, [bugEvent("Dead", `dead-${projectId}-1`)]);
    await until("a dead delivery", async () => {
      const dead = await listAlertDeliveries(t.handle.db, { projectId, status: "dead" });
      return dead.length === 1;
    });
    const [dead] = await listAlertDeliveries(t.handle.db, { projectId });
    expect(dead).toMatchObject({ status: "dead", attempts: 3, lastError: "endpoint answered 500" });
    expect(failing.requests.length - before).toBe(3);
  });

  it("delivers a test message to a channel", async () => {
    const projectId = await newProject();
    const emailId = await channel(projectId, "email", { addresses: ["test-send@example.test"] });
    const deliveryId = await testDelivery(projectId, emailId, "Test project");
    await alerts.queue.enqueue([{ v: 1, kind: "delivery", deliveryId }]);
    await until("the test email", () => smtp.messages.some((m) => m.to.includes("test-send@example.test")));
    const mail = smtp.messages.find((m) => m.to.includes("test-send@example.test"))!;
    expect(mail.raw).toContain("Test notification from CodeWarden");
    await until("the delivery recorded as sent", async () => {
      const [d] = await listAlertDeliveries(t.handle.db, { projectId });
      return d?.status === "sent";
    });
  });

  it("the sweep sends a delivery left pending (a test recorded by a web process without a queue)", async () => {
    const projectId = await newProject();
    const hookId = await channel(projectId, "webhook", { url: hook.url });
    const before = hook.requests.length;
    const deliveryId = await testDelivery(projectId, hookId, "Swept");
    const sweep = startAlertSweep(t.handle.db, alerts.queue, logger, { staleAfterMs: 0, intervalMs: 60_000 });
    try {
      expect(await sweep.runOnce()).toBeGreaterThanOrEqual(1);
    } finally {
      await sweep.stop();
    }
    await until("the swept test", () => hook.requests.length > before);
    const body = JSON.parse(hook.requests.at(-1)!.body);
    expect(body).toMatchObject({ type: "codewarden.test", id: deliveryId, project: "Swept" });
  });

  it("the sweep sends a dead delivery retried by hand under a new job id (the dead job's is still held)", async () => {
    const projectId = await newProject();
    const hookId = await channel(projectId, "webhook", { url: failing.url });
    const deliveryId = await testDelivery(projectId, hookId, "Again");
    await alerts.queue.enqueue([{ v: 1, kind: "delivery", deliveryId }]);
    await until("the dead delivery", async () => {
      const [d] = await listAlertDeliveries(t.handle.db, { projectId });
      return d?.status === "dead";
    });
    // The receiver is fixed; the delivery is put back to pending, as if the web's enqueue was lost.
    await updateAlertChannel(t.handle.db, {
      orgId,
      projectId,
      channelId: hookId,
      name: "fixed",
      kind: "webhook",
      config: { url: hook.url },
      actor: actor(),
    });
    expect(await retryAlertDelivery(t.handle.db, { orgId, projectId, deliveryId, actor: actor() })).toEqual({
      id: deliveryId,
      attempts: 3,
    });
    const before = hook.requests.length;
    const sweep = startAlertSweep(t.handle.db, alerts.queue, logger, { staleAfterMs: 0, intervalMs: 60_000 });
    try {
      expect(await sweep.runOnce()).toBeGreaterThanOrEqual(1);
    } finally {
      await sweep.stop();
    }
    await until("the retried delivery", () => hook.requests.length > before);
    expect(JSON.parse(hook.requests.at(-1)!.body)).toMatchObject({ id: deliveryId, project: "Again" });
    await until("the delivery recorded as sent", async () => {
      const [d] = await listAlertDeliveries(t.handle.db, { projectId });
      return d?.status === "sent" && d.attempts === 4;
    });
  });
});
