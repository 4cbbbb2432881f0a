import type { IncomingMessage, Server, ServerResponse } from "node:http";
import {
  type Context,
  context,
  type Exception,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { type RPCMetadata, RPCType, setRPCMetadata } from "@opentelemetry/core";
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from "@opentelemetry/instrumentation";
import { activeContext, callInContext } from "./context-manager.js";
import { DeferredSpan, type SpanOptionsSource } from "./deferred-span.js";
import { takeRequestError } from "./request-errors.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

// Stable HTTP semantic conventions (the same keys @opentelemetry/instrumentation-http writes).
const ATTR_METHOD = "http.request.method";
const ATTR_METHOD_ORIGINAL = "http.request.method_original";
const ATTR_STATUS = "http.response.status_code";
const ATTR_ROUTE = "http.route";
const ATTR_SCHEME = "url.scheme";
const ATTR_PATH = "url.path";
const ATTR_SERVER_ADDRESS = "server.address";
const ATTR_SERVER_PORT = "server.port";
const ATTR_PEER_ADDRESS = "network.peer.address";
const ATTR_PEER_PORT = "network.peer.port";
const ATTR_PROTOCOL_VERSION = "network.protocol.version";
const ATTR_USER_AGENT = "user_agent.original";
const ATTR_ERROR_TYPE = "error.type";

const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
  "QUERY",
]);

/** Caps on request-controlled strings copied onto the span (the collector caps again). */
const MAX_PATH = 2048;
const MAX_HEADER_VALUE = 512;

type Emit = Server["emit"];
/** `http` exports all three classes; `https` only its Server (its requests and responses are http's). */
type HttpModule = {
  Server: { prototype: Server };
  IncomingMessage?: { prototype: IncomingMessage };
  ServerResponse?: { prototype: ServerResponse };
};

function isWrapped(fn: unknown, marker: symbol): boolean {
  return typeof fn === "function" && marker in fn;
}

/** Marks our wrapper of Server.prototype.emit. */
const OURS = Symbol.for("codewarden.http-server.emit");

/** A thrown value as recordException takes it (an Error as is, anything else as its text). */
function asException(error: unknown): Exception {
  return error instanceof Error ? error : String(error);
}

/** `error.type` for a thrown value: the error's class name, else the value's type. */
function errorTypeOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cap(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

/** The request target's path, without the query string (queries can hold secrets; they are not recorded). */
function pathOf(url: string | undefined): string {
  if (!url) return "/";
  const q = url.indexOf("?");
  return cap(q === -1 ? url : url.slice(0, q), MAX_PATH);
}

/** Host header → [host, port]; IPv6 literals keep their brackets off. */
function hostAndPort(host: string | undefined, https: boolean): [string, number] | undefined {
  if (!host) return undefined;
  const h = cap(host, MAX_HEADER_VALUE);
  const close = h.startsWith("[") ? h.indexOf("]") : -1;
  const colon = h.indexOf(":", close === -1 ? 0 : close);
  const name = close !== -1 ? h.slice(1, close) : colon === -1 ? h : h.slice(0, colon);
  const port = colon === -1 ? (https ? 443 : 80) : Number(h.slice(colon + 1));
  return [name, Number.isInteger(port) && port > 0 && port < 65536 ? port : https ? 443 : 80];
}

/** The context key a Context setter uses, learnt by calling it on a context that records it. */
function keyUsedBy(set: (ctx: Context) => Context): symbol {
  let key: symbol | undefined;
  const recorder: Context = {
    getValue: () => undefined,
    setValue(k) {
      key = k;
      return recorder;
    },
    deleteValue: () => recorder,
  };
  set(recorder);
  if (key === undefined) throw new Error("the context setter set no key");
  return key;
}

const SPAN_KEY = keyUsedBy((ctx) => trace.setSpan(ctx, trace.wrapSpanContext(INVALID_SPAN_CONTEXT)));
const RPC_METADATA_KEY = keyUsedBy((ctx) =>
  setRPCMetadata(ctx, { type: RPCType.HTTP, span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT) }),
);

