import { describe, expect, it } from "vitest";
import { MAX_FIELD_CHARS, parseReply } from "./reply";

const good = {
  title: "User lookup failed",
  whatHappened: "getUser read id of undefined",
  likelyCause: "the user was not found",
  suggestedFix: "handle the missing user",
  confidence: 0.7,
};
const expected = {
  title: "User lookup failed",
  text: "getUser read id of undefined",
  likelyCause: "the user was not found",
  suggestedFix: "handle the missing user",
  confidence: 0.7,
};

describe("parseReply", () => {
  it("reads plain, fenced and prose-wrapped JSON", () => {
    expect(parseReply(JSON.stringify(good))).toEqual(expected);
    expect(parseReply(`\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\``)).toEqual(expected);
    expect(parseReply(`Sure! Here it is: ${JSON.stringify(good)} Hope this helps.`)).toEqual(expected);
  });

  it("accepts snake_case and common key spellings and a numeric-string confidence", () => {
    expect(
      parseReply(
        JSON.stringify({
          title: good.title,
          what_happened: good.whatHappened,
          likely_cause: good.likelyCause,
          "suggested-fix": good.suggestedFix,
          confidence: "0.7",
        }),
      ),
    ).toEqual(expected);
    expect(parseReply(JSON.stringify({ ...good, whatHappened: undefined, summary: "s" }))?.text).toBe("s");
  });

  it.each([
    ["not JSON", "I think the user was missing."],
    ["truncated JSON", JSON.stringify(good).slice(0, 60)],
    ["an array", JSON.stringify([good])],
    ["a missing field", JSON.stringify({ ...good, suggestedFix: undefined })],
    ["an empty field", JSON.stringify({ ...good, likelyCause: "   " })],
    ["a non-string field", JSON.stringify({ ...good, title: 42 })],
    ["a missing confidence", JSON.stringify({ ...good, confidence: undefined })],
    ["a confidence above 1", JSON.stringify({ ...good, confidence: 7 })],
    ["a negative confidence", JSON.stringify({ ...good, confidence: -0.1 })],
    ["a word for confidence", JSON.stringify({ ...good, confidence: "high" })],
    ["an enormous reply", JSON.stringify({ ...good, whatHappened: "x".repeat(70_000) })],
  ])("rejects %s", (_what, content) => {
    expect(parseReply(content)).toBeNull();
  });

  it("caps long fields and scrubs PII the model might echo", () => {
    const long = parseReply(
      JSON.stringify({ ...good, whatHappened: "x".repeat(5000), likelyCause: "bob@example.com sent it" }),
    );
    expect(long?.text).toHaveLength(MAX_FIELD_CHARS);
    expect(long?.likelyCause).toBe("[email] sent it");
  });
});
