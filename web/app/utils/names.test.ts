import { describe, expect, it } from "vitest";
import { MAX_NAME_LENGTH, parseDisplayName } from "./names";

describe("parseDisplayName", () => {
  it("trims and collapses white space", () => {
    expect(parseDisplayName("  Checkout \n  API\t", "project")).toEqual({ name: "Checkout API" });
  });

  it("keeps any printable text, markup included (it is rendered as text)", () => {
    expect(parseDisplayName("<b>Ünïcode</b> 日本", "project")).toEqual({ name: "<b>Ünïcode</b> 日本" });
  });

  it("refuses empty, too long and unprintable names", () => {
    expect(parseDisplayName("   ", "project")).toEqual({ error: "Enter a name for the project." });
    expect(parseDisplayName("x".repeat(MAX_NAME_LENGTH), "key")).toEqual({
      name: "x".repeat(MAX_NAME_LENGTH),
    });
    expect(parseDisplayName("x".repeat(MAX_NAME_LENGTH + 1), "key")).toHaveProperty("error");
    expect(parseDisplayName("evil\u202Egnp.exe", "key")).toHaveProperty("error");
    expect(parseDisplayName("nul\u0000byte", "key")).toHaveProperty("error");
  });
});
