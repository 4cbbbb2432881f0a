import { describe, expect, it } from "vitest";
import { parseStack } from "./parse-stack";

const NODE_TRACE = `TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/srv/app/releases/42/src/users/service.ts:12:19)
    at async Promise.all (index 0)
    at async handler (file:///srv/app/releases/42/dist/routes/users.js:40:3)
    at new OrderBook (/srv/app/src/orders/book.js:7:11)
    at Router.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at Object.<anonymous> (/srv/app/index.js:1:1)
    at /srv/app/src/anon.js:3:4
    at Module._compile (node:internal/modules/cjs/loader:1256:14)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)
    at eval (eval at compile (/srv/app/src/template.js:10:5), <anonymous>:1:8)
    at Array.map (<anonymous>)`;

describe("parseStack: V8 / Node", () => {
  const frames = parseStack(NODE_TRACE, "nodejs");

  it("reads every frame, innermost first", () => {
    expect(frames).toHaveLength(11);
    expect(frames[0]).toEqual({
      function: "getUser",
      module: null,
      file: "/srv/app/releases/42/src/users/service.ts",
      line: 12,
      column: 19,
      inApp: true,
    });
  });

  it("handles async frames, file:// URLs, constructors and aliases", () => {
    expect(frames[1]).toMatchObject({ function: "Promise.all", file: null, line: null, inApp: false });
    expect(frames[2]).toMatchObject({
      function: "handler",
      file: "/srv/app/releases/42/dist/routes/users.js",
      line: 40,
    });
    expect(frames[3]).toMatchObject({ function: "new OrderBook", line: 7, column: 11, inApp: true });
    expect(frames[4]).toMatchObject({ function: "Router.handle", module: "express", inApp: false });
    expect(frames[6]).toMatchObject({
      function: null,
      file: "/srv/app/src/anon.js",
      line: 3,
      column: 4,
      inApp: true,
    });
  });

  it("marks node:internal frames, eval origins and natives", () => {
    expect(frames[7]).toMatchObject({ file: "node:internal/modules/cjs/loader", line: 1256, inApp: false });
    expect(frames[8]?.inApp).toBe(false);
    expect(frames[9]).toMatchObject({
      function: "eval",
      file: "/srv/app/src/template.js",
      line: 10,
      column: 5,
    });
    expect(frames[10]).toMatchObject({ function: "Array.map", file: "<anonymous>", inApp: false });
  });

  it("stops at the cause: frames of [cause] belong to another error", () => {
    const trace = `Error: request failed
    at fetchUser (/app/src/client.ts:20:11)
    at main (/app/src/main.ts:5:3) {
  [cause]: Error: connect ECONNREFUSED 127.0.0.1:5432
      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)
}`;
    const f = parseStack(trace, "nodejs");
    expect(f.map((x) => x.function)).toEqual(["fetchUser", "main"]);
  });

  it("parses Windows paths and file URLs", () => {
    const f = parseStack(
      "Error: x\n    at run (C:\\work\\app\\src\\job.js:3:9)\n    at file:///C:/work/app/src/main.mjs:1:1",
      "nodejs",
    );
    expect(f[0]).toMatchObject({ function: "run", file: "C:\\work\\app\\src\\job.js", line: 3, column: 9 });
    expect(f[1]).toMatchObject({ function: null, file: "C:/work/app/src/main.mjs", line: 1 });
  });

  it("parses browser traces: Chrome (webjs) and Firefox/Safari", () => {
    const chrome = parseStack(
      "TypeError: x is not a function\n    at onClick (https://example.com/assets/index-BxG7kD2a.js:1:2345)",
      "webjs",
    );
    expect(chrome[0]).toMatchObject({
      function: "onClick",
      file: "https://example.com/assets/index-BxG7kD2a.js",
    });
    const firefox = parseStack(
      "onClick@https://example.com/assets/main.3f2a9c1b.js:1:2345\n@https://example.com/assets/main.3f2a9c1b.js:2:10\n",
      "webjs",
    );
    expect(firefox).toHaveLength(2);
    expect(firefox[0]).toMatchObject({ function: "onClick", line: 1, column: 2345, inApp: true });
    expect(firefox[1]?.function).toBeNull();
  });

  it("keeps reading Safari traces past [native code] frames and strips Firefox's async*", () => {
    const safari = parseStack(
      "handleSubmit@https://x.example/main.js:2:10\ndispatchEvent@[native code]\n[native code]\nrun@https://x.example/main.js:3:4\nasync*onClick@https://x.example/main.js:4:1",
      "webjs",
    );
    expect(safari.map((f) => [f.function, f.file, f.inApp])).toEqual([
      ["handleSubmit", "https://x.example/main.js", true],
      ["dispatchEvent", "[native code]", false],
      [null, "[native code]", false],
      ["run", "https://x.example/main.js", true],
      ["onClick", "https://x.example/main.js", true],
    ]);
  });

  it("does not count public CDNs and third-party scripts as the app's code", () => {
    const f = parseStack(
      "Error: x\n    at t (https://js.stripe.com/v3/:1:2)\n    at mount (https://shop.example/assets/index-BxG7kD2a.js:1:2)\n    at https://cdn.jsdelivr.net/npm/lib@1/x.js:1:1",
      "webjs",
    );
    expect(f.map((x) => x.inApp)).toEqual([false, true, false]);
  });

  it("detects V8 traces without a language", () => {
    expect(parseStack(NODE_TRACE, null)).toEqual(frames);
    expect(parseStack(NODE_TRACE, "unknown-lang")).toEqual(frames);
  });
});
