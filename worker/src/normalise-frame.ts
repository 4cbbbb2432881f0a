import type { StackFrame } from "@codewarden/drizzle";

/**
 * Normalisation of frame names for grouping and display: what stays the same when the same
 * code is deployed again (new line numbers, new absolute paths, new bundle hashes).
 */

/** Path markers after which a path is stable across machines and deploys. */
const ROOT_MARKERS = ["/src/", "/app/", "/lib/"];
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

/** A file reference without scheme, query, line suffixes, machine-specific prefix or bundle hash. */
export function normaliseFile(file: string | null): string | null {
  if (!file) return null;
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
    let best = -1;
    let bestLen = 0;
    for (const marker of ROOT_MARKERS) {
      const i = f.lastIndexOf(marker);
      if (i > best) {
        best = i;
        bestLen = marker.length;
      }
    }
    if (best >= 0) rel = f.slice(best + bestLen);
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

/** Function names without runtime noise: `async`, JVM lambda / CGLIB class ids. */
export function normaliseFunction(fn: string | null): string | null {
  if (!fn) return null;
  const out = fn
    .trim()
    .replace(/^async\s+/, "")
    .replace(/\$\$Lambda\$?\d*\/0x[0-9a-f]+/gi, "$$$$Lambda")
    .replace(/\$\$Lambda\$\d+/g, "$$$$Lambda")
    .replace(/\$\$(EnhancerBySpringCGLIB|FastClassBySpringCGLIB|SpringCGLIB)\$\$[0-9a-f]+/gi, "")
    .replace(/\$\$\w*HibernateProxy\w*\$\w+/g, "");
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
