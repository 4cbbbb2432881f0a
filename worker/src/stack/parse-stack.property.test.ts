import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeFingerprint, culprit, issueTitle } from "../fingerprint";
import { scrubText } from "../scrub";
import { heuristicSummary } from "../summarise/heuristic";
import { MAX_FRAMES } from "./frame";
import { parseStack } from "./parse-stack";

const LANGUAGES = [null, "nodejs", "webjs", "python", "java", "go", "dotnet", "ruby", "php", "cobol"];

/** Lines that look like pieces of real traces, recombined at random. */
const traceLine = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "    at fn (/app/src/x.ts:1:2)",
    "    at async Promise.all (index 0)",
    "    at eval (eval at <anonymous> (/a.js:1:1), <anonymous>:1:1)",
    '  File "/app/x.py", line 3, in f',
    "Traceback (most recent call last):",
    "\tat com.acme.X.y(X.java:1)",
    "Caused by: java.lang.Error",
    "goroutine 1 [running]:",
    "main.main()",
    "\t/app/main.go:1 +0x1",
    "   at A.B.C(Int32 x) in /src/a.cs:line 3",
    "   --- End of inner exception stack trace ---",
    "#0 /var/www/a.php(3): A->b()",
    "/app/a.rb:1:in 'x'",
    "f@https://x/y.js:1:2",
  ),
  fc.tuple(fc.string(), fc.nat(), fc.nat()).map(([s, a, b]) => `    at ${s} (${s}:${a}:${b})`),
);
const trace = fc.array(traceLine, { maxLength: 60 }).map((ls) => ls.join("\n"));

describe("parsers and fingerprints never throw", () => {
  it("parseStack returns well-formed, capped frames for any input and language", () => {
    fc.assert(
      fc.property(
        fc.oneof(trace, fc.string({ maxLength: 2000 }), fc.constant(null)),
        fc.constantFrom(...LANGUAGES),
        (s, lang) => {
          const frames = parseStack(s, lang);
          expect(Array.isArray(frames)).toBe(true);
          expect(frames.length).toBeLessThanOrEqual(MAX_FRAMES);
          for (const f of frames) {
            expect(typeof f.inApp).toBe("boolean");
            expect(f.line === null || Number.isInteger(f.line)).toBe(true);
            expect(f.function === null || f.function.length <= 512).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("fingerprint, title, culprit, summary and scrubbing accept any strings", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ maxLength: 3000 }),
        trace,
        fc.option(fc.string()),
        (type, message, s, custom) => {
          const frames = parseStack(s, null);
          expect(computeFingerprint({ exceptionType: type, message, frames, fingerprint: custom })).toMatch(
            /^[0-9a-f]{64}$/,
          );
          expect(issueTitle({ exceptionType: type, message }).length).toBeLessThanOrEqual(200);
          const c = culprit(frames);
          expect(c === null || c.length <= 200).toBe(true);
          expect(typeof heuristicSummary({ exceptionType: type, message, frames, language: null }).text).toBe(
            "string",
          );
          expect(typeof scrubText(message)).toBe("string");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays fast on hostile input (64 KiB of near-matches)", () => {
    const hostile = [
      `    at ${"(".repeat(30_000)}`,
      `${"a.".repeat(20_000)}:1`,
      `  File "${'"'.repeat(10_000)}`,
      `${"x@".repeat(15_000)}:1:2`,
    ];
    for (const h of hostile) {
      for (const lang of LANGUAGES) expect(Array.isArray(parseStack(h, lang))).toBe(true);
      expect(typeof scrubText(h)).toBe("string");
    }
  });
});