/**
 * The server span's RPC metadata. Integrations that know the route while the request is dispatched (express,
 * fastify, and OpenTelemetry's own) set `route`; one that knows it only once its middleware has run (koa) gives
 * `routeLater`, read when the span ends and only if the span is kept — a request that succeeds never reads it.
 */
interface ServerRpcMetadata extends RPCMetadata {
  route?: string;
  routeLater: (() => unknown) | undefined;
}

/**
 * Gives the request's route as a function read when its server span ends (see ServerRpcMetadata). False if
 * `rpc` is not this instrumentation's (then the caller sets `route` itself).
 */
export function setRouteLater(rpc: RPCMetadata, read: () => unknown): boolean {
  if (!("routeLater" in rpc)) return false;
  (rpc as ServerRpcMetadata).routeLater = read;
  return true;
}

/** The route a `routeLater` function gives: a non-empty string, else none (and never a throw). */
function routeFrom(read: (() => unknown) | undefined): string | undefined {
  if (read === undefined) return undefined;
  try {
    const route = read();
    return typeof route === "string" && route !== "" ? route : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One incoming request: its context — the parent (the extracted trace context) with the server span and the
 * RPC metadata — and what its span needs, in one object per request. As a Context it gives the same values as
 * `setRPCMetadata(trace.setSpan(parent, span), rpc)` without copying the parent's values twice for every
 * request; the first `setValue` or `deleteValue` on it builds that context and derives from it. As the span's
 * SpanOptionsSource it computes the attributes only if the span is started. `end()` runs when the response
 * closes.
 */
class ServerRequest implements Context, SpanOptionsSource {
  readonly span: DeferredSpan;
  readonly rpc: ServerRpcMetadata;
  private expanded: Context | undefined;
  /** Released when the span ends (async resources that captured this context may live on for seconds). */
  private req: IncomingMessage | undefined;
  private res: ServerResponse | undefined;
  private readonly rawMethod: string;
  private readonly method: string;
  // Read now: frameworks rewrite req.url while routing (express strips a mounted router's prefix), and once
  // the connection is gone the socket no longer knows its peer.
  private readonly url: string | undefined;
  private readonly peerAddress: string | undefined;
  private readonly peerPort: number | undefined;
  /** True once the response closed (or the handler threw) and the span ended. */
  ended = false;
  private threw = false;

  constructor(
    tracer: Tracer,
    req: IncomingMessage,
    res: ServerResponse,
    private readonly https: boolean,
    private readonly parent: Context,
  ) {
    this.req = req;
    this.res = res;
    const raw = req.method ?? "GET";
    this.rawMethod = raw;
    this.method = raw === "GET" || raw === "POST" || KNOWN_METHODS.has(raw) ? raw : "_OTHER";
    this.url = req.url;
    const socket = req.socket;
    this.peerAddress = socket?.remoteAddress;
    this.peerPort = socket?.remotePort;
    this.span = new DeferredSpan(tracer, this.method, parent, this);
    this.rpc = { type: RPCType.HTTP, span: this.span, routeLater: undefined };
  }

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === RPC_METADATA_KEY) return this.rpc;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.expand().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.expand().deleteValue(key);
  }

  private expand(): Context {
    this.expanded ??= this.parent.setValue(SPAN_KEY, this.span).setValue(RPC_METADATA_KEY, this.rpc);
    return this.expanded;
  }

  spanOptions(): SpanOptions {
    const attributes: Record<string, string | number> = {
      [ATTR_METHOD]: this.method,
      [ATTR_SCHEME]: this.https ? "https" : "http",
      [ATTR_PATH]: pathOf(this.url),
    };
    const req = this.req;
    if (req) attributes[ATTR_PROTOCOL_VERSION] = req.httpVersion;
    if (this.method === "_OTHER") attributes[ATTR_METHOD_ORIGINAL] = cap(this.rawMethod, 64);
    const server = hostAndPort(req?.headers.host, this.https);
    if (server) {
      attributes[ATTR_SERVER_ADDRESS] = server[0];
      attributes[ATTR_SERVER_PORT] = server[1];
    }
    if (this.peerAddress) attributes[ATTR_PEER_ADDRESS] = this.peerAddress;
    if (this.peerPort) attributes[ATTR_PEER_PORT] = this.peerPort;
    const userAgent = req?.headers["user-agent"];
    if (userAgent) attributes[ATTR_USER_AGENT] = cap(userAgent, MAX_HEADER_VALUE);
    return { kind: SpanKind.SERVER, attributes };
  }

  /** A handler threw synchronously: that crashes the request (and usually the process), so record it. */
  fail(error: unknown): void {
    const span = this.span;
    span.recordException(asException(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
    span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error));
    this.threw = true;
    this.end();
  }

  /** The response closed (or the handler threw): the span ends, and is dropped unstarted if nothing failed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const req = this.req!;
    const res = this.res!;
    const span = this.span;
    const threw = this.threw;
    const status = res.headersSent ? res.statusCode : undefined;
    // An error a framework handled on its way to a 5xx, or to no answer at all (express-lean.ts), is the
    // span's exception; with a 2xx–4xx answer it was handled and is not an incident.
    const noted = !threw && (status === undefined || status >= 500) ? takeRequestError(req) : undefined;
    const failed = threw || (status !== undefined && status >= 500) || noted !== undefined;
    // Released with the request (the function may hold the framework's request context).
    const routeLater = this.rpc.routeLater;
    this.rpc.routeLater = undefined;
    // A span nothing asked for and that carries no error is dropped without ever being started.
    if (!failed && !span.started && !span.carriesError) {
      this.req = undefined;
      this.res = undefined;
      span.end();
      return;
    }
    span.materialize();
    this.req = undefined;
    this.res = undefined;
    const route = this.rpc.route ?? routeFrom(routeLater);
    if (route) {
      span.setAttribute(ATTR_ROUTE, route);
      span.updateName(`${req.method ?? "GET"} ${route}`);
    }
    if (noted) {
      span.recordException(asException(noted.error), noted.time);
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(noted.error) });
      if (status === undefined) span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(noted.error));
    }
    // No status code when none was sent (the client went away, or the handler threw before answering).
    if (status !== undefined) {
      span.setAttribute(ATTR_STATUS, status);
      if (status >= 500 && !threw) {
        span.setAttribute(ATTR_ERROR_TYPE, String(status));
        if (!noted) span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
  }
}

/** The header names the global propagator reads, in lower case, and which lengths they have. */
let propagationFields: { list: string[]; lower: string[]; lengths: Uint8Array } | undefined;

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether `name` equals `lower` (a lower-case header name) ignoring ASCII case. Without allocating: this runs
 * for every header whose length is that of a propagation field. (`| 0x20` also folds a few punctuation
 * characters onto others, which at worst makes a request look like it carries trace context: then it is
 * extracted, and nothing is found.)
 */
function sameHeaderName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && (c | 0x20) !== l) return false;
  }
  return true;
}

