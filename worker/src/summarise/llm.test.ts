import { describe, expect, it } from "vitest";
import { parseStack } from "../stack/index";
import { buildPrompt, parseReply } from "./llm";

describe("parseReply", () => {
  const good = { summary: "s", likelyCause: "c", suggestedFix: "f" };
  it("reads plain, fenced and prose-wrapped JSON, and snake_case keys", () => {
    expect(parseReply(JSON.stringify(good))).toEqual({ text: "s", likelyCause: "c", suggestedFix: "f" });
    expect(parseReply(`\`\`\`json\n${JSON.stringify(good)}\n\`\`\``)).toEqual({
      text: "s",
      likelyCause: "c",
      suggestedFix: "f",
    });
    expect(
      parseReply('Sure! {"summary":"s","likely_cause":"c","suggested_fix":"f"} Hope this helps.'),
    ).toEqual({
      text: "s",
      likelyCause: "c",
      suggestedFix: "f",
    });
  });

  it("rejects replies without every field, and caps long fields", () => {
    expect(parseReply('{"summary":"s","likelyCause":"c"}')).toBeNull();
    expect(parseReply("no json here")).toBeNull();
    expect(parseReply("{not json}")).toBeNull();
    expect(parseReply('["summary"]')).toBeNull();
    const long = parseReply(JSON.stringify({ ...good, summary: "x".repeat(5000) }));
    expect(long?.text.length).toBe(2000);
  });
});

describe("buildPrompt", () => {
  it("includes type, scrubbed message, culprit and frames marked app/lib", () => {
    const frames = parseStack(
      "TypeError: x\n    at getUser (/srv/app/src/users.ts:12:5)\n    at Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)",
      "nodejs",
    );
    const prompt = buildPrompt({
      exceptionType: "TypeError",
      message: "no user for alice@example.com",
      frames,
      language: "nodejs",
      serviceName: "api",
      reason: "regressed",
    });
    expect(prompt).toContain("Exception type: TypeError");
    expect(prompt).toContain("Message: no user for [email]");
    expect(prompt).not.toContain("alice@example.com");
    expect(prompt).toContain("Culprit: getUser (users.ts)");
    expect(prompt).toContain("[app] getUser (users.ts:12)");
    expect(prompt).toContain("[lib] Layer.handle (express/lib/router/layer.js:95)");
    expect(prompt).toContain("has occurred again");
  });
});
