/**
 * OpenTelemetry instrumentation for postgres.js (npm `postgres`, 3.x), which has no official one.
 *
 * postgres.js queries are lazy promises (class `Query extends Promise`): nothing is sent until `.then()`,
 * `.catch()`, `.finally()` or `.execute()` calls `Query.prototype.handle()` for the first time, and the
 * driver settles the query through its own `query.resolve` / `query.reject`. So:
 *   - `Query.prototype.handle` is patched (postgres/{src,cjs/src}/query.js): the first call starts one CLIENT
 *     span, in the caller's context, then runs the original unchanged;
 *   - the query's `resolve` / `reject` become accessors whose getter returns a wrapper that ends the span once,
 *     then calls the function the driver last assigned (cursors assign new ones on every step), with the same
 *     arguments: results, errors and unhandled-rejection behaviour are the driver's own;
 *   - `Connection` (postgres/{src,cjs/src}/connection.js) is wrapped only to learn, per connection, the server
 *     address, port and database (tagged on the queries it executes), and which queries are the driver's own
 *     housekeeping (type and state fetches, run with the connection's internal `execute`), which are not traced.
 * Every piece of our code runs inside try/catch: a failure loses a span, never the query.
 * The text recorded is the statement as sent, with `$n` placeholders: parameter values are never read.
 */
import { context, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from "@opentelemetry/instrumentation";
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import { DeferredSpan } from "./deferred-span.js";
import { SDK_NAME, SDK_VERSION } from "./version.js";

export const POSTGRES_JS_INSTRUMENTATION_NAME = `${SDK_NAME}/instrumentation-postgres-js`;
const SUPPORTED_VERSIONS = [">=3.0.0 <4"];
const FALLBACK_SPAN_NAME = "postgres.query";
/** Keeps db.query.text bounded (a generated multi-row INSERT can be megabytes). */
const MAX_QUERY_TEXT = 8192;

/** What is known about the server a query went to. */
interface ServerInfo {
  address?: string;
  port?: number;
  database?: string;
}

/** The parts of a postgres.js Query this instrumentation reads or wraps (all optional: it is not our type). */
interface QueryLike {
  executed?: boolean;
  strings?: unknown;
  string?: unknown;
  handler?: unknown;
  resolve?: unknown;
  reject?: unknown;
}

type AnyFunction = (...args: unknown[]) => unknown;

interface QueryPrototype {
  handle: AnyFunction & { [ORIGINAL]?: AnyFunction };
}

interface ConnectionLike {
  execute?: unknown;
  connect?: unknown;
}

const ORIGINAL = Symbol("codewarden.original");
// What we know about a query lives beside it, not on it: a property added to postgres.js's Query objects
// changes their shape, and the driver's own hot paths then slow down (measured with bench:sdk).
const servers = new WeakMap<object, ServerInfo>();
const traced = new WeakSet<object>();

/** The connections' internal `execute` functions: queries run with one of them as handler are the driver's own. */
const internalHandlers = new WeakSet<object>();

function tag(query: unknown, server: ServerInfo): void {
  if (query !== null && typeof query === "object") servers.set(query, server);
}

function serverInfo(options: unknown): ServerInfo {
  if (options === null || typeof options !== "object") return {};
  const { host, port, path, database } = options as Record<string, unknown>;
  const info: ServerInfo = {};
  // With several hosts the one connected to is not exposed: record the host only when there is one.
  if (typeof path === "string" && path !== "") info.address = path;
  else if (Array.isArray(host) && host.length === 1 && typeof host[0] === "string") info.address = host[0];
  if (Array.isArray(port) && port.length === 1 && typeof port[0] === "number" && info.address !== path)
    info.port = port[0];
  if (typeof database === "string" && database !== "") info.database = database;
  return info;
}

/**
 * Joined texts of tagged templates, by the template's strings array: JavaScript hands a call site the same
 * frozen array on every call, so an app's queries are joined once each.
 */
const joinedTemplates = new WeakMap<object, string | undefined>();

/** The statement as postgres.js will send it (`$n` placeholders), or undefined when unknown. */
function queryText(query: QueryLike): string | undefined {
  if (typeof query.string === "string" && query.string !== "") return query.string;
  const strings = query.strings;
  if (!Array.isArray(strings)) return undefined;
  if (joinedTemplates.has(strings)) return joinedTemplates.get(strings);
  const text = joinTemplate(strings);
  if (Object.isFrozen(strings)) joinedTemplates.set(strings, text);
  return text;
}

function joinTemplate(strings: unknown[]): string | undefined {
  if (strings.length === 0 || !strings.every((s) => typeof s === "string")) return undefined;
  // A tagged template: join the literal parts with $1, $2, … (nested fragments make this approximate;
  // query.string, set once the query is built, replaces it when the span ends).
  const text = strings.reduce(
    (acc: string, part: string, i: number) => (i === 0 ? part : `${acc}$${i}${part}`),
    "",
  );
  return text.trim() === "" ? undefined : text;
}

const OPERATION = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*([a-z]+)/i;
const IDENTIFIER = String.raw`("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:\s*\.\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))?`;
const TARGETS: Record<string, RegExp> = {
  SELECT: new RegExp(String.raw`\bfrom\s+${IDENTIFIER}`, "i"),
  INSERT: new RegExp(String.raw`^\s*insert\s+into\s+${IDENTIFIER}`, "i"),
  UPDATE: new RegExp(String.raw`^\s*update\s+(?:only\s+)?${IDENTIFIER}`, "i"),
  DELETE: new RegExp(String.raw`^\s*delete\s+from\s+(?:only\s+)?${IDENTIFIER}`, "i"),
};

type Summary = { operation?: string; name: string };

/** Summaries of recent statement texts: an app runs few distinct statements, many times each. */
const summaries = new Map<string, Summary>();
const MAX_SUMMARIES = 512;
/** Texts longer than this are summarised every time rather than kept as cache keys. */
const MAX_CACHED_TEXT = 2048;

/** `SELECT users`, `INSERT public.orders`, `BEGIN`, …: the operation, and the table when it is plain to see. */
function summarise(text: string | undefined): Summary {
  if (text === undefined || text.length > MAX_CACHED_TEXT) return summariseText(text);
  let summary = summaries.get(text);
  if (summary === undefined) {
    summary = summariseText(text);
    if (summaries.size >= MAX_SUMMARIES) summaries.clear();
    summaries.set(text, summary);
  }
  return summary;
}

function summariseText(text: string | undefined): Summary {
  const operation = text?.match(OPERATION)?.[1]?.toUpperCase();
  if (text === undefined || operation === undefined) return { name: FALLBACK_SPAN_NAME };
  const target = TARGETS[operation];
  const match = target ? text.match(target) : null;
  // A SELECT with a sub-query or a join names several tables: then the operation alone.
  const plain = match && (operation !== "SELECT" || !/\b(join|select)\b/i.test(text.slice(match.index ?? 0)));
  const table = plain ? [match[1], match[2]].filter(Boolean).join(".") : undefined;
  return { operation, name: table ? `${operation} ${table}` : operation };
}

function errorAttributes(error: unknown): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (error !== null && typeof error === "object") {
    const { code, name } = error as { code?: unknown; name?: unknown };
    // PostgresError carries the SQLSTATE; the driver's own errors carry codes such as CONNECTION_CLOSED.
    if (typeof code === "string" && code !== "") {
      if (name === "PostgresError") attributes[ATTR_DB_RESPONSE_STATUS_CODE] = code;
      attributes[ATTR_ERROR_TYPE] = code;
    } else {
      attributes[ATTR_ERROR_TYPE] = typeof name === "string" && name !== "" ? name : "_OTHER";
    }
  } else {
    attributes[ATTR_ERROR_TYPE] = "_OTHER";
  }
  return attributes;
}

