import type { StackFrame } from "@codewarden/drizzle";

/**
 * Normalisation of frame names for grouping and display: what stays the same when the same
 * code is deployed again (new line numbers, new absolute paths, new bundle hashes, new
 * compiler-generated names).
 */

/**
 * Directories after which a path is stable across machines and deploys: source roots
 * (`src/`, `app/`, `lib/`), release directories of Capistrano/Deployer/Envoyer-style deploys
 * (`releases/20261101T1200/`, `current/`) and web roots. The last one in a path wins.
 */
const ROOT_MARKER = /\/(?:src|app|lib|current|html|htdocs|public_html|wwwroot|releases\/[^/]+)(?=\/)/g;
/** Dependency roots: keep the package-relative path. */
const DEPENDENCY_MARKERS = [
  "/node_modules/",
  "/site-packages/",
  "/dist-packages/",
  "/pkg/mod/",
  "/vendor/",
  "/gems/",
];

/**
 * Removes content hashes that bundlers put into file names:
 * `main.3f2a9c1b.js`, `chunk-4JKD9Q2X.mjs`, `index-BxG7kD2a.js`, `app.3f2a9c1b.chunk.js`.
 */
export function stripBundleHash(basename: string): string {
  return basename.replace(
    /[.-]([A-Za-z0-9_]{6,32})(?=\.(?:chunk\.|bundle\.|min\.)?(?:m?js|cjs|css|map)$)/g,
    (whole, token: string) => {
      const hexWithDigit = /^[0-9a-f]+$/i.test(token) && /\d/.test(token) && token.length >= 6;
      const mixedWithDigit = /\d/.test(token) && /[A-Za-z]/.test(token) && token.length >= 8;
      const mixedCase = token.length === 8 && /[a-z]/.test(token) && /[A-Z]/.test(token);
      return hexWithDigit || mixedWithDigit || mixedCase ? "" : whole;
    },
  );
}

/** Memo of normaliseFile: a service's frames name the same files over and over. */
const normalisedFiles = new Map<string, string | null>();
const MAX_MEMO_FILES = 10_000;

/** A file reference without scheme, query, line suffixes, machine-specific prefix or bundle hash. */
export function normaliseFile(file: string | null): string | null {
  if (!file) return null;
  const known = normalisedFiles.get(file);
  if (known !== undefined) return known;
  const result = computeNormalisedFile(file);
  if (normalisedFiles.size >= MAX_MEMO_FILES) normalisedFiles.clear();
  if (file.length <= 1024) normalisedFiles.set(file, result);
  return result;
}

