import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { diag } from "@opentelemetry/api";
import { getRPCMetadata, hrTime, RPCType } from "@opentelemetry/core";
import { InstrumentationBase } from "@opentelemetry/instrumentation";
import { activeContext } from "./context-manager.js";
import type { AnyFunction } from "./lean-instrumentation.js";
import { noteRequestError } from "./request-errors.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

/** Published by Fastify (4.x and 5.x) with `{ fastify }` when an instance is created, before any route. */
const INITIALIZATION = "fastify.initialization";

interface FastifyInstance {
  // biome-ignore lint/suspicious/noExplicitAny: Fastify's hooks take different arguments each
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
}

interface RouteOptions {
  url?: unknown;
  handler?: unknown;
}

interface FastifyRequest {
  raw?: IncomingMessage;
  routeOptions?: { url?: unknown };
}

/** Whether an enabled FastifyLeanInstrumentation exists (the hooks of instances created before stay in place). */
let enabled = false;

/**
 * Fastify for the "errors" mode, in place of `@fastify/otel`, which wraps every hook and handler of every
 * request in a span (on Node.js 20 it cost the SDK benchmark's Fastify app a third of its throughput,
 * docs/BENCHMARKS.md). Like express-lean.ts and koa-lean.ts it takes two things from the framework, and on
 * a request that succeeds costs one function call:
 *
 * - the route: each route's handler is wrapped when the route is registered (an `onRoute` hook) so that it
 *   puts the route's URL pattern (`/items/:id`, prefixes included) in the server span's RPC metadata, which
 *   names the span (`GET /items/:id`) and sets `http.route`;
 * - the error: an `onError` hook, which Fastify runs only for a request that fails (a thrown or rejected
 *   handler or hook, `reply.send(error)`, a validation error), notes the error; if the request then fails
 *   (5xx, or no answer), the server span records it as its exception (http-server.ts). A 4xx records
 *   nothing. An error in a hook before the handler names the route there.
 *
 * Every Fastify instance gets both hooks when it is created, through Fastify's `fastify.initialization`
 * diagnostics channel, so the app registers no plugin (an instance created before the SDK started is not
 * instrumented). No module is patched and no spans are made.
 */
export class FastifyLeanInstrumentation extends InstrumentationBase {
  constructor() {
    super(`${SDK_NAME}/fastify`, SDK_VERSION, {});
  }

  protected init() {
    return [];
  }

  override enable(): void {
    if (!enabled) subscribe(INITIALIZATION, instrumentInstance);
    enabled = true;
    super.enable();
  }

  override disable(): void {
    if (enabled) unsubscribe(INITIALIZATION, instrumentInstance);
    enabled = false;
    super.disable();
  }
}

/** The channel's subscriber. A subscriber's exception would be rethrown in the app as uncaught: none escapes. */
function instrumentInstance(message: unknown): void {
  const fastify = (message as { fastify?: FastifyInstance } | null)?.fastify;
  if (!fastify || typeof fastify.addHook !== "function") return;
  try {
    fastify.addHook("onRoute", wrapRouteHandler);
    fastify.addHook("onError", noteError);
  } catch (error) {
    diag.debug("fastify: instance not instrumented", error);
  }
}

/** onRoute(routeOptions): the handler Fastify will bind and call names the request after the route first. */
function wrapRouteHandler(this: unknown, routeOptions: RouteOptions): void {
  const { url, handler } = routeOptions;
  if (typeof url !== "string" || typeof handler !== "function") return;
  const original = handler as AnyFunction;
  // As in express-lean.ts: named parameters, `arguments` forwarded as is.
  routeOptions.handler = function handle(this: unknown, _request?: unknown, _reply?: unknown) {
    const rpc = getRPCMetadata(activeContext());
    if (rpc?.type === RPCType.HTTP) rpc.route = url;
    // biome-ignore lint/complexity/noArguments: forwards Fastify's arguments as they are
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** onError(request, reply, error, done): an error on its way to Fastify's error handler. */
function noteError(
  this: unknown,
  request?: FastifyRequest,
  _reply?: unknown,
  error?: unknown,
  done?: unknown,
): void {
  try {
    const req = request?.raw;
    if (enabled && req && error !== null && error !== undefined) {
      noteRequestError(req, error, hrTime());
      // A hook that failed before the handler ran: the route is named here.
      const rpc = getRPCMetadata(activeContext());
      const route = request.routeOptions?.url;
      if (rpc?.type === RPCType.HTTP && rpc.route === undefined && typeof route === "string")
        rpc.route = route;
    }
  } catch (failure) {
    diag.debug("fastify: error not noted", failure);
  }
  if (typeof done === "function") done();
}
