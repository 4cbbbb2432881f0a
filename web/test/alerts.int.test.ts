import { createHmac } from "node:crypto";
import { type Db, listAuditLog, schema } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, signedIn } from "./accounts-helpers";
import { inProcessAlerts, type Receiver, startWebhookReceiver, type TestAlertQueue } from "./alerts-helpers";
import { seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

const ALERTS = "/settings/orgs/default/projects/default/alerts";
const logger = pino({ level: "silent" });

let t: TestWeb;
let owner: Client;
let viewer: Client;
let ok: Receiver;
let down: Receiver;
let queue: TestAlertQueue | null = null;

beforeAll(async () => {
  const alerts = await inProcessAlerts(logger);
  [ok, down] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(500)]);
  t = await startTestWeb({}, { alerts: (db) => (queue = alerts(db)) });
  owner = await signedIn(t);
  await seedMember(t.db, t.boot.orgId, "viewer@example.com");
  viewer = await signedIn(t, "viewer@example.com");
});

afterAll(async () => {
  await queue?.close();
  await Promise.all([ok?.close(), down?.close()]);
  await t?.close();
});

const channelsOf = (db: Db) =>
  db.select().from(schema.alertChannels).where(eq(schema.alertChannels.projectId, t.boot.projectId));

describe("Alerts settings page", () => {
  let secret: string;
  let channelId: string;

  it("is linked from the projects page and shows empty lists", async () => {
    const projects = await (await owner.get("/settings/orgs/default/projects")).text();
    expect(projects).toContain(`href="${ALERTS}"`);
    const res = await owner.get(ALERTS);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Alert channels of");
    expect(html).toContain("No channels yet.");
  });

  it("owners add a signed webhook channel: the generated secret is shown once, audit-logged without it", async () => {
    const res = await owner.post(ALERTS, {
      intent: "create-channel",
      name: "ops hook",
      kind: "webhook",
      url: ok.url,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    secret = /(whsec_[A-Za-z0-9_-]{32})/.exec(html)?.[1] ?? "";
    expect(secret).not.toBe("");
    const [row] = await channelsOf(t.db);
    expect(row).toMatchObject({ name: "ops hook", kind: "webhook", config: { url: ok.url, secret } });
    channelId = row!.id;
    // The page afterwards never shows the secret, nor the URL's path (often a token).
    const page = await (await owner.get(ALERTS)).text();
    expect(page).not.toContain(secret);
    expect(page).toContain(`${new URL(ok.url).origin}/…`);
    expect(page).not.toContain(ok.url);
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: channelId });
    expect(audit.map((a) => a.action)).toEqual(["alert_channel.created"]);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it("refuses non-http(s) URLs, bad addresses, missing CSRF tokens and non-owners", async () => {
    for (const fields of <Array<Record<string, string>>>[
      { kind: "slack", url: "file:///etc/passwd" },
      { kind: "webhook", url: "javascript:alert(1)" },
      { kind: "email", addresses: "not an address" },
    ]) {
      const res = await owner.post(ALERTS, { intent: "create-channel", name: "bad", ...fields });
      expect(res.status).toBe(400);
    }
    expect(
      (await owner.postWithoutToken(ALERTS, { intent: "create-channel", name: "x", kind: "slack" })).status,
    ).toBe(403);
    const res = await viewer.post(ALERTS, {
      intent: "create-channel",
      name: "mine",
      kind: "slack",
      url: ok.url,
    });
    expect(res.status).toBe(403);
    expect(await channelsOf(t.db)).toHaveLength(1);
    // Members see the page.
    expect((await viewer.get(ALERTS)).status).toBe(200);
  });

  it("another organisation's owner cannot see or change this project's alerts", async () => {
    const other = await seedOtherOrg(t.db);
    const otherOwner = await signedIn(t, other.email);
    expect((await otherOwner.get(ALERTS)).status).toBe(404);
    const res = await otherOwner.post(ALERTS, { intent: "delete-channel", channelId });
    expect([403, 404]).toContain(res.status);
    expect(await channelsOf(t.db)).toHaveLength(1);
  });

  it("owners add a rule for the channel (audit-logged)", async () => {
    const res = await owner.post(ALERTS, {
      intent: "create-rule",
      name: "prod spikes",
      kind: "spike",
      windowMinutes: "30",
      spikeCount: "100",
      spikeFactor: "",
      environment: "production",
      service: "",
      digest: "on",
      channelIds: channelId,
    });
    expect(res.status).toBe(200);
    const [rule] = await t.db.select().from(schema.alertRules);
    expect(rule).toMatchObject({
      name: "prod spikes",
      kind: "spike",
      windowMinutes: 30,
      spikeCount: 100,
      spikeFactor: null,
      environment: "production",
      service: null,
      digest: true,
      enabled: true,
    });
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: rule!.id });
    expect(audit.map((a) => a.action)).toEqual(["alert_rule.created"]);
    const html = await (await owner.get(ALERTS)).text();
    expect(html).toContain("≥ 100 events");
    // A spike rule without a threshold is refused.
    const bad = await owner.post(ALERTS, {
      intent: "create-rule",
      name: "x",
      kind: "spike",
      channelIds: channelId,
    });
    expect(bad.status).toBe(400);
  });

  it("owners edit a rule in place: same id, its notification history kept, audit-logged", async () => {
    const [before] = await t.db.select().from(schema.alertRules);
    const ruleId = before!.id;
    // A notification the rule already sent (its ledger row must survive the edit).
    await t.db
      .insert(schema.alertNotifications)
      .values({ ruleId, issueId: null, windowStart: new Date(), reason: "digest" });
    const edit = (fields: Record<string, string>) =>
      owner.post(ALERTS, {
        intent: "update-rule",
        ruleId,
        name: "api spikes",
        kind: "spike",
        windowMinutes: "120",
        spikeCount: "",
        spikeFactor: "3.5",
        environment: "",
        service: "api",
        channelIds: channelId,
        ...fields,
      });

    const res = await edit({});
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Rule api spikes updated.");
    const rules = await t.db.select().from(schema.alertRules);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      id: ruleId,
      name: "api spikes",
      kind: "spike",
      windowMinutes: 120,
      spikeCount: null,
      spikeFactor: 3.5,
      environment: null,
      service: "api",
      digest: false,
      enabled: true,
    });
    const links = await t.db
      .select()
      .from(schema.alertRuleChannels)
      .where(eq(schema.alertRuleChannels.ruleId, ruleId));
    expect(links.map((l) => l.channelId)).toEqual([channelId]);
    const ledger = await t.db
      .select()
      .from(schema.alertNotifications)
      .where(eq(schema.alertNotifications.ruleId, ruleId));
    expect(ledger).toHaveLength(1);

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: ruleId });
    expect(audit.map((a) => a.action)).toEqual(["alert_rule.updated", "alert_rule.created"]);
    expect(audit[0]!.metadata).toMatchObject({
      name: "api spikes",
      spikeFactor: 3.5,
      channelIds: [channelId],
      previous: { name: "prod spikes", spikeCount: 100, environment: "production", digest: true },
    });

    // The list shows the new condition; the Edit form is filled with the current values.
    const html = await (await owner.get(ALERTS)).text();
    expect(html).toContain("3.5× the usual rate · in 120 min · service api");
    expect(html).toContain(`id="rule-${ruleId}-factor"`);
    expect(html).toMatch(new RegExp(`id="rule-${ruleId}-service"[^>]*value="api"`));
  });

  it("a rule edit is validated like a new rule, and only its project's owners may make it", async () => {
    const [rule] = await t.db.select().from(schema.alertRules);
    const fields = {
      intent: "update-rule",
      ruleId: rule!.id,
      name: "x",
      kind: "spike",
      windowMinutes: "60",
      channelIds: channelId,
    };
    for (const [bad, message] of <Array<[Record<string, string>, string]>>[
      [{}, "A spike rule needs a number of events, a factor over the usual rate, or both."],
      [{ spikeCount: "10", windowMinutes: "3" }, "The window is 5 to 1440 minutes."],
      [{ spikeCount: "10", channelIds: "" }, "Choose at least one channel for the rule."],
      [{ spikeCount: "10", name: " " }, "Enter a name for the rule."],
    ]) {
      const res = await owner.post(ALERTS, { ...fields, ...bad });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(message);
    }
    const ok10 = { ...fields, spikeCount: "10" };
    expect((await viewer.post(ALERTS, ok10)).status).toBe(403);
    expect((await owner.postWithoutToken(ALERTS, ok10)).status).toBe(403);
    const other = await signedIn(t, (await seedOtherOrg(t.db)).email);
    expect([403, 404]).toContain((await other.post(ALERTS, ok10)).status);
    expect(
      (await owner.post(ALERTS, { ...ok10, ruleId: "00000000-0000-4000-8000-000000000000" })).status,
    ).toBe(404);
    // Nothing changed.
    const [after] = await t.db.select().from(schema.alertRules);
    expect(after).toEqual(rule);
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: rule!.id });
    expect(audit.filter((a) => a.action === "alert_rule.updated")).toHaveLength(1);
  });

  it("Send test delivers a signed test message and says so", async () => {
    const before = ok.requests.length;
    const res = await owner.post(ALERTS, { intent: "test-channel", channelId });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Test sent to ops hook.");
    expect(ok.requests.length).toBe(before + 1);
    const req = ok.requests.at(-1)!;
    expect(JSON.parse(req.body)).toMatchObject({ type: "codewarden.test", reason: "test" });
    const [, ts, v1] =
      /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers["x-codewarden-signature"])) ?? [];
    expect(v1).toBe(createHmac("sha256", secret).update(`${ts}.${req.body}`).digest("hex"));
  });

  it("owners edit a channel: an empty URL or secret keeps the current one, never shown", async () => {
    const edit = (fields: Record<string, string>, client = owner) =>
      client.post(ALERTS, {
        intent: "update-channel",
        channelId,
        name: "ops hook (signed)",
        kind: "webhook",
        url: "",
        secret: "",
        ...fields,
      });
    expect((await edit({}, viewer)).status).toBe(403);
    expect((await edit({ secret: "short" })).status).toBe(400);
    const badUrl = await edit({ url: "javascript:alert(1)" });
    expect(badUrl.status).toBe(400);
    expect(await badUrl.text()).toContain("Enter the webhook&#x27;s http:// or https:// URL");
    expect((await channelsOf(t.db))[0]).toMatchObject({ name: "ops hook" });

    const res = await edit({});
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Channel ops hook (signed) updated.");
    expect(html).not.toContain(secret);
    const [row] = await channelsOf(t.db);
    expect(row).toMatchObject({
      id: channelId,
      name: "ops hook (signed)",
      kind: "webhook",
      config: { url: ok.url, secret },
    });
    const page = await (await owner.get(ALERTS)).text();
    expect(page).toContain(`id="channel-${channelId}-secret"`);
    expect(page).not.toContain(secret);
    expect(page).not.toContain(ok.url);

    // A new secret replaces it; the audit log says so without holding either.
    const rotated = "whsec_rotated_0123456789abcdef";
    expect((await edit({ secret: rotated })).status).toBe(200);
    expect((await channelsOf(t.db))[0]!.config).toEqual({ url: ok.url, secret: rotated });
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: channelId });
    expect(audit.map((a) => a.action)).toEqual([
      "alert_channel.updated",
      "alert_channel.updated",
      "alert_channel.created",
    ]);
    expect(audit.map((a) => a.metadata.secretChanged)).toEqual([true, false, undefined]);
    expect(audit[1]!.metadata).toMatchObject({ name: "ops hook (signed)", previous: { name: "ops hook" } });
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain(rotated);
    // The test message is signed with the new secret.
    await owner.post(ALERTS, { intent: "test-channel", channelId });
    const req = ok.requests.at(-1)!;
    const [, ts, v1] =
      /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers["x-codewarden-signature"])) ?? [];
    expect(v1).toBe(createHmac("sha256", rotated).update(`${ts}.${req.body}`).digest("hex"));
  });

  it("a failing channel's test shows the error, and the dead delivery is listed with it", async () => {
    await owner.post(ALERTS, { intent: "create-channel", name: "broken", kind: "slack", url: down.url });
    const broken = (await channelsOf(t.db)).find((c) => c.name === "broken")!;
    const res = await owner.post(ALERTS, { intent: "test-channel", channelId: broken.id });
    expect(await res.text()).toContain("Test to broken failed: endpoint answered 500.");
    const html = await (await owner.get(ALERTS)).text();
    expect(html).toMatch(/data-status="dead"/);
    expect(html).toContain("endpoint answered 500");
    expect(html).toMatch(/data-status="sent"/);
  });

  it("lists failed deliveries on their own, and owners retry one through the alerts queue", async () => {
    const broken = (await channelsOf(t.db)).find((c) => c.name === "broken")!;
    const [dead] = await t.db
      .select()
      .from(schema.alertDeliveries)
      .where(eq(schema.alertDeliveries.channelId, broken.id));
    expect(dead).toMatchObject({ status: "dead", attempts: 1 });

    const failed = await owner.get(`${ALERTS}?status=dead`);
    expect(failed.status).toBe(200);
    const html = await failed.text();
    expect(html).toContain("Failed deliveries");
    expect(html).toMatch(/data-status="dead"/);
    expect(html).not.toMatch(/data-status="sent"/);
    expect(html).toContain('aria-label="Retry delivery to broken"');
    // Members see the list, without the button.
    expect(await (await viewer.get(`${ALERTS}?status=dead`)).text()).not.toContain("Retry delivery");
    expect((await owner.get(`${ALERTS}?status=lost`)).status).toBe(400);

    expect((await viewer.post(ALERTS, { intent: "retry-delivery", deliveryId: dead!.id })).status).toBe(403);
    const [sent] = await t.db
      .select()
      .from(schema.alertDeliveries)
      .where(eq(schema.alertDeliveries.status, "sent"));
    expect((await owner.post(ALERTS, { intent: "retry-delivery", deliveryId: sent!.id })).status).toBe(409);

    // The channel is fixed, then the dead delivery is sent again (not collapsed into its dead job).
    expect(
      (
        await owner.post(ALERTS, {
          intent: "update-channel",
          channelId: broken.id,
          name: "broken",
          kind: "slack",
          url: ok.url,
        })
      ).status,
    ).toBe(200);
    const before = ok.requests.length;
    const res = await owner.post(ALERTS, { intent: "retry-delivery", deliveryId: dead!.id });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Delivery queued again.");
    await queue!.drain();
    expect(ok.requests.length).toBe(before + 1);
    expect(ok.requests.at(-1)!.body).toContain("Test notification from CodeWarden");
    const [after] = await t.db
      .select()
      .from(schema.alertDeliveries)
      .where(eq(schema.alertDeliveries.id, dead!.id));
    expect(after).toMatchObject({ status: "sent", attempts: 2 });
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: dead!.id });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "alert_delivery.retried",
      actorUserId: t.boot.adminUserId,
      metadata: { channelId: broken.id, attempts: 1, lastError: "endpoint answered 500" },
    });
    // Only a dead delivery can be retried.
    expect((await owner.post(ALERTS, { intent: "retry-delivery", deliveryId: dead!.id })).status).toBe(409);
    expect(await (await owner.get(`${ALERTS}?status=dead`)).text()).toContain("No such deliveries.");
  });

  it("owners turn rules off and delete rules and channels (audit-logged)", async () => {
    const [rule] = await t.db.select().from(schema.alertRules);
    expect(
      (await owner.post(ALERTS, { intent: "toggle-rule", ruleId: rule!.id, enabled: "false" })).status,
    ).toBe(200);
    expect((await t.db.select().from(schema.alertRules))[0]!.enabled).toBe(false);
    expect((await owner.post(ALERTS, { intent: "delete-rule", ruleId: rule!.id })).status).toBe(200);
    expect((await owner.post(ALERTS, { intent: "delete-channel", channelId })).status).toBe(200);
    expect((await owner.post(ALERTS, { intent: "delete-channel", channelId })).status).toBe(404);
    const actions = (await listAuditLog(t.db, { orgId: t.boot.orgId })).map((a) => a.action);
    for (const a of ["alert_rule.disabled", "alert_rule.deleted", "alert_channel.deleted"])
      expect(actions).toContain(a);
  });
});
