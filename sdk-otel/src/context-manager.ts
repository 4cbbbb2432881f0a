import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, context, createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";

/**
 * The context manager the SDK registers: OpenTelemetry's AsyncLocalStorageContextManager, unchanged, plus
 * direct access to its AsyncLocalStorage for the SDK's own per-request paths (the lean server
 * instrumentation runs every request, and every listener of a request's body, in the request's context).
 *
 * Through the API, `context.with(ctx, fn)` looks the global manager up and checks its version, then copies its
 * arguments three times (API, manager, AsyncLocalStorage) and binds `fn`; `context.active()` does the lookup
 * too. The helpers below go straight to the AsyncLocalStorage — the same store, the same semantics — and
 * fall back to the API whenever this manager is not the active global one (another manager registered
 * first, or the SDK shut down).
 */
export class SdkContextManager extends AsyncLocalStorageContextManager {
  /** The parent's AsyncLocalStorage, or undefined if this version of it keeps none where we look. */
  readonly storage: AsyncLocalStorage<Context> | undefined;
  private disabled = false;

  constructor() {
    super();
    const storage = (this as unknown as { _asyncLocalStorage?: unknown })._asyncLocalStorage;
    this.storage = storage instanceof AsyncLocalStorage ? (storage as AsyncLocalStorage<Context>) : undefined;
  }

  override enable(): this {
    this.disabled = false;
    return super.enable();
  }

  override disable(): this {
    this.disabled = true;
    if (fast === this) fast = undefined;
    if (pending === this) pending = undefined;
    return super.disable();
  }

  /**
   * `useDirectly()`, deferred to the first call of the helpers below. The check runs `context.with`, and on
   * Node.js 20 and 22 the first `AsyncLocalStorage.run` turns on async hooks for the rest of the process:
   * checked at start, the application's whole start-up (its module loading, with the loader's promises of
   * many shapes) would run with a promise hook, which costs start-up time and leaves V8's inline caches in
   * Node's promise tracking (`trackPromise`) and `executionAsyncResource` megamorphic for every later request.
   * Deferred, that starts with the first request, as for any AsyncLocalStorage the application uses itself.
   */
  useDirectlyFromFirstUse(): void {
    fast = undefined;
    pending = this.disabled ? undefined : this;
  }

  /**
   * Makes the helpers below use this manager directly, if it is the global one: checked through the public
   * API (a context set with `context.with` must be what this manager's storage holds). Returns whether it is.
   */
  useDirectly(): boolean {
    const storage = this.storage;
    if (!storage || this.disabled) return false;
    const probe = ROOT_CONTEXT.setValue(PROBE, true);
    const global = context.with(probe, () => storage.getStore() === probe);
    fast = global ? this : undefined;
    return global;
  }
}

const PROBE = createContextKey("codewarden.context-manager.probe");

/** The SDK's manager while it is the global one and enabled (see SdkContextManager.useDirectly). */
let fast: SdkContextManager | undefined;
/** The manager to check at the first call of the helpers below (SdkContextManager.useDirectlyFromFirstUse). */
let pending: SdkContextManager | undefined;

/** The AsyncLocalStorage to use directly, if any (running the deferred check first). */
function directStorage(): AsyncLocalStorage<Context> | undefined {
  if (pending !== undefined) {
    const manager = pending;
    pending = undefined;
    manager.useDirectly();
  }
  return fast?.storage;
}

/** `context.active()`. */
export function activeContext(): Context {
  const storage = directStorage();
  return storage ? (storage.getStore() ?? ROOT_CONTEXT) : context.active();
}

/**
 * `fn.call(self, ...[a, b, c].slice(0, argc))` with `ctx` active: `context.with(ctx, fn, self, ...)` without the
 * copies. `argc` (0–3) keeps the callee's `arguments.length` what the caller passed (an emitter's listeners see
 * exactly the event's arguments).
 */
export function callInContext<T, R>(
  ctx: Context,
  fn: (this: T, ...args: unknown[]) => R,
  self: T,
  argc: number,
  a?: unknown,
  b?: unknown,
  c?: unknown,
): R {
  const storage = directStorage();
  if (storage) return storage.run(ctx, callWith, fn, self, argc, a, b, c) as R;
  return context.with(ctx, callWith, undefined, fn, self, argc, a, b, c) as R;
}

function callWith<T, R>(
  fn: (this: T, ...args: unknown[]) => R,
  self: T,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
): R {
  switch (argc) {
    case 0:
      return fn.call(self);
    case 1:
      return fn.call(self, a);
    case 2:
      return fn.call(self, a, b);
    default:
      return fn.call(self, a, b, c);
  }
}
