import { InstrumentationBase, isWrapped } from "@opentelemetry/instrumentation";

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The base of the SDK's lean framework integrations (express-lean.ts, koa-lean.ts): they make no spans and
 * patch a few framework methods with the instrumentation's own shimmer (`_wrap` / `_unwrap`, as
 * http-server.ts does), each at most once.
 */
export abstract class LeanInstrumentation extends InstrumentationBase {
  /** Replaces `target[name]` with `make(original)` unless it is missing or already wrapped. */
  protected wrapMethod(
    target: Record<string, unknown> | undefined,
    name: string,
    make: (original: AnyFunction) => AnyFunction,
  ): void {
    if (target && typeof target[name] === "function" && !isWrapped(target[name]))
      this._wrap(target, name, make as (original: unknown) => unknown);
  }

  /** Puts `target[name]` back if it is wrapped. */
  protected unwrapMethod(target: Record<string, unknown> | undefined, name: string): void {
    if (target && isWrapped(target[name])) this._unwrap(target, name);
  }
}
