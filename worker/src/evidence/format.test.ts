import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, formatTime, safeText } from "./format";

describe("safeText", () => {
  it("turns control characters and line breaks into single spaces", () => {
    expect(safeText("a\u0000b\r\n\tc\u001b[31m  d\u2028e", 100)).toBe("a b c [31m d e");
    expect(safeText("  leading and trailing \n", 100)).toBe("leading and trailing");
  });

  it("replaces what the standard fonts cannot draw and keeps what they can", () => {
    expect(safeText("naïve café – “quoted” € 中文 😀", 100)).toBe("naïve café – “quoted” € ?? ?");
    expect(safeText('<script>alert("x")</script>', 100)).toBe('<script>alert("x")</script>');
  });

  it("caps the length with an ellipsis", () => {
    expect(safeText("x".repeat(10), 10)).toBe("x".repeat(10));
    expect(safeText("x".repeat(11), 10)).toBe(`${"x".repeat(9)}…`);
    expect(safeText(null, 10)).toBe("");
  });

  it("never returns more than max characters or a control character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (s, max) => {
          const out = safeText(s, max);
          expect(out.length).toBeLessThanOrEqual(max);
          const controls = [...out].filter(
            (c) => c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f),
          );
          expect(controls).toEqual([]);
        },
      ),
    );
  });
});

describe("formatDuration / formatTime", () => {
  it("writes durations for people", () => {
    expect(formatDuration(null)).toBe("-");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(12 * 60_000)).toBe("12 min");
    expect(formatDuration(2 * 3_600_000 + 48 * 60_000)).toBe("2 h 48 min");
    expect(formatDuration(3 * 3_600_000)).toBe("3 h");
    expect(formatDuration(39 * 3_600_000)).toBe("1 d 15 h");
    expect(formatDuration(48 * 3_600_000)).toBe("2 d");
  });

  it("writes times in UTC", () => {
    expect(formatTime(new Date("2026-03-02T07:05:59Z"))).toBe("2026-03-02 07:05 UTC");
  });
});
