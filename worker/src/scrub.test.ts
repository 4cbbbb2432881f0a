import { describe, expect, it } from "vitest";
import { loadScrubConfig } from "./config";
import { createScrubber, SCRUB_RULES, scrubAttributes, scrubText } from "./scrub";
import { scrubberFrom } from "./scrub-config";

describe("scrubText", () => {
  it.each([
    ["invalid login for Jane.Doe+test@example.co.uk", "invalid login for [email]"],
    ["connect ECONNREFUSED 10.1.2.3:5432", "connect ECONNREFUSED [ip]:5432"],
    ["from fe80::1ff:fe23:4567:890a port 22", "from [ip] port 22"],
    ["Authorization: Bearer eyJhbGciOi.abcdefghijk.lmnopqrstuv", "Authorization: Bearer [redacted]"],
    ["token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "token [jwt]"],
    ["charge failed for card 4242 4242 4242 4242", "charge failed for card [card]"],
    ["key sk-proj-abcdefghijklmnopqrstuvwx rejected", "key [api-key] rejected"],
    ["aws AKIAIOSFODNN7EXAMPLE", "aws [api-key]"],
    ["DB_PASSWORD=hunter2 and api_key: 'abc123'", "DB_PASSWORD=[redacted] and api_key: '[redacted]'"],
    ['{"password":"s3cret","user":"x"}', '{"password":"[redacted]","user":"x"}'],
    ["postgres://app:s3cret@db.internal:5432/app", "postgres://[redacted]@db.internal:5432/app"],
  ])("%s", (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it("leaves stack traces, versions and ordinary numbers alone", () => {
    const trace = `Error: boom
    at run (/app/node_modules/.pnpm/pg@8.11.3/node_modules/pg/lib/client.js:526:17)
    at /root/go/pkg/mod/github.com/x/y@v1.2.3.4/z.go:10 +0x1d
    at Object.<anonymous> (/app/src/index.ts:12:3)`;
    expect(scrubText(trace)).toBe(trace);
    expect(scrubText("took 1234567890123 ms; order 12:30:45; version 1.2.3")).toBe(
      "took 1234567890123 ms; order 12:30:45; version 1.2.3",
    );
  });
});

describe("scrubAttributes", () => {
  it("redacts secret-named keys and scrubs string values", () => {
    expect(
      scrubAttributes({
        "http.request.header.authorization": "Bearer abcdefghijkl",
        "db.password": "x",
        "user.email": "bob@example.com",
        "http.response.status_code": 500,
        "exception.escaped": true,
      }),
    ).toEqual({
      "http.request.header.authorization": "[redacted]",
      "db.password": "[redacted]",
      "user.email": "[email]",
      "http.response.status_code": 500,
      "exception.escaped": true,
    });
  });
});

describe("createScrubber (CODEWARDEN_SCRUB_*)", () => {
  it("applies only the chosen built-in rules, extra key fragments and extra patterns", () => {
    const s = createScrubber({
      rules: ["email"],
      extraKeys: ["ssn"],
      extraPatterns: [/order-\d+/],
    });
    expect(s.text("jane@example.com from 10.1.2.3 paid order-123 twice (order-9)")).toBe(
      "[email] from 10.1.2.3 paid [redacted] twice ([redacted])",
    );
    expect(s.attributes({ "user.ssn": "123-45-6789", password: "hunter2", note: "a@b.io" })).toEqual({
      "user.ssn": "[redacted]",
      password: "[redacted]",
      note: "[email]",
    });
    expect(createScrubber({ rules: [] }).text("jane@example.com")).toBe("jane@example.com");
  });
});

describe("loadScrubConfig", () => {
  it("defaults to every rule and validates the variables, naming them", () => {
    expect(loadScrubConfig({})).toEqual({ rules: [...SCRUB_RULES], extraKeys: [], extraPatterns: [] });
    expect(loadScrubConfig({ CODEWARDEN_SCRUB_RULES: "none" }).rules).toEqual([]);
    const c = loadScrubConfig({
      CODEWARDEN_SCRUB_RULES: "email, ip",
      CODEWARDEN_SCRUB_KEYS: "ssn,tax_id",
      CODEWARDEN_SCRUB_PATTERNS: '["order-\\\\d+"]',
    });
    expect(c.rules).toEqual(["email", "ip"]);
    expect(c.extraKeys).toEqual(["ssn", "tax_id"]);
    expect(scrubberFrom(c).text("order-42 for 10.0.0.1")).toBe("[redacted] for [ip]");
    expect(() => loadScrubConfig({ CODEWARDEN_SCRUB_RULES: "email,phone" })).toThrow(
      /CODEWARDEN_SCRUB_RULES.*phone/,
    );
    expect(() => loadScrubConfig({ CODEWARDEN_SCRUB_PATTERNS: "order-\\d+" })).toThrow(
      /CODEWARDEN_SCRUB_PATTERNS/,
    );
    expect(() => loadScrubConfig({ CODEWARDEN_SCRUB_PATTERNS: '["("]' })).toThrow(/invalid pattern/);
  });
});
