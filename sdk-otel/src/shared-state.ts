import type { SendPipeline } from "./before-send.js";

/**
 * Process-wide state, kept on globalThis so that the ESM and CommonJS builds of this package — both can be
 * loaded in one process, e.g. `--import …/register` followed by `require("@codewarden/sdk-otel")` — share one
 * SDK, one set of hooks and one set of printed warnings.
 */
export interface SharedState {
  /** What init() returned the first time it started (or decided not to start). */
  handle?: unknown;
  /** The running SDK's flush/shutdown, for the module-level flush() and shutdown(). */
  runtime?: {
    flush(timeoutMs: number): Promise<boolean>;
    shutdown(timeoutMs: number): Promise<boolean>;
  };
  /** beforeSend and scrub rules from init() (typed in before-send.ts). */
  pipeline?: SendPipeline;
  /** User and tags set with setUser/setTag (typed in scope.ts). */
  scopes?: unknown;
  /** True when the running SDK has at least one instrumentation (the register entry point then adds the ESM hook). */
  instrumented?: boolean;
  warned: Set<string>;
  debug: boolean;
}

const KEY = Symbol.for("@codewarden/sdk-otel/state@1");

export function sharedState(): SharedState {
  const slot = globalThis as { [KEY]?: SharedState };
  slot[KEY] ??= { warned: new Set(), debug: false };
  return slot[KEY];
}
