import { afterEach, describe, expect, it, vi } from "vitest";
import { type CapturedEvent, REDACTED, runPipeline } from "../src/before-send.js";

function event(overrides: Partial<CapturedEvent> = {}): CapturedEvent {
  return {
    kind: "exception",
    error: new Error("x"),
    type: "TypeError",
    message: "token sk_live_abc123 rejected",
    stacktrace: "TypeError: token sk_live_abc123 rejected\n    at pay (/app/pay.js:1:1)",
    attributes: { "order.id": "o-1" },
    ...overrides,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("runPipeline", () => {
  it("passes events through unchanged without beforeSend or scrub rules", () => {
    const input = event();
    expect(runPipeline(input, { scrub: [] })).toEqual(input);
    expect(runPipeline(input, undefined)).toEqual(input);
  });

  it("drops the event when beforeSend returns null", () => {
    expect(runPipeline(event(), { beforeSend: () => null, scrub: [] })).toBeNull();
  });

  it("sends what beforeSend returns, keeping originals for missing or invalid fields", () => {
    const result = runPipeline(event(), {
      beforeSend: (e) => ({
        ...e,
        message: "edited",
        stacktrace: undefined,
        attributes: { ...e.attributes, extra: true, bad: { nested: 1 } as never },
        type: 42 as never,
      }),
      scrub: [],
    });
    expect(result?.message).toBe("edited");
    expect(result?.type).toBe("TypeError");
    expect(result).not.toHaveProperty("stacktrace");
    expect(result?.attributes).toEqual({ "order.id": "o-1", extra: true });
  });

  it("gives beforeSend a copy: mutating the event's attributes in place is what gets sent", () => {
    const input = event();
    const result = runPipeline(input, {
      beforeSend: (e) => {
        e.attributes["user.email"] = REDACTED;
        return e;
      },
      scrub: [],
    });
    expect(result?.attributes["user.email"]).toBe(REDACTED);
    expect(input.attributes).not.toHaveProperty("user.email");
  });

  it("sends the event unmodified (still scrubbed) when beforeSend throws, warning once", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const pipeline = {
      beforeSend: (): CapturedEvent => {
        throw new Error("hook-bug");
      },
      scrub: [/sk_live_\w+/g],
    };
    const first = runPipeline(event(), pipeline);
    const second = runPipeline(event(), pipeline);
    expect(first?.message).toBe(`token ${REDACTED} rejected`);
    expect(first?.type).toBe("TypeError");
    expect(second).toEqual(first);
    const warnings = stderr.mock.calls.map(([text]) => String(text)).filter((t) => t.includes("hook-bug"));
    expect(warnings).toHaveLength(1);
  });

  it("sends unmodified when beforeSend returns neither an event nor null", () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const input = event();
    expect(runPipeline(input, { beforeSend: (() => undefined) as never, scrub: [] })).toEqual(input);
  });

  it("applies scrub rules to message and stack after beforeSend, every occurrence", () => {
    const result = runPipeline(event(), {
      beforeSend: (e) => ({ ...e, message: `${e.message}; again sk_live_zzz` }),
      scrub: [/sk_live_\w+/g],
    });
    expect(result?.message).toBe(`token ${REDACTED} rejected; again ${REDACTED}`);
    expect(result?.stacktrace).toContain(`token ${REDACTED} rejected`);
    expect(result?.stacktrace).not.toContain("sk_live");
  });
});
