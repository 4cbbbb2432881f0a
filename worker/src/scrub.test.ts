import { describe, expect, it } from "vitest";
import { scrubAttributes, scrubText } from "./scrub";

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
