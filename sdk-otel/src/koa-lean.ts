import type { IncomingMessage } from "node:http";
import { getRPCMetadata, hrTime, RPCType } from "@opentelemetry/core";
import { InstrumentationNodeModuleDefinition } from "@opentelemetry/instrumentation";
import { activeContext } from "./context-manager.js";
import { setRouteLater } from "./http-server.js";
import { type AnyFunction, exportsObject, LeanInstrumentation } from "./lean-instrumentation.js";
import { noteRequestError } from "./request-errors.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

const KOA = [">=2.0.0 <4"];

interface KoaContext {
  req?: IncomingMessage;
  _matchedRoute?: unknown;
}

/**
 * Koa for the "errors" mode, in place of `@opentelemetry/instrumentation-koa`, which wraps every middleware
 * (a span and a context switch per middleware per request: on Node.js 20 it took the SDK benchmark's Koa app
 * to 69% of its throughput, docs/BENCHMARKS.md). An error tracker needs two things from Koa, and both cost
 * nothing on a request that succeeds:
 *
 * - the route: when the request's middleware has run, the path @koa/router matched (`ctx._matchedRoute`,
 *   e.g. `/users/:id`) goes to the server span's RPC metadata, which names the span and sets `http.route`;
 * - the error: Koa hands what a middleware throws (or rejects with) to `ctx.onerror`, which answers it
 *   (`err.status`, else 500). The error is noted there; if the request then fails (5xx, or no answer), the
 *   server span records it as its exception (http-server.ts). A 4xx records nothing.
 *
 * No spans of its own. Koa 2 and 3 (both tested, with @koa/router 13).
 */
export class KoaLeanInstrumentation extends LeanInstrumentation {
  constructor() {
    super(`${SDK_NAME}/koa`, SDK_VERSION, {});
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        "koa",
        KOA,
        (exports: KoaExports) => {
          this.wrapMethod(applicationOf(exports)?.prototype, "handleRequest", nameRoute);
          return exports;
        },
        (exports: KoaExports | undefined) =>
          this.unwrapMethod(applicationOf(exports)?.prototype, "handleRequest"),
        [
          // The prototype every app's context inherits onerror from.
          this.wrappedFile("koa/lib/context.js", KOA, exportsObject, "onerror", noteError),
        ],
      ),
    ];
  }
}

type Application = { prototype?: Record<string, unknown> };
type KoaExports = Application & { default?: Application };

/** The Application class: the CommonJS export itself, or the `default` of the ES module (koa/dist/koa.mjs). */
function applicationOf(exports: KoaExports | undefined): Application | undefined {
  if (typeof exports === "function") return exports;
  return typeof exports?.default === "function" ? exports.default : undefined;
}

// As in express-lean.ts: named parameters, `arguments` forwarded as is.

/**
 * Application.prototype.handleRequest(ctx, fnMiddleware): once the middleware ran, the matched route names the
 * request. With the SDK's server instrumentation the route is read from `ctx` when the server span ends, and only
 * if it is kept (no promise per request: on Node.js 20 and 22 each one runs the async hooks, ~3,000 CPU
 * instructions per request here); otherwise when Koa's promise settles.
 */
function nameRoute(original: AnyFunction): AnyFunction {
  return function handleRequest(this: unknown, ctx?: unknown) {
    const rpc = getRPCMetadata(activeContext());
    const koa = ctx as KoaContext | undefined;
    if (rpc?.type === RPCType.HTTP && koa && setRouteLater(rpc, () => koa._matchedRoute))
      // biome-ignore lint/complexity/noArguments: forwards Koa's arguments as they are
      return original.apply(this, arguments as unknown as unknown[]);
    // biome-ignore lint/complexity/noArguments: forwards Koa's arguments as they are
    const result = original.apply(this, arguments as unknown as unknown[]);
    if (rpc?.type === RPCType.HTTP && koa && result instanceof Promise) {
      const name = () => {
        const route = koa._matchedRoute;
        if (typeof route === "string") rpc.route = route;
      };
      // Koa has answered when this promise settles; the response's 'close', which ends the span, comes later.
      result.then(name, name);
    }
    return result;
  };
}

/** context.onerror(err): an error on its way to Koa's answer. */
function noteError(original: AnyFunction): AnyFunction {
  return function onerror(this: unknown, error?: unknown) {
    const req = (this as KoaContext | undefined)?.req;
    if (error !== null && error !== undefined && req) noteRequestError(req, error, hrTime());
    // biome-ignore lint/complexity/noArguments: forwards Koa's arguments as they are
    return original.apply(this, arguments as unknown as unknown[]);
  };
}
