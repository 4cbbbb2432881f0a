import { describe, expect, it } from "vitest";
import { auditQueryString, auditTimeRange, EMPTY_AUDIT_QUERY, parseAuditQuery } from "./audit-filters";

const parse = (qs: string) => parseAuditQuery(new URLSearchParams(qs));
const USER = "0a1b2c3d-0000-4000-8000-00000000abcd";

describe("parseAuditQuery", () => {
  it("treats absent and empty fields (an unfilled form) as no filter", () => {
    expect(parse("")).toEqual({ query: EMPTY_AUDIT_QUERY });
    expect(parse("category=&actor=&from=&to=")).toEqual({ query: EMPTY_AUDIT_QUERY });
  });

  it("reads a category, an exact action, an actor and days", () => {
    expect(parse(`category=member&actor=${USER.toUpperCase()}&from=2026-03-01&to=2026-03-31`)).toEqual({
      query: {
        ...EMPTY_AUDIT_QUERY,
        category: "member",
        actor: { userId: USER },
        from: "2026-03-01",
        to: "2026-03-31",
      },
    });
    expect(parse("actor=api_token&action=issue.status_changed")).toEqual({
      query: { ...EMPTY_AUDIT_QUERY, actor: { type: "api_token" }, action: "issue.status_changed" },
    });
  });

  it("names every invalid parameter", () => {
    expect(
      parse("category=member.%&actor=admin&from=2026-02-30&to=26-1-1&action=DROP TABLE&before=x"),
    ).toEqual({
      invalid: ["category", "action", "actor", "from", "to", "before"],
    });
    expect(parse("from=2026-03-02&to=2026-03-01")).toEqual({ invalid: ["to"] });
  });
});

describe("auditQueryString / auditTimeRange", () => {
  it("round-trips through the query string", () => {
    const parsed = parse(`category=user&actor=${USER}&from=2026-03-01&before=2026-03-01T10:00:00.000100Z~7`);
    if (!("query" in parsed)) throw new Error("expected a query");
    const again = parse(auditQueryString(parsed.query).slice(1));
    expect(again).toEqual(parsed);
    expect(auditQueryString(EMPTY_AUDIT_QUERY)).toBe("");
    expect(auditQueryString(EMPTY_AUDIT_QUERY, { format: "csv" })).toBe("?format=csv");
  });

  it("includes the whole `to` day, in UTC", () => {
    expect(auditTimeRange({ ...EMPTY_AUDIT_QUERY, from: "2026-03-01", to: "2026-03-01" })).toEqual({
      from: new Date("2026-03-01T00:00:00Z"),
      to: new Date("2026-03-02T00:00:00Z"),
    });
  });
});
