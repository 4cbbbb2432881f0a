import { describe, expect, it } from "vitest";
import { computeFingerprint, culprit, FINGERPRINT_VERSION, issueTitle, maskMessage } from "./fingerprint";
import { normaliseFile } from "./normalise-frame";
import { parseStack } from "./stack/index";

function fp(type: string, message: string, stack: string | null, language: string | null = "nodejs") {
  return computeFingerprint({ exceptionType: type, message, frames: parseStack(stack, language) });
}

const node = (root: string, fn: string, line: number, file = "src/users/service.ts") => `TypeError: x
    at Pool.query (${root}/node_modules/pg/lib/client.js:${line + 100}:11)
    at ${fn} (${root}/${file}:${line}:19)
    at async handler (${root}/src/routes.ts:${line * 2}:3)`;

describe("computeFingerprint", () => {
  it("is a versioned sha256 hex digest", () => {
    expect(FINGERPRINT_VERSION).toBe(1);
    expect(fp("TypeError", "x", node("/app", "getUser", 12))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("groups the same bug across line numbers, deploy paths and ids in messages", () => {
    const a = fp("TypeError", "user 1234 missing", node("/srv/releases/2026-03-01T10-00/app", "getUser", 12));
    const b = fp("TypeError", "user 98 missing", node("/home/ci/build-77/app", "getUser", 40));
    const c = fp("TypeError", "other text", node("file:///opt/app", "getUser", 7));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("groups browser errors across bundle hashes, query strings and hosts", () => {
    const build = (host: string, hash: string) =>
      `TypeError: x\n    at onClick (https://${host}/assets/index-${hash}.js?v=3:1:${hash.length * 100})`;
    const a = fp("TypeError", "x", build("example.com", "BxG7kD2a"), "webjs");
    const b = fp("TypeError", "x", build("cdn.example.net", "Q9xLm3Tz"), "webjs");
    expect(b).toBe(a);
    const c = fp(
      "TypeError",
      "x",
      "TypeError: x\n    at onClick (https://example.com/static/js/main.3f2a9c1b.chunk.js:1:2)",
      "webjs",
    );
    const d = fp(
      "TypeError",
      "x",
      "TypeError: x\n    at onClick (https://example.com/static/js/main.77aa00ff.chunk.js:1:9)",
      "webjs",
    );
    expect(d).toBe(c);
  });

  it("separates different functions, files and exception types", () => {
    const base = fp("TypeError", "x", node("/app", "getUser", 12));
    expect(fp("TypeError", "x", node("/app", "getOrder", 12))).not.toBe(base);
    expect(fp("TypeError", "x", node("/app", "getUser", 12, "src/orders/service.ts"))).not.toBe(base);
    expect(fp("RangeError", "x", node("/app", "getUser", 12))).not.toBe(base);
  });

  it("uses the top in-app frame, not library frames above it", () => {
    const withLib = fp("TypeError", "x", node("/app", "getUser", 12));
    const withoutLib = fp("TypeError", "x", "TypeError: x\n    at getUser (/app/src/users/service.ts:3:1)");
    expect(withLib).toBe(withoutLib);
  });

  it("falls back to the top frame when no frame is in-app", () => {
    const a = fp(
      "Error",
      "x",
      "Error: x\n    at Socket.onError (/app/node_modules/ioredis/built/redis.js:10:1)",
    );
    const b = fp(
      "Error",
      "x",
      "Error: x\n    at Socket.onError (/other/node_modules/ioredis/built/redis.js:99:1)",
    );
    const c = fp(
      "Error",
      "x",
      "Error: x\n    at Parser.parse (/app/node_modules/ioredis/built/parser.js:10:1)",
    );
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("without an in-app frame, separates different messages but not different data", () => {
    const net = (msg: string) =>
      fp(
        "Error",
        msg,
        `Error: ${msg}\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)`,
      );
    expect(net("connect ECONNREFUSED 10.0.0.5:5432")).toBe(net("connect ECONNREFUSED 10.0.0.6:6379"));
    expect(net("connect ETIMEDOUT 10.0.0.5:5432")).not.toBe(net("connect ECONNREFUSED 10.0.0.5:5432"));
  });

  it("groups JVM frames across generated lambda and CGLIB class names", () => {
    const jvm = (suffix: string, line: number) =>
      `java.lang.IllegalStateException: x\n\tat com.acme.Orders${suffix}.place(Orders.java:${line})`;
    expect(fp("java.lang.IllegalStateException", "x", jvm("$$SpringCGLIB$$0", 10), "java")).toBe(
      fp("java.lang.IllegalStateException", "x", jvm("$$SpringCGLIB$$7", 12), "java"),
    );
    expect(fp("E", "x", jvm("$$Lambda$14/0x0000000800c0b1f8", 1), "java")).toBe(
      fp("E", "x", jvm("$$Lambda$99/0x0000000800d00000", 1), "java"),
    );
  });

  it("without a stack, groups by type and masked message", () => {
    const a = fp(
      "ValueError",
      "invalid plan 'gold' for user 123 (id 3f2a9c1b-0000-4000-8000-0000000000aa)",
      null,
    );
    const b = fp(
      "ValueError",
      'invalid plan "silver" for user 98765 (id 9e8d7c6b-1111-4222-8333-444444444444)',
      null,
    );
    expect(b).toBe(a);
    expect(fp("ValueError", "invalid currency for user 1", null)).not.toBe(a);
    expect(fp("KeyError", "invalid plan 'gold' for user 123 (id x)", null)).not.toBe(
      fp("ValueError", "invalid plan 'gold' for user 123 (id x)", null),
    );
  });

  it("lets codewarden.fingerprint override the computed grouping", () => {
    const a = computeFingerprint({
      exceptionType: "A",
      message: "1",
      frames: [],
      fingerprint: "checkout-down",
    });
    const b = computeFingerprint({
      exceptionType: "B",
      message: "2",
      frames: parseStack(node("/app", "getUser", 1), "nodejs"),
      fingerprint: "checkout-down",
    });
    expect(b).toBe(a);
    expect(
      computeFingerprint({ exceptionType: "A", message: "1", frames: [], fingerprint: "other" }),
    ).not.toBe(a);
  });
});

describe("computeFingerprint: frames without a usable name, and reported stacks", () => {
  const anon = (caller: string, message: string) =>
    fp(
      "TypeError",
      message,
      `TypeError: x\n    at /app/dist/jobs/sync.js:31:41\n    at Array.forEach (<anonymous>)\n    at ${caller} (/app/dist/jobs/sync.js:28:12)`,
    );

  it("adds the nearest named in-app frame below an anonymous one", () => {
    expect(anon("syncAccounts", "a")).toBe(anon("syncAccounts", "b"));
    expect(anon("syncInvoices", "a")).not.toBe(anon("syncAccounts", "a"));
  });

  it("adds the masked message, quoted identifiers kept, when no frame has a usable name", () => {
    const bundle = (name: string, hash: string, message: string) =>
      fp(
        "TypeError",
        message,
        `TypeError: x\n    at ${name} (https://shop.example/assets/index-${hash}.js:1:2)`,
        "webjs",
      );
    const a = bundle("ve", "BxG7kD2a", "Cannot read properties of undefined (reading 'toFixed')");
    expect(bundle("Xp", "Q9xLm3Tz", "Cannot read properties of undefined (reading 'toFixed')")).toBe(a);
    expect(bundle("ve", "BxG7kD2a", "Cannot read properties of undefined (reading 'price')")).not.toBe(a);
  });

  it("adds the masked message when the stack was taken where the error was reported (Go RecordError)", () => {
    const recorded = (message: string, line: number) =>
      fp(
        "*fmt.wrapError",
        message,
        `goroutine 9 [running]:\ngo.opentelemetry.io/otel/sdk/trace.recordStackTrace()\n\t/go/pkg/mod/go.opentelemetry.io/otel/sdk@v1.31.0/trace/span.go:570 +0x4e\nmain.getOrder(0xc0001a6180)\n\t/app/main.go:${line} +0x31e\n`,
        "go",
      );
    expect(recorded("get order 8812: sql: no rows in result set", 52)).toBe(
      recorded("get order 77: sql: no rows in result set", 55),
    );
    expect(recorded("decode request: unexpected EOF", 52)).not.toBe(
      recorded("get order 77: sql: no rows in result set", 52),
    );
  });

  it("identifies frames by module when there is one: .NET with and without PDBs group together", () => {
    const dotnet = (location: string) =>
      fp(
        "System.NullReferenceException",
        "x",
        `System.NullReferenceException: x\n   at Acme.Orders.OrderService.ShipAsync(Int32 id)${location}`,
        "dotnet",
      );
    expect(dotnet("")).toBe(dotnet(" in /src/Acme/OrderService.cs:line 57"));
    expect(dotnet(" in C:\\agent\\_work\\3\\s\\OrderService.cs:line 61")).toBe(dotnet(""));
  });

  it("keeps JavaScript receivers that name app classes, drops generic and mangled ones", () => {
    const js = (fn: string, file = "/app/dist/db/repositories.js") =>
      fp("TypeError", "x", `TypeError: x\n    at ${fn} (${file}:4:2)`);
    expect(js("OrderRepository.findById")).not.toBe(js("InvoiceRepository.findById"));
    expect(js("Object.findById")).toBe(js("findById"));
    const url = "https://shop.example/static/js/main.3f9a1c2b.js";
    expect(js("t.handleSubmit", url)).toBe(js("n.handleSubmit", url.replace("3f9a1c2b", "77aa00ff")));
  });

  it("tells monorepo packages apart, but not deploy roots", () => {
    const pkg = (root: string, name: string) =>
      fp("TypeError", "x", `TypeError: x\n    at handler (${root}/packages/${name}/dist/index.js:4:2)`);
    expect(pkg("/var/task", "orders")).toBe(pkg("/app", "orders"));
    expect(pkg("/var/task", "orders")).not.toBe(pkg("/var/task", "users"));
  });
});

describe("maskMessage", () => {
  it("keeps quoted identifiers only when asked", () => {
    expect(maskMessage("reading 'toFixed' of 'a b'", { keepIdentifiers: true })).toBe(
      "reading 'toFixed' of <str>",
    );
    expect(maskMessage("reading 'toFixed'")).toBe("reading <str>");
  });

  it("masks numbers, uuids, hex ids, quoted strings, emails, urls and paths", () => {
    expect(
      maskMessage(
        "GET https://api.example.com/v1/users/42?x=1 failed for bob@example.com: order 'A-17' (0x7ffd 5f2a9c1bd3) id 123e4567-e89b-12d3-a456-426614174000 at /var/data/file.txt after 1500 ms",
      ),
    ).toBe("GET <url> failed for <email>: order <str> (<hex> <hex>) id <uuid> at <path> after <n> ms");
  });
});

describe("issueTitle", () => {
  it("is `Type: first line of message`, capped at 200 characters", () => {
    expect(issueTitle({ exceptionType: "TypeError", message: "boom\nsecond line" })).toBe("TypeError: boom");
    expect(issueTitle({ exceptionType: "TypeError", message: "" })).toBe("TypeError");
    expect(issueTitle({ exceptionType: "", message: "\n  only message" })).toBe("only message");
    const long = issueTitle({ exceptionType: "Error", message: "x".repeat(500) });
    expect(long).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("culprit", () => {
  it("names the top in-app frame as `function (file)`", () => {
    expect(culprit(parseStack(node("/srv/releases/7/app", "getUser", 12), "nodejs"))).toBe(
      "getUser (users/service.ts)",
    );
    const java = parseStack("E: x\n\tat com.acme.Orders.place(Orders.java:10)", "java");
    expect(culprit(java)).toBe("com.acme.Orders.place (Orders.java)");
    expect(culprit([])).toBeNull();
  });
});

describe("normaliseFile", () => {
  it.each([
    ["/srv/app/releases/42/src/users/service.ts", "users/service.ts"],
    ["file:///home/me/project/lib/util.js", "util.js"],
    ["webpack:///./src/components/Button.tsx", "components/Button.tsx"],
    [
      "/opt/x/node_modules/.pnpm/express@4.19.2/node_modules/express/lib/router/layer.js",
      "express/lib/router/layer.js",
    ],
    ["/usr/lib/python3.12/site-packages/requests/api.py", "requests/api.py"],
    ["/root/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go", "github.com/go-chi/chi/v5/mux.go"],
    ["C:\\build\\agent\\work\\OrdersController.cs", "work/OrdersController.cs"],
    ["/srv/app/releases/20261101T1200/billing/plans.py", "billing/plans.py"],
    ["/var/www/app/current/billing/plans.py", "billing/plans.py"],
    ["/var/www/html/index.php", "index.php"],
    ["https://example.com/assets/main.3f2a9c1b.js?v=2#x", "assets/main.js"],
    ["/srv/www/static/js/vendor-Q9xLm3Tz.mjs", "js/vendor.mjs"],
    ["/srv/www/static/js/user-profile.js", "js/user-profile.js"],
    ["Orders.java", "Orders.java"],
  ])("%s → %s", (input, expected) => {
    expect(normaliseFile(input)).toBe(expected);
  });
});
