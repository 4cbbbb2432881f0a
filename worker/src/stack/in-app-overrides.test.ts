import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeFingerprint } from "../fingerprint";
import type { StackFrame } from "./frame";
import { applyInAppOverrides, MAX_IN_APP_PATTERN_CHARS, MAX_IN_APP_PATTERNS } from "./in-app-overrides";
import { parseStack } from "./parse-stack";

const NODE = `HttpError: GET https://inventory.internal/v1/stock failed with status 503
    at HttpClient.request (/srv/app/src/lib/http/client.ts:58:13)
    at async InventoryClient.stock (/srv/app/src/inventory/client.ts:27:22)
    at async handler (/srv/app/node_modules/@acme/shared/dist/handler.js:12:5)
    at async Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)`;

const inApp = (frames: StackFrame[]) => frames.map((f) => f.inApp);
const f = (file: string | null, module: string | null = null): StackFrame => ({
  function: "fn",
  module,
  file,
  line: 1,
  column: null,
  inApp: false,
});

describe("parseStack in-app overrides", () => {
  it("leaves the defaults without options", () => {
    expect(inApp(parseStack(NODE, "nodejs"))).toEqual([true, true, false, false]);
    expect(inApp(parseStack(NODE, "nodejs", {}))).toEqual([true, true, false, false]);
  });

  it("excludes by path from any segment, includes by module (npm package) prefix", () => {
    const frames = parseStack(NODE, "nodejs", { inAppExclude: ["lib/http/"], inAppInclude: ["@acme/"] });
    expect(inApp(frames)).toEqual([false, true, true, false]);
    expect(inApp(parseStack(NODE, "nodejs", { inAppExclude: ["/srv/app/src/lib/http/client.ts"] }))).toEqual([
      false,
      true,
      false,
      false,
    ]);
  });

  it("lets grouping move below an excluded shared helper", () => {
    const other = NODE.replace("InventoryClient.stock", "BillingClient.invoices").replace(
      "inventory/client.ts",
      "billing/client.ts",
    );
    const fp = (trace: string, options?: { inAppExclude: string[] }) =>
      computeFingerprint({
        exceptionType: "HttpError",
        message: "x",
        frames: parseStack(trace, "nodejs", options),
      });
    expect(fp(other)).toBe(fp(NODE));
    const exclude = { inAppExclude: ["src/lib/http/"] };
    expect(fp(other, exclude)).not.toBe(fp(NODE, exclude));
  });

  it("lets exclude win over include", () => {
    const frames = parseStack(NODE, "nodejs", { inAppInclude: ["express"], inAppExclude: ["express/lib/"] });
    expect(frames[3]?.inApp).toBe(false);
  });
});

describe("pattern language", () => {
  const matches = (pattern: string, frame: StackFrame) =>
    applyInAppOverrides([frame], { inAppInclude: [pattern] })[0]!.inApp;

  it("is a prefix match where * is any run of characters", () => {
    expect(matches("com.acme.shared.", f(null, "com.acme.shared.Strings"))).toBe(true);
    expect(matches("com.acme.*Proxy", f(null, "com.acme.orders.OrderProxy$1"))).toBe(true);
    expect(matches("com.acme.*Proxy", f(null, "com.acme.orders.OrderService"))).toBe(false);
    expect(matches("*.generated.ts", f("/app/src/api/client.generated.ts"))).toBe(true);
    expect(matches("shared", f(null, "com.acme.shared.Strings"))).toBe(false); // modules: from the start only
    expect(matches("Com.acme.", f(null, "com.acme.X"))).toBe(false); // case-sensitive
  });

  it("anchors path patterns at segment starts; a trailing / means a directory", () => {
    expect(matches("lib/http/", f("/srv/app/src/lib/http/client.ts"))).toBe(true);
    expect(matches("lib/http/", f("/srv/app/src/mylib/http/client.ts"))).toBe(false);
    expect(matches("src/lib/http/", f("/srv/app/src/lib/httpx/client.ts"))).toBe(false);
    expect(matches("src/lib/http", f("/srv/app/src/lib/httpx/client.ts"))).toBe(true);
  });

  it("matches normalised paths: Windows separators, URLs, bundle hashes, line suffixes", () => {
    expect(matches("src/legacy/", f("C:\\build\\app\\src\\legacy\\old.js"))).toBe(true);
    expect(matches("assets/vendor.js", f("https://cdn.example.com/assets/vendor-DkPq3x9Z.js"))).toBe(true);
    expect(matches("cdn.example.com", f("https://cdn.example.com/assets/vendor.js"))).toBe(false);
    expect(matches("app/main.js", f("file:///srv/app/main.js:10:2"))).toBe(true);
  });

  it("reads \\ as / so PHP namespaces can be written either way", () => {
    expect(matches("App\\Support\\", f(null, "App\\Support\\Str"))).toBe(true);
    expect(matches("App/Support/", f(null, "App\\Support\\Str"))).toBe(true);
  });

  it("ignores empty, over-long, non-string and surplus patterns", () => {
    const frame = f("/app/src/x.ts");
    expect(applyInAppOverrides([frame], { inAppInclude: ["", "   "] })[0]!.inApp).toBe(false);
    expect(
      applyInAppOverrides([frame], { inAppInclude: [`${"a".repeat(MAX_IN_APP_PATTERN_CHARS)}*`] })[0]!.inApp,
    ).toBe(false);
    expect(matches("*".repeat(MAX_IN_APP_PATTERN_CHARS), frame)).toBe(true); // at the cap: used
    const surplus = [...Array.from({ length: MAX_IN_APP_PATTERNS }, (_, i) => `nomatch${i}/`), "src/"];
    expect(applyInAppOverrides([frame], { inAppInclude: surplus })[0]!.inApp).toBe(false);
    expect(
      applyInAppOverrides([frame], { inAppInclude: [42, null, "src/"] as unknown as string[] })[0]!.inApp,
    ).toBe(true);
    const frames = [frame];
    expect(applyInAppOverrides(frames, { inAppInclude: [] })).toBe(frames);
  });

  it("has no backtracking blow-up on hostile patterns (plain substring search)", () => {
    const hostile = `${"*a".repeat(99)}b`;
    const frames = Array.from({ length: 256 }, () => f(`/${"a".repeat(500)}`, "a".repeat(500)));
    const out = applyInAppOverrides(frames, {
      inAppInclude: Array.from({ length: MAX_IN_APP_PATTERNS }, () => hostile),
    });
    expect(out.every((x) => !x.inApp)).toBe(true);
  });

  it("never throws, whatever the patterns and the trace", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }),
        fc.constantFrom(NODE, "\tat com.acme.X.y(X.java:1)", "#0 /var/www/a.php(3): A->b()"),
        (include, exclude, trace) => {
          const frames = parseStack(trace, null, { inAppInclude: include, inAppExclude: exclude });
          expect(frames.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