/**
 * Whether the request carries a header the global propagator reads (`traceparent`, `tracestate`, `baggage` by
 * default), found in the raw header list so that no headers object is built for a request without one. True
 * when the propagator does not list its fields.
 */
function carriesPropagationFields(req: IncomingMessage): boolean {
  const list = propagation.fields();
  if (list.length === 0) return true;
  let known = propagationFields;
  if (!known || !sameFields(known.list, list)) {
    const lower = list.map((f) => f.toLowerCase());
    const lengths = new Uint8Array(256);
    for (const f of lower) lengths[Math.min(f.length, 255)] = 1;
    known = { list, lower, lengths };
    propagationFields = known;
  }
  const { lower, lengths } = known;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const length = name.length;
    if (lengths[Math.min(length, 255)] === 0) continue;
    for (const field of lower) if (field.length === length && sameHeaderName(name, field)) return true;
  }
  return false;
}

/**
 * Server spans for incoming node:http / node:https requests, made for the default `exportSpans: "errors"`
 * mode, where almost every server span is recorded and then dropped.
 *
 * `@opentelemetry/instrumentation-http` does more per request than an error needs — URL parsing with query
 * redaction, forwarded-header parsing, hooks, header capture, duration metrics, and binding the context
 * to both the request and the response emitters (patching six methods on each) — which cost a small
 * service more CPU than its own request handling (docs/BENCHMARKS.md, SDK overhead). This one records
 * the same span — SERVER kind, W3C parent extracted from the headers, the stable HTTP attributes an error
 * report shows (method, path, scheme, server address, peer, protocol, user agent, status code, route), status
 * ERROR for 5xx or a thrown handler — and sets the active context with the same RPC metadata, so the
 * express and koa instrumentations still name the route.
 *
 * The span is a DeferredSpan: it is started for real only when a child span, a log record or an outgoing
 * request needs its context, or when the request fails; a request that needs none of that and succeeds
 * costs no span at all (the "errors" mode would have dropped it). The request emitter runs its listeners
 * in the request's context (body listeners then see the span, as with the official instrumentation),
 * through one wrapper of IncomingMessage.prototype.emit instead of a per-request `context.bind`; the
 * response is not bound (the span's end is tracked here, not through the active context). Outgoing
 * requests stay with the official instrumentation. With `exportSpans: "all"` the official one handles both
 * directions.
 */
