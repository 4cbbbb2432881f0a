import { describe, expect, it } from "vitest";
import { formatUtc, relativeTime, truncate } from "./format";

describe("relativeTime", () => {
  const now = "2025-03-10T12:00:00.000Z";
  it.each([
    ["2025-03-10T11:59:58.000Z", "just now"],
    ["2025-03-10T11:59:18.000Z", "42s ago"],
    ["2025-03-10T11:55:00.000Z", "5 min ago"],
    ["2025-03-10T09:00:00.000Z", "3h ago"],
    ["2025-03-08T12:00:00.000Z", "2d ago"],
    ["2024-11-10T12:00:00.000Z", "4mo ago"],
    ["2023-03-10T12:00:00.000Z", "2y ago"],
    ["2025-03-10T12:05:00.000Z", "in 5 min"],
  ])("%s → %s", (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });

  it("is empty for unparseable input", () => {
    expect(relativeTime("nope", now)).toBe("");
  });
});

describe("truncate", () => {
  it("keeps short text", () => {
    expect(truncate("abc", 3)).toBe("abc");
  });
  it("cuts long text with an ellipsis, by code points", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("😀😀😀😀", 3)).toBe("😀😀…");
  });
});

describe("formatUtc", () => {
  it("renders UTC without milliseconds", () => {
    expect(formatUtc("2025-03-10T12:34:56.789Z")).toBe("2025-03-10 12:34:56 UTC");
  });
});