export class PostgresJsInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super(POSTGRES_JS_INSTRUMENTATION_NAME, SDK_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const files: InstrumentationNodeModuleFile[] = [];
    for (const dir of ["src", "cjs/src"]) {
      files.push(
        new InstrumentationNodeModuleFile(
          `postgres/${dir}/query.js`,
          SUPPORTED_VERSIONS,
          (exports) => this.patchQuery(exports),
          (exports) => this.unpatchQuery(exports),
        ),
        new InstrumentationNodeModuleFile(
          `postgres/${dir}/connection.js`,
          SUPPORTED_VERSIONS,
          (exports) => this.patchConnection(exports),
          (exports) => this.unpatchConnection(exports),
        ),
      );
    }
    return [
      new InstrumentationNodeModuleDefinition("postgres", SUPPORTED_VERSIONS, undefined, undefined, files),
    ];
  }

  private queryPrototype(exports: unknown): QueryPrototype | undefined {
    const Query = (exports as { Query?: { prototype?: unknown } } | undefined)?.Query;
    const proto = Query?.prototype as QueryPrototype | undefined;
    return proto && typeof proto.handle === "function" ? proto : undefined;
  }

  private patchQuery<T>(exports: T): T {
    try {
      const proto = this.queryPrototype(exports);
      if (!proto || proto.handle[ORIGINAL]) return exports;
      const original = proto.handle;
      const instrumentation = this;
      const handle = function (this: QueryLike, ...args: unknown[]): unknown {
        if (!this.executed) instrumentation.trace(this);
        return original.apply(this, args);
      } as QueryPrototype["handle"];
      handle[ORIGINAL] = original;
      proto.handle = handle;
    } catch (error) {
      this._diag.debug("postgres.js Query not patched", error);
    }
    return exports;
  }

  private unpatchQuery<T>(exports: T): T {
    const proto = this.queryPrototype(exports);
    const original = proto?.handle[ORIGINAL];
    if (proto && original) proto.handle = original;
    return exports;
  }

  /** CommonJS: the module is the function; ES module: its default export. */
  private patchConnection<T>(exports: T): T {
    try {
      const isFunction = typeof exports === "function";
      const original = (isFunction ? exports : (exports as { default?: unknown })?.default) as
        | (AnyFunction & { [ORIGINAL]?: AnyFunction })
        | undefined;
      if (typeof original !== "function" || original[ORIGINAL]) return exports;
      const wrapped = function Connection(this: unknown, ...args: unknown[]): unknown {
        const connection = original.apply(this, args) as ConnectionLike;
        try {
          observeConnection(connection, serverInfo(args[0]));
        } catch {
          // The connection works without our tags.
        }
        return connection;
      } as AnyFunction & { [ORIGINAL]?: AnyFunction };
      wrapped[ORIGINAL] = original;
      if (isFunction) return wrapped as T;
      (exports as { default: unknown }).default = wrapped;
    } catch (error) {
      this._diag.debug("postgres.js Connection not patched", error);
    }
    return exports;
  }

  private unpatchConnection<T>(exports: T): T {
    if (typeof exports === "function")
      return ((exports as { [ORIGINAL]?: unknown })[ORIGINAL] ?? exports) as T;
    const current = (exports as { default?: { [ORIGINAL]?: unknown } })?.default;
    if (current?.[ORIGINAL]) (exports as { default: unknown }).default = current[ORIGINAL];
    return exports;
  }

  /** Starts the query's span and arranges for it to end when the driver settles the query. Never throws. */
  private trace(query: QueryLike): void {
    try {
      if (traced.has(query) || !this.isEnabled()) return;
      traced.add(query);
      if (typeof query.handler === "function" && internalHandlers.has(query.handler)) return;
      // Settlement is observed on the query's promise (below): a query that is not one is not traced.
      if (!(query instanceof Promise)) return;

      const startText = queryText(query);
      const start = summarise(startText);
      const span = this.tracer.startSpan(
        start.name,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR_DB_SYSTEM_NAME]: "postgresql",
            ...(start.operation ? { [ATTR_DB_OPERATION_NAME]: start.operation } : {}),
          },
        },
        context.active(),
      );
      let ended = false;
      const end = (error: unknown, failed: boolean): void => {
        if (ended) return;
        ended = true;
        try {
          finish(span, query, startText, error, failed);
        } catch {
          // Still end the span below.
        }
        span.end();
      };
      // A postgres.js Query is a Promise that settles when the driver is done with it (rows, cursor or
      // stream finished, or an error). A reaction on the native `then` (not Query#then, which would run
      // the query) sees that without touching the query's own properties: redefining its resolve/reject
      // as accessors cost ~60 µs per query (the driver's hot paths then read a slow object). The reaction's
      // own promise always fulfils, so an unhandled rejection stays the app's to see.
      Promise.prototype.then.call(
        query,
        () => end(undefined, false),
        (error: unknown) => end(error, true),
      );
    } catch (error) {
      this._diag.debug("postgres.js query not traced", error);
    }
  }
}