function computeNormalisedFile(file: string): string | null {
  let f = file.trim().replace(/\\/g, "/");
  f = f.replace(/^(file|webpack|webpack-internal|app|vite):\/\/+(\.\/)?/, "/");
  f = f.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ""); // http(s)://host (browser bundles)
  f = f.replace(/[?#].*$/, "");
  f = f.replace(/:\d+(:\d+)?$/, "");
  f = f.replace(/^[A-Za-z]:\//, "/");
  f = f.replace(/@v?\d+\.\d+\.\d+[^/]*/g, ""); // Go module cache and pnpm versions
  f = f.replace(/\/\.pnpm\/[^/]+\/node_modules\//, "/node_modules/");

  let rel: string | null = null;
  for (const marker of DEPENDENCY_MARKERS) {
    const i = f.lastIndexOf(marker);
    if (i >= 0) {
      rel = f.slice(i + marker.length);
      break;
    }
  }
  if (rel === null) {
    let end = -1;
    for (const m of f.matchAll(ROOT_MARKER)) end = m.index + m[0].length + 1;
    if (end >= 0) rel = f.slice(end);
    else {
      const parts = f.split("/").filter((p) => p !== "" && p !== ".");
      rel = parts.slice(-2).join("/");
    }
  }
  const parts = rel.split("/");
  const last = parts.pop() ?? "";
  parts.push(stripBundleHash(last));
  const out = parts.join("/");
  return out === "" ? null : out;
}

/** Function names without runtime noise: `async`, JVM lambda / CGLIB / proxy class ids. */
export function normaliseFunction(fn: string | null): string | null {
  if (!fn) return null;
  const out = fn
    .trim()
    .replace(/^async\s+/, "")
    .replace(/\$\$Lambda\$?\d*\/0x[0-9a-f]+/gi, "$$$$Lambda")
    .replace(/\$\$Lambda\$\d+/g, "$$$$Lambda")
    .replace(
      /\$\$(EnhancerBySpringCGLIB|FastClassBySpringCGLIB|SpringCGLIB|EnhancerByGuice|EnhancerByCGLIB)\$\$[0-9a-f]+/gi,
      "",
    )
    .replace(/\$(HibernateProxy|ByteBuddy|MockitoMock)\$\w+/g, "");
  return out === "" ? null : out;
}

/** Module (JVM class, .NET type, Go package…) without generated suffixes. */
export function normaliseModule(mod: string | null): string | null {
  return normaliseFunction(mod);
}

/** The top in-app frame with something to name it by, else the top frame with a name, else null. */
export function topFrame(frames: readonly StackFrame[]): StackFrame | null {
  const named = frames.filter((f) => f.function || f.file || f.module);
  return named.find((f) => f.inApp) ?? named[0] ?? null;
}

/** `module.function` when a module is known (JVM, .NET, Go), else the function. */
export function qualifiedName(f: StackFrame): string | null {
  const fn = normaliseFunction(f.function);
  const mod = normaliseModule(f.module);
  if (fn && mod && !f.file?.includes("node_modules")) return `${mod}.${fn}`;
  return fn ?? mod;
}

// ---------------------------------------------------------------------------------------------
// Grouping keys: stricter than display names, they keep only what identifies the code.

/** Files whose frames are JavaScript (V8, SpiderMonkey, JavaScriptCore). */
const JS_FILE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/;
const JS_SCHEME =
  /^(?:https?|file|webpack|webpack-internal|node|bun|deno|ext|blob|(?:chrome|moz|safari(?:-web)?)-extension):/;

function isJsFrame(f: StackFrame): boolean {
  const file = f.file;
  if (!file) return /<anonymous>/.test(f.function ?? "");
  if (JS_SCHEME.test(file) || file === "<anonymous>" || file === "native" || file === "[native code]")
    return true;
  return JS_FILE.test(file.replace(/[?#].*$/, ""));
}

/** Served to browsers or minified: names in it may be mangled by the minifier. */
function isBundle(file: string | null): boolean {
  if (!file) return false;
  const path = file.replace(/[?#].*$/, "").replace(/:\d+(:\d+)?$/, "");
  const base = path.slice(path.lastIndexOf("/") + 1);
  return /^https?:\/\//.test(file) || /\.min\.[cm]?js$/.test(base) || stripBundleHash(base) !== base;
}

/** `t`, `Xe`, `$e`, `Yoe`: names a minifier makes up (only judged inside bundles). */
function looksMangled(name: string): boolean {
  if (name.length <= 2) return true;
  return name.length === 3 && /[A-Z0-9$_]/.test(name);
}

/** Receivers that say nothing about the code: globals, module scope, DOM nodes. */
const GENERIC_RECEIVER =
  /^(?:Object|Function|global|globalThis|window|Window|self|process|Module|Timeout|Immediate|Promise|Generator|AsyncGenerator|EventTarget|Document|HTML\w*Element|SVG\w*Element)$/;

/**
 * A JavaScript frame's name for grouping. V8 prints `Receiver.method`: the receiver is kept
 * when it names a class of the application (two classes in one file may share a method
 * name), dropped when it is generic (`Object.`, `HTMLButtonElement.`) or mangled. Anonymous
 * and mangled method names give "". Firefox's nesting (`CheckoutForm/handleSubmit`) keeps
 * the innermost function. `new OrderBook` stays.
 */
function jsName(fn: string, bundled: boolean): string {
  const isNew = fn.startsWith("new ");
  const body = (isNew ? fn.slice(4) : fn).split("/").pop() ?? "";
  const segments = body.split(".");
  const method = segments.pop() ?? "";
  if (method === "" || /^<.*>$/.test(method) || method === "anonymous") return "";
  if (bundled && looksMangled(method)) return "";
  const receiver = segments.pop();
  const keep =
    receiver &&
    !/^<.*>$/.test(receiver) &&
    !GENERIC_RECEIVER.test(receiver) &&
    !(bundled && looksMangled(receiver));
  const name = keep ? `${receiver}.${method}` : method;
  return isNew ? `new ${name}` : name;
}

/** Names that do not identify code: lambdas, comprehensions, closures, anonymous functions. */
const ANONYMOUS =
  /^(?:<(?:lambda|listcomp|dictcomp|setcomp|genexpr|anonymous)>|anonymous|(?:.*\\)?\{closure(?::[^}]*)?\}|\{main\})$/;

/**
 * The function of a frame as grouping sees it: generated parts that change between builds
 * are removed (JVM lambda and anonymous-class ordinals, Kotlin/Scala lambda numbers, Rails
 * template method ids), and anonymous or minified names become "".
 */
export function groupingFunction(f: StackFrame): string {
  const fn = normaliseFunction(f.function);
  if (!fn) return "";
  if (isJsFrame(f)) return jsName(fn, isBundle(f.file));
  if (ANONYMOUS.test(fn)) return "";
  return fn
    .replace(/^lambda\$(.+)\$\d+$/, "lambda$$$1") // JVM: lambda$placeOrder$3
    .replace(/\$lambda[-$]\d+$/, "$$lambda") // Kotlin: placeOrder$lambda$3, placeOrder$lambda-3
    .replace(/\$anonfun\$(.+?)\$\d+$/, "$$anonfun$$$1") // Scala
    .replace(/_+-?\d+_\d+$/, ""); // Rails: _app_views_orders_show_html_erb___3141592653_62040
}

/**
 * The module of a frame as grouping sees it: generated class suffixes removed, and the
 * ordinals of anonymous classes (`Foo$1`, Kotlin's `Foo$bar$2`) dropped. PHP namespaces are
 * compared with `\` whichever format (getTraceAsString or Java-style) carried them.
 */
export function groupingModule(mod: string | null): string {
  const m = normaliseModule(mod);
  if (!m) return "";
  return m.replace(/\$\d+(?=\$|$)/g, "").replace(/\$\$Lambda$/, "");
}

/**
 * Workspace package directories of monorepos (npm/pnpm/yarn workspaces, Nx, Turborepo). Not
 * `apps/` or `services/`: those are also common deploy roots (`/srv/apps/shop/`).
 */
const WORKSPACE_PACKAGE = /\/(?:packages|libs)\/([^/]+)\//g;

/**
 * Last two segments of the normalised path (stable when deploy roots differ in depth),
 * prefixed with the workspace package when the file is in a monorepo package: every
 * package has its own `src/index.ts`.
 */
export function groupingPath(file: string | null): string {
  const f = normaliseFile(file);
  if (!f || !file) return "";
  const tail = f.split("/").slice(-2).join("/");
  const path = file.replace(/\\/g, "/");
  if (DEPENDENCY_MARKERS.some((m) => path.includes(m))) return tail;
  let workspace: string | null = null;
  for (const m of path.matchAll(WORKSPACE_PACKAGE)) workspace = m[1]!;
  return workspace ? `${workspace}:${tail}` : tail;
}

/**
 * What identifies a frame's code for grouping: its function and, when known, its module
 * (class, type, package), else its file. An unnamed function (closure, lambda) is placed by
 * its file when there is one: the class it is bound to says little about where it is.
 * Never a line, column, absolute path or bundle hash.
 */
export function frameGroupingKey(f: StackFrame): [string, string] {
  const fn = groupingFunction(f);
  const module = groupingModule(f.module);
  const path = groupingPath(f.file);
  if (module && (fn !== "" || path === "")) return [fn, `module:${module}`];
  return [fn, `file:${path}`];
}

/**
 * Frames of code that captures the *current* stack instead of an error's own: Go's
 * `runtime/debug.Stack`, `runtime.Stack` and OpenTelemetry Go's `RecordError(…,
 * WithStackTrace(true))`. A stack that starts with one shows where an error was reported,
 * not where it happened.
 */
export function isStackCaptureFrame(f: StackFrame): boolean {
  if (f.module === "runtime/debug" && f.function === "Stack") return true;
  if (f.module === "runtime" && (f.function === "Stack" || f.function === "Callers")) return true;
  return f.module === "go.opentelemetry.io/otel/sdk/trace";
}