export class HttpServerInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor() {
    super(`${SDK_NAME}/http-server`, SDK_VERSION, {});
  }

  protected init() {
    return ["http", "https"].map(
      (name) =>
        new InstrumentationNodeModuleDefinition(
          name,
          ["*"],
          (moduleExports: HttpModule) => {
            const proto = moduleExports.Server.prototype;
            const incoming = moduleExports.IncomingMessage?.prototype;
            if (incoming && !isWrapped(incoming.emit, BOUND_EMIT)) this._wrap(incoming, "emit", requestEmit);
            const response = moduleExports.ServerResponse?.prototype;
            if (response && !isWrapped(response.emit, RESPONSE_EMIT))
              this._wrap(response, "emit", responseEmit);
            // `http` and `node:http` are one module object: patch it once.
            if (!(OURS in proto.emit)) {
              this._wrap(proto, "emit", (original: Emit) => {
                const wrapped = this.incomingRequest(original, name === "https");
                Object.defineProperty(wrapped, OURS, { value: true });
                return wrapped;
              });
            }
            return moduleExports;
          },
          (moduleExports: HttpModule) => {
            const proto = moduleExports?.Server?.prototype;
            if (proto && OURS in proto.emit) this._unwrap(proto, "emit");
            const incoming = moduleExports?.IncomingMessage?.prototype;
            if (incoming && isWrapped(incoming.emit, BOUND_EMIT)) this._unwrap(incoming, "emit");
            const response = moduleExports?.ServerResponse?.prototype;
            if (response && isWrapped(response.emit, RESPONSE_EMIT)) this._unwrap(response, "emit");
          },
        ),
    );
  }

  private incomingRequest(original: Emit, https: boolean): Emit {
    const instrumentation = this;
    const emitOriginal = original as (this: Server, ...args: unknown[]) => boolean;
    // Named parameters, and `arguments` forwarded as is for other events: this runs for every event of every
    // server, and a request's 'request' event is emitted with exactly (req, res).
    return function emit(this: Server, event: string | symbol, req?: unknown, res?: unknown): boolean {
      // biome-ignore lint/complexity/noArguments: the count only, no copy
      const argc = arguments.length;
      // biome-ignore lint/complexity/noArguments: see above
      if (event !== "request" || argc > 3) return Reflect.apply(original, this, arguments) as boolean;
      const scope = instrumentation.begin(req as IncomingMessage, res as ServerResponse, https);
      // biome-ignore lint/complexity/noArguments: see above
      if (!scope) return Reflect.apply(original, this, arguments) as boolean;
      try {
        return callInContext(scope, emitOriginal, this, argc, event, req, res);
      } catch (error) {
        scope.fail(error);
        throw error;
      }
    } as Emit;
  }

  /**
   * The request's ServerRequest (its deferred server span and context), wired to the request and response
   * emitters; undefined if anything about the request makes that fail (never throws).
   */
  private begin(req: IncomingMessage, res: ServerResponse, https: boolean): ServerRequest | undefined {
    try {
      // Most requests carry no trace context: then there is nothing to extract (and no headers object to build).
      const parent = carriesPropagationFields(req)
        ? propagation.extract(ROOT_CONTEXT, req.headers)
        : ROOT_CONTEXT;
      const scope = new ServerRequest(this.tracer, req, res, https, parent);
      track(req, res, scope);
      return scope;
    } catch (error) {
      this._diag.error("could not start a server span", error);
      return undefined;
    }
  }
}