/** Tags every query a connection runs with its server, and remembers its internal `execute`. */
function observeConnection(connection: ConnectionLike, server: ServerInfo): void {
  const { execute, connect } = connection;
  if (typeof execute !== "function" || typeof connect !== "function") return;
  internalHandlers.add(execute);
  connection.execute = function (this: unknown, ...args: unknown[]) {
    tag(args[0], server);
    return execute.apply(this, args);
  };
  connection.connect = function (this: unknown, ...args: unknown[]) {
    tag(args[0], server);
    return connect.apply(this, args);
  };
}

function finish(
  span: Span,
  query: QueryLike,
  startText: string | undefined,
  error: unknown,
  failed: boolean,
): void {
  // A deferred span (the default "errors" mode) that ends without an error is dropped unstarted: skip the work.
  if (!failed && span instanceof DeferredSpan && !span.started && !span.carriesError) return;
  const text = queryText(query) ?? startText;
  if (text !== undefined) {
    span.setAttribute(
      ATTR_DB_QUERY_TEXT,
      text.length > MAX_QUERY_TEXT ? text.slice(0, MAX_QUERY_TEXT) : text,
    );
    if (text !== startText) {
      // e.g. sql.file(), whose text is only known once read: name the span after it.
      const late = summarise(text);
      span.updateName(late.name);
      if (late.operation) span.setAttribute(ATTR_DB_OPERATION_NAME, late.operation);
    }
  }
  const server = servers.get(query);
  if (server?.address) span.setAttribute(ATTR_SERVER_ADDRESS, server.address);
  if (server?.port) span.setAttribute(ATTR_SERVER_PORT, server.port);
  if (server?.database) span.setAttribute(ATTR_DB_NAMESPACE, server.database);
  if (failed) {
    span.setAttributes(errorAttributes(error));
    if (error instanceof Error) span.recordException(error);
    else span.recordException(String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}
