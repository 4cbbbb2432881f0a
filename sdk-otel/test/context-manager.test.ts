import { context, createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { afterEach, describe, expect, it } from "vitest";
import { activeContext, callInContext, SdkContextManager } from "../src/context-manager.js";

const KEY = createContextKey("test");

function arity(this: unknown, ...args: unknown[]): [unknown, number, unknown[]] {
  return [this, args.length, args];
}

afterEach(() => {
  context.disable();
});

describe("SdkContextManager", () => {
  it("is used directly once it is the global manager: the same store as context.with/active", async () => {
    const manager = new SdkContextManager();
    expect(manager.storage).toBeDefined();
    expect(context.setGlobalContextManager(manager.enable())).toBe(true);
    expect(manager.useDirectly()).toBe(true);

    const ctx = ROOT_CONTEXT.setValue(KEY, "request");
    const self = { name: "emitter" };
    const seen = callInContext(
      ctx,
      function (this: unknown, a?: unknown) {
        // biome-ignore lint/complexity/noArguments: the callee's arity is what is tested
        return [context.active().getValue(KEY), activeContext().getValue(KEY), this, a, arguments.length];
      },
      self,
      1,
      "data",
    );
    expect(seen).toEqual(["request", "request", self, "data", 1]);
    // Outside, nothing is active; a value set through the API is what activeContext sees.
    expect(activeContext()).toBe(ROOT_CONTEXT);
    context.with(ctx, () => expect(activeContext()).toBe(ctx));
    // The context follows the callback across an await, as with context.with.
    const later = await callInContext(
      ctx,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return activeContext().getValue(KEY);
      },
      undefined,
      0,
    );
    expect(later).toBe("request");
  });

  it("passes exactly the arguments it is given (0 to 3), so listeners see the event's own arity", () => {
    const manager = new SdkContextManager();
    context.setGlobalContextManager(manager.enable());
    manager.useDirectly();
    const self = {};
    expect(callInContext(ROOT_CONTEXT, arity, self, 0)).toEqual([self, 0, []]);
    expect(callInContext(ROOT_CONTEXT, arity, self, 1, "a")).toEqual([self, 1, ["a"]]);
    expect(callInContext(ROOT_CONTEXT, arity, self, 2, "a", undefined)).toEqual([self, 2, ["a", undefined]]);
    expect(callInContext(ROOT_CONTEXT, arity, self, 3, "a", "b", "c")).toEqual([self, 3, ["a", "b", "c"]]);
  });

  it("falls back to the API when another manager is global, and after it is disabled", () => {
    const other = new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(other.enable());
    const ours = new SdkContextManager();
    // Not registered (the other one was first): using its storage would set a context nobody reads.
    expect(ours.useDirectly()).toBe(false);
    const ctx = ROOT_CONTEXT.setValue(KEY, "via-api");
    const self = {};
    expect(
      callInContext(
        ctx,
        function (this: unknown) {
          return [context.active().getValue(KEY), activeContext().getValue(KEY), this];
        },
        self,
        0,
      ),
    ).toEqual(["via-api", "via-api", self]);
    context.disable();

    context.setGlobalContextManager(ours.enable());
    expect(ours.useDirectly()).toBe(true);
    context.disable(); // what NodeSDK.shutdown does: the manager is disabled and unregistered
    expect(callInContext(ctx, () => activeContext(), undefined, 0)).toBe(ROOT_CONTEXT); // no manager: the API's no-op
  });

  it("checks on first use when asked to (useDirectlyFromFirstUse): direct if global then, the API if not", () => {
    const ours = new SdkContextManager();
    context.setGlobalContextManager(ours.enable());
    ours.useDirectlyFromFirstUse();
    const ctx = ROOT_CONTEXT.setValue(KEY, "first-use");
    const read = () => [context.active().getValue(KEY), activeContext().getValue(KEY)];
    expect(callInContext(ctx, read, undefined, 0)).toEqual(["first-use", "first-use"]);
    expect(ours.storage?.getStore()).toBeUndefined();
    context.disable();

    // Another manager became the global one between start and the first request: the check, run then,
    // sees it and the helpers go through the API (the other manager's store).
    const late = new SdkContextManager();
    late.useDirectlyFromFirstUse();
    const other = new AsyncLocalStorageContextManager();
    context.setGlobalContextManager(other.enable());
    expect(callInContext(ctx, read, undefined, 0)).toEqual(["first-use", "first-use"]);
    // Not ours: what our own storage holds is not the active context.
    expect(late.storage?.run(ctx, () => activeContext())).toBe(ROOT_CONTEXT);
    context.disable();

    // Disabled (the SDK shut down) before any request: nothing left to check, the API's no-op manager.
    const stopped = new SdkContextManager();
    context.setGlobalContextManager(stopped.enable());
    stopped.useDirectlyFromFirstUse();
    context.disable();
    expect(callInContext(ctx, () => activeContext(), undefined, 0)).toBe(ROOT_CONTEXT);
  });
});
