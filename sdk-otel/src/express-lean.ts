import type { IncomingMessage } from "node:http";
import { getRPCMetadata, hrTime, RPCType } from "@opentelemetry/core";
import { InstrumentationNodeModuleDefinition } from "@opentelemetry/instrumentation";
import { activeContext } from "./context-manager.js";
import { type AnyFunction, exportsObject, LeanInstrumentation, prototypeOf } from "./lean-instrumentation.js";
import { noteRequestError } from "./request-errors.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

/** Express 4 keeps its router in lib/router; Express 5 uses the separate `router` package (2.x). */
const EXPRESS_4 = [">=4.0.0 <5"];
const ROUTER_2 = [">=2.0.0 <3"];

/** Values Express passes to `next` that are not errors. */
function isError(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "route" && value !== "router";
}

/**
 * Express 4 and 5 for the "errors" mode, in place of `@opentelemetry/instrumentation-express`, which wraps every
 * middleware and route handler of every request (a span, a bound `next`, a response listener and route
 * bookkeeping per layer — 2–3× the CPU of a small Express app, docs/BENCHMARKS.md). An error tracker needs
 * two things from Express, and both cost nothing on a request that succeeds:
 *
 * - the route: when a route is dispatched, the server span's RPC metadata gets `req.baseUrl` + the
 *   route's path (`/api/items/:id`), which names the span (`GET /api/items/:id`) and sets `http.route`;
 * - the error: Express catches what a handler throws (or is passed to `next(err)`) and sends it down its
 *   error path — the next layers' `handle_error`, then the router's final callback. The first error a
 *   request meets there is noted with its time; if the request then fails (5xx, or no answer), the server
 *   span records it as its exception (http-server.ts), with its stack. A 4xx from an error handler records
 *   nothing, and an error already passed to captureException is not recorded twice.
 *
 * No spans of its own. Express 4 keeps these in express/lib/router (Route.dispatch, Layer.handle_error,
 * Router.handle); Express 5 in the `router` package 2.x (Route.dispatch, Layer.handleError, Router.handle), which
 * apps can also use on its own.
 */
export class ExpressLeanInstrumentation extends LeanInstrumentation {
  constructor() {
    super(`${SDK_NAME}/express`, SDK_VERSION, {});
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition("express", EXPRESS_4, undefined, undefined, [
        this.wrappedFile("express/lib/router/route.js", EXPRESS_4, prototypeOf, "dispatch", nameRoute),
        this.wrappedFile(
          "express/lib/router/layer.js",
          EXPRESS_4,
          prototypeOf,
          "handle_error",
          noteLayerError,
        ),
        // The router's module exports the prototype that router instances inherit `handle` from.
        this.wrappedFile("express/lib/router/index.js", EXPRESS_4, exportsObject, "handle", noteFinalError),
      ]),
      new InstrumentationNodeModuleDefinition(
        "router",
        ROUTER_2,
        (Router: Record<string, unknown>) => {
          this.wrapMethod(prototypeOf(Router), "handle", noteFinalError);
          return Router;
        },
        (Router: Record<string, unknown> | undefined) => this.unwrapMethod(prototypeOf(Router), "handle"),
        [
          this.wrappedFile("router/lib/route.js", ROUTER_2, prototypeOf, "dispatch", nameRoute),
          this.wrappedFile("router/lib/layer.js", ROUTER_2, prototypeOf, "handleError", noteLayerError),
        ],
      ),
    ];
  }
}

// The wrappers below take Express's arguments as named parameters and forward `arguments`: a rest-parameter
// array rewritten and passed to `apply` made V8 pretenure a request's garbage in the SDK's Express benchmark
// on Node 24 (a mark-compact every second, +7 µs of GC per request; docs/BENCHMARKS.md).

/** Route.prototype.dispatch(req, res, done): the matched route names the request. */
function nameRoute(original: AnyFunction): AnyFunction {
  return function dispatch(this: unknown, req?: unknown) {
    const path = (this as { path?: unknown }).path;
    if (typeof path === "string") {
      const rpc = getRPCMetadata(activeContext());
      if (rpc?.type === RPCType.HTTP) {
        const baseUrl = (req as { baseUrl?: unknown } | undefined)?.baseUrl;
        rpc.route = `${typeof baseUrl === "string" ? baseUrl : ""}${path}`;
      }
    }
    // biome-ignore lint/complexity/noArguments: forwards Express's arguments as they are
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** Layer.prototype.handle_error / handleError(error, req, res, next): an error on its way down the stack. */
function noteLayerError(original: AnyFunction): AnyFunction {
  return function handle_error(this: unknown, error?: unknown, req?: unknown) {
    if (isError(error)) noteRequestError(req as IncomingMessage, error, hrTime());
    // biome-ignore lint/complexity/noArguments: forwards Express's arguments as they are
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** Router.handle(req, res, out): an error left over after the last layer goes to `out`. */
function noteFinalError(original: AnyFunction): AnyFunction {
  return function handle(this: unknown, req?: unknown, res?: unknown, out?: unknown) {
    // biome-ignore lint/complexity/noArguments: forwards Express's arguments as they are
    if (typeof out !== "function") return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, req, res, function (this: unknown, error?: unknown) {
      if (isError(error)) noteRequestError(req as IncomingMessage, error, hrTime());
      // biome-ignore lint/complexity/noArguments: forwards Express's arguments as they are
      return (out as AnyFunction).apply(this, arguments as unknown as unknown[]);
    });
  };
}
