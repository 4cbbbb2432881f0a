import { type AlertMessage, alertJobId, isAlertUrl, testAlertMessage } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { isSpike, issueUrl } from "./evaluate";
import { escapeSlack, oneLine, renderEmail, renderSlack, renderText, renderWebhook } from "./render";
import { signWebhook, verifyWebhookSignature } from "./signature";
import { sweptDeliveryJob } from "./sweep";

const hostile: AlertMessage = {
  v: 1,
  kind: "alert",
  reason: "new",
  title: "New issue: <!channel> & <https://evil.example|click>",
  projectName: "Shop",
  ruleName: "prod <new>",
  issues: [
    {
      id: "9b1d3a6e-3f4e-4c59-9d55-6a2b1c0e7f10",
      title: "Error: <@U123> ping & <!here>\r\nBcc: victim@example.com",
      url: "https://cw.example/issues/9b1d3a6e-3f4e-4c59-9d55-6a2b1c0e7f10",
      eventCount: 3,
      culprit: "handler (`src/a.ts`)",
      environments: ["<prod>"],
      services: ["api"],
      summary: "Summary with <b>html</b> & <!everyone>",
      windowCount: null,
    },
  ],
  moreIssues: 0,
  createdAt: "2026-03-01T00:00:00.000Z",
};

describe("alert rendering", () => {
  it("escapes telemetry for Slack mrkdwn: no mentions, no foreign links", () => {
    expect(escapeSlack("<!channel> & <x|y>")).toBe("&lt;!channel&gt; &amp; &lt;x|y&gt;");
    const json = JSON.stringify(renderSlack(hostile));
    expect(json).not.toMatch(/<!(channel|here|everyone)>/);
    expect(json).not.toContain("<@U123>");
    expect(json).not.toContain("<https://evil.example");
    // Our own link to the issue page stays a link.
    expect(json).toContain(`<${hostile.issues[0]!.url}|`);
  });

  it("keeps email subjects on one line and bodies plain text", () => {
    const { subject, text } = renderEmail({ ...hostile, title: "New issue: a\r\nBcc: x@example.com" });
    expect(subject).not.toMatch(/[\r\n]/);
    expect(text).toContain(hostile.issues[0]!.url);
    expect(text).toContain("Summary with <b>html</b>");
    expect(oneLine("a\u2028b\nc")).toBe("a b c");
  });

  it("sends webhooks the message as JSON data", () => {
    const body = JSON.parse(renderWebhook(hostile, "d-1"));
    expect(body).toMatchObject({
      type: "codewarden.alert",
      id: "d-1",
      issues: [{ title: hostile.issues[0]!.title }],
    });
  });

  it("says what a test message is", () => {
    expect(renderText(testAlertMessage("Shop"))).toContain("set up correctly");
  });
});

describe("webhook signature", () => {
  it("is HMAC-SHA256 of '<t>.<body>' and verifies only with the same secret, body and a fresh time", () => {
    const header = signWebhook("s3cret-s3cret-s3cret", '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    const now = { nowSeconds: 1_700_000_010 };
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', header, now)).toBe(true);
    expect(verifyWebhookSignature("other-secret-value", '{"a":1}', header, now)).toBe(false);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":2}', header, now)).toBe(false);
    expect(
      verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', header, { nowSeconds: 1_700_001_000 }),
    ).toBe(false);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', "garbage", now)).toBe(false);
  });
});

describe("spike test", () => {
  const rule = { windowMinutes: 60, spikeCount: null, spikeFactor: null };
  it("needs N events in the window", () => {
    expect(isSpike({ ...rule, spikeCount: 50 }, { windowCount: 49, baselineCount: 0 })).toBe(false);
    expect(isSpike({ ...rule, spikeCount: 50 }, { windowCount: 50, baselineCount: 0 })).toBe(true);
  });
  it("compares with k times the usual hourly rate over the window", () => {
    // 168 events in 7 days: 1 an hour; k = 5 over a 2-hour window: more than 10.
    const r = { ...rule, windowMinutes: 120, spikeFactor: 5 };
    expect(isSpike(r, { windowCount: 10, baselineCount: 168 })).toBe(false);
    expect(isSpike(r, { windowCount: 11, baselineCount: 168 })).toBe(true);
    // Both set: both must hold (N is a floor against a tiny baseline).
    expect(isSpike({ ...r, spikeCount: 100 }, { windowCount: 11, baselineCount: 168 })).toBe(false);
  });
  it("never fires without a threshold", () => {
    expect(isSpike(rule, { windowCount: 1_000_000, baselineCount: 0 })).toBe(false);
  });
});

describe("outbound URLs", () => {
  it("accepts only absolute http(s) URLs without credentials", () => {
    expect(isAlertUrl("https://hooks.slack.com/services/T/B/X")).toBe(true);
    expect(isAlertUrl("http://127.0.0.1:8080/hook")).toBe(true);
    for (const bad of [
      "ftp://x/y",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "https://u:p@x.example/",
      "/hook",
      "",
    ])
      expect(isAlertUrl(bad)).toBe(false);
  });
  it("links to the issue page", () => {
    expect(issueUrl("https://cw.example/", "abc")).toBe("https://cw.example/issues/abc");
  });
});

describe("the sweep's job for a delivery left pending", () => {
  const id = "0b0e7c2e-6f0a-4a57-9a49-3f6f1f4f2b11";
  it("keeps the delivery's own job id for a delivery never attempted, so a job of it still queued absorbs it", () => {
    expect(alertJobId(sweptDeliveryJob({ id, attempts: 0 }))).toBe(`alert-delivery-${id}`);
  });
  it("uses the retry's job id for a dead delivery sent again by hand", () => {
    expect(alertJobId(sweptDeliveryJob({ id, attempts: 3 }))).toBe(`alert-delivery-${id}-retry-3`);
  });
});
