/**
 * Alerts as users run them: `npm start`'s launcher (all-in-one: PGlite + in-process queues;
 * scale-out: Postgres + BullMQ + the Bun worker), a channel and a rule made through the Alerts
 * page's forms, exceptions sent over OTLP/HTTP, and a loopback webhook receiver counting alerts.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../../worker/src/alerts/test-receivers";
import { eventually, freePort, LAUNCHER, type Spawned, spawnProcess } from "./harness";
import { launcherModes } from "./launcher-modes";

const INGEST_KEY = `cw_ik_e2e_${randomBytes(12).toString("hex")}`;
const ALERTS = "/settings/orgs/default/projects/default/alerts";

const modes = launcherModes("e2e-alerts");

/** One OTLP/JSON request: `n` exception span events of the given type. */
function otlpExceptions(type: string, n: number, seed: string) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const hex = (len: number, i: number) =>
    Buffer.from(`${seed}-${type}-${i}`).toString("hex").padEnd(len, "0").slice(-len);
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "shop" } },
            { key: "deployment.environment.name", value: { stringValue: "production" } },
            { key: "telemetry.sdk.language", value: { stringValue: "nodejs" } },
          ],
        },
        scopeSpans: [
          {
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: hex(32, i),
              spanId: hex(16, i),
              name: "GET /checkout",
              kind: 2,
              startTimeUnixNano: String(now),
              endTimeUnixNano: String(now + 1000n),
              status: { code: 2 },
              events: [
                {
                  name: "exception",
                  timeUnixNano: String(now),
                  attributes: [
                    { key: "exception.type", value: { stringValue: type } },
                    { key: "exception.message", value: { stringValue: `checkout failed <!channel> ${i}` } },
                    {
                      key: "exception.stacktrace",
                      value: {
                        stringValue: `${type}: checkout failed\n    at checkout (/app/src/${type}.ts:10:5)`,
                      },
                    },
                  ],
                },
              ],
            })),
          },
        ],
      },
    ],
  };
}

describe.each(modes)("alerts end to end, $name", (mode) => {
  let app: Spawned;
  let hook: WebhookReceiver;
  let base: string;
  let collector: string;
  let cookie: string;
  let csrf: string;

  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${base}${path}`, {
      method: "POST",
      body: new URLSearchParams({ _csrf: csrf, ...fields }),
      headers: { cookie },
      redirect: "manual",
    });

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    const webPort = await freePort();
    const collectorPort = await freePort();
    base = `http://127.0.0.1:${webPort}`;
    collector = `http://127.0.0.1:${collectorPort}`;
    app = spawnProcess(LAUNCHER[0], [...LAUNCHER[1]], {
      ...(await mode.env()),
      WEB_PORT: String(webPort),
      COLLECTOR_PORT: String(collectorPort),
      CODEWARDEN_PUBLIC_URL: base,
      CODEWARDEN_BOOTSTRAP_INGEST_KEY: INGEST_KEY,
      CODEWARDEN_LOG_FORMAT: "json",
    });
    await app.waitFor(/CodeWarden ready/, 90_000);
    if (mode.name === "scale-out") await app.waitFor(/worker ready/, 60_000);

    // Sign in as the bootstrap admin through the dev mailer's printed link.
    const login = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ email: "admin@localhost" }),
    });
    expect(login.status).toBe(200);
    const [, link] = await app.waitFor(/sign-in link for admin@localhost: (\S+)/);
    const verify = await fetch(new URL(new URL(link!).pathname + new URL(link!).search, base), {
      redirect: "manual",
    });
    cookie = `cw_session=${/cw_session=([^;]+)/.exec(verify.headers.get("set-cookie") ?? "")?.[1]}`;
    const page = await (await fetch(`${base}${ALERTS}`, { headers: { cookie } })).text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    expect(csrf).not.toBe("");
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await hook?.close();
    await mode.cleanup();
  });

  it("a channel and a rule made on the Alerts page turn a burst over 2 new issues into 2 alerts", async () => {
    expect(
      (await post(ALERTS, { intent: "create-channel", name: "hook", kind: "webhook", url: hook.url })).status,
    ).toBe(200);
    const page = await (await fetch(`${base}${ALERTS}`, { headers: { cookie } })).text();
    const channelId = /name="channelId" value="([0-9a-f-]{36})"/.exec(page)?.[1];
    expect(channelId).toBeTruthy();
    const rule = await post(ALERTS, {
      intent: "create-rule",
      name: "new",
      kind: "new_issue",
      channelIds: channelId!,
    });
    expect(rule.status).toBe(200);

    for (let i = 0; i < 5; i++) {
      for (const type of ["CheckoutError", "PaymentError"]) {
        const res = await fetch(`${collector}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${INGEST_KEY}` },
          body: JSON.stringify(otlpExceptions(type, 50, `${mode.name}-${i}`)),
        });
        expect(res.status).toBe(200);
      }
    }
    await eventually(async () => hook.requests.length >= 2, 60_000, "2 alerts");
    await new Promise((r) => setTimeout(r, 2000));
    const bodies = hook.requests.map((r) => JSON.parse(r.body));
    expect(bodies).toHaveLength(2);
    expect(bodies.map((b) => b.issues[0].title).sort()).toEqual([
      expect.stringContaining("CheckoutError"),
      expect.stringContaining("PaymentError"),
    ]);
    for (const b of bodies) {
      expect(b.issues[0].url).toMatch(new RegExp(`^${base}/issues/[0-9a-f-]{36}$`));
      expect(hook.requests[0]!.headers["x-codewarden-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    }
    // The issue page the alert links to exists.
    expect((await fetch(new URL(bodies[0].issues[0].url), { headers: { cookie } })).status).toBe(200);
  });

  it("Send test reaches the channel and says so", async () => {
    const page = await (await fetch(`${base}${ALERTS}`, { headers: { cookie } })).text();
    const channelId = /name="channelId" value="([0-9a-f-]{36})"/.exec(page)![1]!;
    const before = hook.requests.length;
    const res = await post(ALERTS, { intent: "test-channel", channelId });
    expect(await res.text()).toContain("Test sent to hook.");
    expect(hook.requests.length).toBe(before + 1);
    expect(JSON.parse(hook.requests.at(-1)!.body)).toMatchObject({ type: "codewarden.test" });
  });
});
