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
