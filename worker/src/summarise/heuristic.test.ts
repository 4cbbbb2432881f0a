import { describe, expect, it } from "vitest";
import { parseStack } from "../stack/index";
import { heuristicSummary } from "./heuristic";

const frames = parseStack(
  "TypeError: x\n    at getUser (/app/src/users.ts:12:5)\n    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)",
  "nodejs",
);

describe("heuristicSummary", () => {
  it.each([
    ["TypeError", "Cannot read properties of undefined (reading 'id')", /undefined\/null/],
    ["AttributeError", "'NoneType' object has no attribute 'email'", /undefined\/null/],
    ["java.lang.NullPointerException", 'Cannot invoke "String.length()"', /undefined\/null/],
    ["Error", "connect ECONNREFUSED 127.0.0.1:6379", /not accepting connections/],
    ["*net.OpError", "dial tcp 10.0.0.1:5432: connect: connection refused", /not accepting connections/],
    ["TimeoutError", "Navigation timeout of 30000 ms exceeded", /longer than its time limit/],
    [
      "Error",
      "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
      /out of memory/,
    ],
    [
      "PostgresError",
      'duplicate key value violates unique constraint "users_email_key"',
      /unique constraint/,
    ],
    ["Error", "ENOENT: no such file or directory, open '/app/config.json'", /does not exist/],
    ["RangeError", "Maximum call stack size exceeded", /recursion/i],
    ["RangeError", "Invalid array length", /outside the allowed range/],
    ["SyntaxError", "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON", /not valid JSON/],
    ["SyntaxError", "Unexpected identifier 'await'", /could not be parsed/],
    ["PermissionError", "[Errno 13] Permission denied: '/var/log/app.log'", /lacked permission/],
    ["HTTPError", "Request failed with status code 404", /does not exist/],
    ["AxiosError", "Request failed with status code 503", /server error/],
  ])("%s: %s", (exceptionType, message, cause) => {
    const s = heuristicSummary({ exceptionType, message, frames, language: "nodejs" });
    expect(s.likelyCause).toMatch(cause);
    expect(s.suggestedFix.length).toBeGreaterThan(20);
    expect(s.text).toContain(exceptionType);
    expect(s.text).toContain("getUser (users.ts), line 12");
  });

  it("falls back to naming the culprit frame", () => {
    const s = heuristicSummary({
      exceptionType: "CartError",
      message: "cart is locked",
      frames,
      language: "nodejs",
    });
    expect(s.text).toBe(
      "CartError: cart is locked in getUser (users.ts), line 12 (nodejs). No common cause was recognised from the error type and message.",
    );
    expect(s.likelyCause).toContain("getUser (users.ts), line 12");
    expect(s.suggestedFix).toContain("Start at getUser (users.ts), line 12");
  });

  it("asks for a stack trace when there is none", () => {
    const s = heuristicSummary({
      exceptionType: "CartError",
      message: "cart is locked",
      frames: [],
      language: null,
    });
    expect(s.suggestedFix).toMatch(/stack trace/);
  });

  it("never repeats PII from the message", () => {
    const s = heuristicSummary({
      exceptionType: "Error",
      message: "login failed for bob@example.com from 10.0.0.9 with Bearer abcdefghijklmnop",
      frames,
      language: null,
    });
    expect(s.text).not.toMatch(/bob@example.com|10\.0\.0\.9|abcdefghijklmnop/);
  });

  it("is deterministic", () => {
    const input = { exceptionType: "Error", message: "connect ECONNREFUSED", frames, language: "nodejs" };
    expect(heuristicSummary(input)).toEqual(heuristicSummary(input));
  });
});
