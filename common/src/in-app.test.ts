import { describe, expect, it } from "vitest";
import { MAX_IN_APP_PATTERN_CHARS, MAX_IN_APP_PATTERNS, parseInAppPatternList } from "./in-app";

describe("parseInAppPatternList", () => {
  it("reads one pattern a line, trimmed, blank lines and duplicates dropped", () => {
    expect(parseInAppPatternList("  @acme/*\r\n\n com.acme.shared. \n@acme/*\n")).toEqual({
      patterns: ["@acme/*", "com.acme.shared."],
      errors: [],
    });
  });

  it("names each bad line and refuses too many patterns", () => {
    const long = "x".repeat(MAX_IN_APP_PATTERN_CHARS + 1);
    expect(parseInAppPatternList(`ok\n${long}\n**\nbad\u0007`).errors).toEqual([
      `line 2: longer than ${MAX_IN_APP_PATTERN_CHARS} characters`,
      "line 3: a pattern of only * would match every frame",
      "line 4: control characters are not allowed",
    ]);
    const many = Array.from({ length: MAX_IN_APP_PATTERNS + 1 }, (_, i) => `p${i}`).join("\n");
    expect(parseInAppPatternList(many).errors).toEqual([`at most ${MAX_IN_APP_PATTERNS} patterns`]);
  });
});
