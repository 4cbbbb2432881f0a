import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../client";
import { TEST_BACKENDS } from "../testing";
import { createAlertChannel, createAlertDeliveries, recordDeliveryAttempt } from "./alerts";
import { ensureBootstrap } from "./bootstrap";
import { summariseAlertDeliveries } from "./evidence-reports";

const backends = TEST_BACKENDS;

describe.each(backends)("summariseAlertDeliveries on $name", (backend) => {
  let handle: DbHandle;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, close } = await backend.open());
  });
  afterAll(async () => {
    await close?.();
  });

  it("counts an organisation's deliveries in the period per channel, by name, without test sends", async () => {
    const db = handle.db;
    const boot = await ensureBootstrap(db, { adminEmail: "admin@example.com" });
    const actor = { userId: boot.adminUserId, ip: null };
    const base = { orgId: boot.orgId, projectId: boot.projectId, actor };
    const slack = await createAlertChannel(db, {
      ...base,
      name: "ops-slack",
      kind: "slack",
      config: { url: "https://hooks.example.com/services/T0/B0/secret-path" },
    });
    const hook = await createAlertChannel(db, {
      ...base,
      name: "pager",
      kind: "webhook",
      config: { url: "https://pager.example.com/hook", secret: "whsec_marker" },
    });
    const delivery = (channelId: string, kind: "alert" | "test" = "alert") => ({
      projectId: boot.projectId,
      channelId,
      ruleId: null,
      issueId: null,
      kind,
      payload: {},
    });
    const ids = await createAlertDeliveries(db, [
      delivery(slack.id),
      delivery(slack.id),
      delivery(slack.id),
      delivery(hook.id),
      delivery(hook.id, "test"),
      delivery(slack.id),
    ]);
    for (const id of ids.slice(0, 3)) await recordDeliveryAttempt(db, { deliveryId: id, status: "sent" });
    await recordDeliveryAttempt(db, { deliveryId: ids[3]!, status: "dead", error: "endpoint answered 500" });
    await recordDeliveryAttempt(db, { deliveryId: ids[4]!, status: "sent" });
    // Sent two days ago: outside the period.
    await recordDeliveryAttempt(db, { deliveryId: ids[5]!, status: "sent" });
    await db.execute(
      sql`update alert_deliveries set created_at = now() - interval '2 days' where id = ${ids[5]!}::uuid`,
    );

    const now = Date.now();
    const summary = await summariseAlertDeliveries(db, {
      orgId: boot.orgId,
      from: new Date(now - 3600_000),
      to: new Date(now + 3600_000),
    });
    expect(summary).toEqual([
      {
        channel: "slack",
        destination: "ops-slack",
        delivered: 3,
        failed: 0,
        lastFailureAt: null,
        lastError: null,
      },
      {
        channel: "webhook",
        destination: "pager",
        delivered: 0,
        failed: 1,
        lastFailureAt: expect.any(Date),
        lastError: "endpoint answered 500",
      },
    ]);
    // Secrets and URLs never appear.
    expect(JSON.stringify(summary)).not.toMatch(/secret|whsec|https:/);
    // An earlier period holds only the delivery of two days ago.
    const earlier = await summariseAlertDeliveries(db, {
      orgId: boot.orgId,
      from: new Date(0),
      to: new Date(now - 86_400_000),
    });
    expect(earlier.map((r) => [r.destination, r.delivered, r.failed])).toEqual([["ops-slack", 1, 0]]);
  });
});
