import { describe, expect, it } from "vitest";
import { parseStack } from "./parse-stack";

const PANIC = `panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b4a2f]

goroutine 42 [running]:
github.com/acme/shop/internal/orders.(*Store).Get(0x0, {0x7c1e40, 0xc0000a6000}, {0xc0001a2000, 0x24})
	/home/runner/work/shop/internal/orders/store.go:57 +0x2f
github.com/acme/shop/internal/http.(*Server).getOrder(0xc000182000, {0x7c3f60, 0xc0001c0000}, 0xc0001b4000)
	/home/runner/work/shop/internal/http/orders.go:31 +0x8a
net/http.HandlerFunc.ServeHTTP(0xc000184000?, {0x7c3f60?, 0xc0001c0000?}, 0x0?)
	/usr/local/go/src/net/http/server.go:2166 +0x29
github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc00018a000, {0x7c3f60, 0xc0001c0000}, 0xc0001b4000)
	/root/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go:459 +0x2a3
created by net/http.(*Server).Serve in goroutine 1
	/usr/local/go/src/net/http/server.go:3285 +0x4b4

goroutine 1 [IO wait]:
internal/poll.runtime_pollWait(0x7f, 0x72)
	/usr/local/go/src/runtime/netpoll.go:345 +0x85
exit status 2`;

describe("parseStack: Go", () => {
  const frames = parseStack(PANIC, "go");

  it("reads the panicking goroutine only, with package and function split", () => {
    expect(frames).toHaveLength(5);
    expect(frames[0]).toEqual({
      function: "(*Store).Get",
      module: "github.com/acme/shop/internal/orders",
      file: "/home/runner/work/shop/internal/orders/store.go",
      line: 57,
      column: null,
      inApp: true,
    });
    expect(frames[4]).toMatchObject({ function: "(*Server).Serve", module: "net/http", line: 3285 });
  });

  it("marks GOROOT and the module cache as not in-app", () => {
    expect(frames.map((f) => f.inApp)).toEqual([true, true, false, false, false]);
  });

  it("reads debug.Stack() output and detects Go without a language", () => {
    const stack = `goroutine 1 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
main.handle.func1()
	/app/main.go:14 +0x25
main.main()
	/app/main.go:20 +0x1d
`;
    const f = parseStack(stack, null);
    expect(f.map((x) => [x.module, x.function, x.inApp])).toEqual([
      ["runtime/debug", "Stack", false],
      ["main", "handle.func1", true],
      ["main", "main", true],
    ]);
  });
});

describe("parseStack: Go, where the stack was taken", () => {
  it("starts a recovered panic's trace at panic(): the recovering middleware is not the failure", () => {
    const stack = `goroutine 118 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/acme/shop/internal/httpx.Recoverer.func1.1()
	/src/internal/httpx/recover.go:24 +0x8d
panic({0x9e5a40?, 0x11c0f30?})
	/usr/local/go/src/runtime/panic.go:785 +0x132
github.com/acme/shop/internal/orders.(*Store).Get(0x0)
	/src/internal/orders/store.go:57 +0x2f
`;
    const f = parseStack(stack, "go");
    expect(f.map((x) => [x.module, x.function, x.inApp])).toEqual([
      [null, "panic", false],
      ["github.com/acme/shop/internal/orders", "(*Store).Get", true],
    ]);
  });

  it("tells the standard library and dependencies apart in -trimpath builds", () => {
    const stack = `goroutine 7 [running]:
shop/internal/imports.(*Importer).parseLine(0xc0000c6000)
	shop/internal/imports/importer.go:88 +0x1a5
github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc0001c2000)
	github.com/go-chi/chi/v5@v5.1.0/mux.go:459 +0x2a3
net/http.HandlerFunc.ServeHTTP(0xc000342a80?)
	net/http/server.go:2220 +0x29
`;
    expect(parseStack(stack, "go").map((x) => x.inApp)).toEqual([true, false, false]);
  });
});
