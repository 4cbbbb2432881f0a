/**
 * The all-in-one path: embedded PGlite and the in-process alerts queue (no Redis), with a
 * loopback webhook receiver and the dev mailer (no SMTP_URL) standing in for the world.
 */
import {
  type Actor,
  createAlertChannel,
  createAlertRule,
  type DbHandle,
  ensureBootstrap,
  issues,
  listAlertChannels,
  listAlertDeliveries,
  listAlertRules,
  listAuditLog,
  retryAlertDelivery,
  updateAlertChannel,
  updateAlertRule,
} from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPglite } from "../../../drizzle/src/testing";
import { processBatch } from "../process-batch";
import { errorEvent, nodeTrace } from "../testing";
import { createInProcessAlerts, type InProcessAlertQueue } from "./in-process-queue";
import { createAlertSender } from "./send";
import { startWebhookReceiver, type WebhookReceiver } from "./test-receivers";

const logger = pino({ level: "silent" });
const PUBLIC_URL = "http://localhost:3000";

describe("alerts (PGlite + in-process queue)", () => {
  let handle: DbHandle;
  let queue: InProcessAlertQueue;
  let hook: WebhookReceiver;
  let failing: WebhookReceiver;
  const printed: string[] = [];
  let projectId: string;
  let base: { orgId: string; projectId: string; actor: Actor };

  beforeAll(async () => {
    handle = await createTestPglite();
    const boot = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" });
    projectId = boot.projectId;
    [hook, failing] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(503)]);
    queue = createInProcessAlerts({
      db: handle.db,
      logger,
      publicUrl: PUBLIC_URL,
      attempts: 2,
      backoffMs: 20,
      sender: createAlertSender({ smtpFrom: "cw@localhost", logger, write: (l) => printed.push(l) }),
    });
    base = { orgId: boot.orgId, projectId, actor: { userId: boot.adminUserId, ip: null } };
    const hookId = (
      await createAlertChannel(handle.db, {
        ...base,
        name: "hook",
        kind: "webhook",
        config: { url: hook.url, secret: "0123456789abcdef" },
      })
    ).id;
    const mailId = (
      await createAlertChannel(handle.db, {
        ...base,
        name: "mail",
        kind: "email",
        config: { addresses: ["dev@localhost"] },
      })
    ).id;
    const downId = (
      await createAlertChannel(handle.db, {
        ...base,
        name: "down",
        kind: "slack",
        config: { url: failing.url },
      })
    ).id;
    await createAlertRule(handle.db, {
      ...base,
      rule: {
        name: "new",
        kind: "new_issue",
        windowMinutes: 60,
        spikeCount: null,
        spikeFactor: null,
        environment: null,
        service: null,
        digest: false,
        channelIds: [hookId, mailId, downId],
      },
    });
  });

  afterAll(async () => {
    await queue?.close();
    await Promise.all([hook?.close(), failing?.close()]);
    await handle?.close();
  });

  it("delivers one alert per new issue, prints the email without SMTP, and records dead deliveries", async () => {
    const events = Array.from({ length: 2000 }, (_, i) =>
      errorEvent({
        seed: `aio-${i}`,
        timestamp: new Date().toISOString(),
        exceptionType: i % 2 ? "OddError" : "EvenError",
        stacktrace: nodeTrace(i % 2 ? "OddError" : "EvenError", "x", i % 2 ? "odd" : "even", "n.ts", 3),
      }),
    );
    const deps = { logger, alerts: { queue, publicUrl: PUBLIC_URL } };
    for (let j = 0; j < 4; j++) {
      const errors = events.slice(j * 500, (j + 1) * 500);
      await processBatch(handle.db, { v: 1, projectId, receivedAt: new Date().toISOString(), errors }, deps);
    }
    await queue.drain();

    const stored = await handle.db.select().from(issues).where(eq(issues.projectId, projectId));
    expect(stored).toHaveLength(2);
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests.map((r) => JSON.parse(r.body).issues[0].url).sort()).toEqual(
      stored.map((i) => `${PUBLIC_URL}/issues/${i.id}`).sort(),
    );
    const mails = printed.filter((l) => l.startsWith("[codewarden] alert email to dev@localhost"));
    expect(mails).toHaveLength(2);
    expect(mails.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1)).toBe(true);
    // The 503 endpoint: two attempts each, then dead.
    expect(failing.requests).toHaveLength(4);
    const dead = await listAlertDeliveries(handle.db, { projectId, status: "dead" });
    expect(dead).toHaveLength(2);
    expect(dead.every((d) => d.attempts === 2 && d.lastError === "endpoint answered 503")).toBe(true);
    expect(await listAlertDeliveries(handle.db, { projectId, status: "sent" })).toHaveLength(4);
  });

  it("edits a rule and a channel in place and sends dead deliveries retried by hand", async () => {
    const [rule] = await listAlertRules(handle.db, { projectId });
    const channels = await listAlertChannels(handle.db, { projectId });
    const hookId = channels.find((c) => c.name === "hook")!.id;
    const downId = channels.find((c) => c.name === "down")!.id;
    const { id: ruleId, createdAt: _createdAt, enabled: _enabled, ...fields } = rule!;
    const edited = { ...fields, name: "new, hook only", windowMinutes: 30, channelIds: [hookId] };
    expect(await updateAlertRule(handle.db, { ...base, ruleId, rule: edited })).toBe(true);
    expect(await listAlertRules(handle.db, { projectId })).toMatchObject([{ id: ruleId, ...edited }]);
    const fixed = { name: "down", kind: "slack" as const, config: { url: hook.url } };
    expect(await updateAlertChannel(handle.db, { ...base, channelId: downId, ...fixed })).toBe(true);

    const dead = await listAlertDeliveries(handle.db, { projectId, status: "dead" });
    const before = hook.requests.length;
    for (const d of dead) {
      const retried = await retryAlertDelivery(handle.db, { ...base, deliveryId: d.id });
      expect(retried).toEqual({ id: d.id, attempts: 2 });
      await queue.enqueue([{ v: 1, kind: "delivery", deliveryId: d.id, retry: retried!.attempts }]);
    }
    await queue.drain();
    expect(hook.requests.length).toBe(before + 2);
    expect(await listAlertDeliveries(handle.db, { projectId, status: "sent" })).toHaveLength(6);
    const actions = (await listAuditLog(handle.db, { orgId: base.orgId })).map((a) => a.action);
    expect(actions.filter((a) => a === "alert_delivery.retried")).toHaveLength(2);
    expect(actions).toContain("alert_rule.updated");
    expect(actions).toContain("alert_channel.updated");
  });
});
