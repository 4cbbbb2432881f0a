import { describe, expect, it } from "vitest";
import { DEFAULT_LIST_STATE, isFiltered, listSearch } from "./list-params";

describe("listSearch", () => {
  it("is empty for the default list", () => {
    expect(listSearch(DEFAULT_LIST_STATE)).toBe("");
  });

  it("keeps non-default values in a stable order, with overrides and a cursor", () => {
    const state = { ...DEFAULT_LIST_STATE, q: "50% off & more", service: "api", sort: "events" as const };
    expect(listSearch(state)).toBe("?q=50%25+off+%26+more&service=api&sort=events");
    expect(listSearch(state, { status: "resolved", cursor: "abc" })).toBe(
      "?status=resolved&q=50%25+off+%26+more&service=api&sort=events&cursor=abc",
    );
    expect(listSearch(state, { q: "", sort: "last_seen" })).toBe("?service=api");
  });
});

describe("isFiltered", () => {
  it("is true when a filter or the search narrows the list, not for tabs, sort or chart", () => {
    expect(isFiltered({ ...DEFAULT_LIST_STATE, status: "all", sort: "users", chart: "14d" })).toBe(false);
    expect(isFiltered({ ...DEFAULT_LIST_STATE, period: "24h" })).toBe(true);
    expect(isFiltered({ ...DEFAULT_LIST_STATE, release: "1.0.0" })).toBe(true);
  });
});
