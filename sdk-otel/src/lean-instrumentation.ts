import {
  InstrumentationBase,
  InstrumentationNodeModuleFile,
  isWrapped,
} from "@opentelemetry/instrumentation";

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

type Target = Record<string, unknown> | undefined;

/**
 * A class export's prototype (undefined if `exports` has none). It may be a function: the `router` package's
 * Router.prototype is one, so that router instances are callable.
 */
export function prototypeOf(exports: unknown): Target {
  return exportsObject((exports as { prototype?: unknown } | null | undefined)?.prototype);
}

/**
 * The exports themselves, for a file whose exports carry the method (wrappedFile's `targetOf`): an object, or a
 * function with methods of its own (Express 4's router module is one).
 */
export function exportsObject(exports: unknown): Target {
  return (typeof exports === "object" && exports !== null) || typeof exports === "function"
    ? (exports as Record<string, unknown>)
    : undefined;
}

/**
 * The base of the SDK's lean framework integrations (express-lean.ts, koa-lean.ts): they make no spans and
 * patch a few framework methods with the instrumentation's own shimmer (`_wrap` / `_unwrap`, as
 * http-server.ts does), each at most once.
 */
export abstract class LeanInstrumentation extends InstrumentationBase {
  /** Replaces `target[name]` with `make(original)` unless it is missing or already wrapped. */
  protected wrapMethod(target: Target, name: string, make: (original: AnyFunction) => AnyFunction): void {
    if (target && typeof target[name] === "function" && !isWrapped(target[name]))
      this._wrap(target, name, make as (original: unknown) => unknown);
  }

  /** Puts `target[name]` back if it is wrapped. */
  protected unwrapMethod(target: Target, name: string): void {
    if (target && isWrapped(target[name])) this._unwrap(target, name);
  }

  /**
   * A file of a framework's package whose method `name`, on the object `targetOf(exports)` (the exports
   * themselves, or a class's prototype), is wrapped with `make` when the file is loaded and put back when
   * it is unloaded. A file that cannot be patched loads as it is (a debug message says so).
   */
  protected wrappedFile(
    path: string,
    versions: string[],
    targetOf: (exports: unknown) => Target,
    name: string,
    make: (original: AnyFunction) => AnyFunction,
  ): InstrumentationNodeModuleFile {
    return new InstrumentationNodeModuleFile(
      path,
      versions,
      (exports: unknown) => {
        try {
          this.wrapMethod(targetOf(exports), name, make);
        } catch (error) {
          this._diag.debug(`${path} not patched`, error);
        }
        return exports;
      },
      (exports: unknown) => {
        this.unwrapMethod(targetOf(exports), name);
        return exports;
      },
    );
  }
}