/** The request's ServerRequest (set per request, read by the emit wrappers). */
const REQUEST_SCOPE = Symbol("codewarden.http-server.request");
/** Marks our wrapper of IncomingMessage.prototype.emit. */
const BOUND_EMIT = Symbol.for("codewarden.http-server.request-emit");
/** Marks our wrapper of ServerResponse.prototype.emit. */
const RESPONSE_EMIT = Symbol.for("codewarden.http-server.response-emit");

type RequestWithScope = IncomingMessage & { [REQUEST_SCOPE]?: ServerRequest };

/**
 * Makes the request's listeners (body parsers, and the handlers they call) run in the request's context, and
 * the span end when the response closes. Where IncomingMessage.prototype.emit and ServerResponse.prototype.emit
 * are ours, that is one property on the request, which both wrappers read on emit, instead of `context.bind`,
 * which replaces six methods on every request emitter, and a `close` listener per response; otherwise (custom
 * classes with their own emit) it falls back to those.
 */
function track(req: IncomingMessage, res: ServerResponse, scope: ServerRequest): void {
  (req as RequestWithScope)[REQUEST_SCOPE] = scope;
  if (!(req.emit as { [BOUND_EMIT]?: boolean })[BOUND_EMIT]) context.bind(scope, req);
  if (!(res.emit as { [RESPONSE_EMIT]?: boolean })[RESPONSE_EMIT] || res.req !== req)
    res.once("close", () => scope.end());
}

/** ServerResponse.prototype.emit, ending the request's span first when the response closes. */
function responseEmit(original: ServerResponse["emit"]): ServerResponse["emit"] {
  const emit = function emit(this: ServerResponse, event: string | symbol): boolean {
    if (event === "close") (this.req as RequestWithScope | undefined)?.[REQUEST_SCOPE]?.end();
    // biome-ignore lint/complexity/noArguments: forwards every argument without copying them into an array
    return Reflect.apply(original, this, arguments) as boolean;
  };
  Object.defineProperty(emit, RESPONSE_EMIT, { value: true });
  return emit as ServerResponse["emit"];
}

/** IncomingMessage.prototype.emit, running the listeners in the request's context when it has one. */
function requestEmit(original: IncomingMessage["emit"]): IncomingMessage["emit"] {
  // Named parameters, `arguments` forwarded as is otherwise: this runs for every event of every request.
  const emit = function emit(
    this: RequestWithScope,
    event: string | symbol,
    a?: unknown,
    b?: unknown,
  ): boolean {
    const scope = this[REQUEST_SCOPE];
    // biome-ignore lint/complexity/noArguments: the count only, no copy
    const argc = arguments.length;
    // No context to set, the response already closed (the request is over: what is left is Node's own
    // clean-up, like a GET's 'end'), nobody listening (most of a GET's events) or already in it: emit as is.
    if (
      scope === undefined ||
      scope.ended ||
      argc > 3 ||
      this.listenerCount(event) === 0 ||
      activeContext() === scope
    )
      // biome-ignore lint/complexity/noArguments: see above
      return Reflect.apply(original, this, arguments) as boolean;
    return callInContext(scope, original as (...args: unknown[]) => boolean, this, argc, event, a, b);
  };
  Object.defineProperty(emit, BOUND_EMIT, { value: true });
  return emit as IncomingMessage["emit"];
}
