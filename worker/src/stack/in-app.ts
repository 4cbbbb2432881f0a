/**
 * Whether a frame belongs to the application rather than to a runtime, the standard library
 * or a dependency. Grouping and culprits use the top in-app frame.
 */

/** JavaScript (Node, Bun, Deno, browsers). */
export function isInAppJs(file: string | null): boolean {
  if (!file) return false;
  const f = file.replace(/\\/g, "/");
  if (f.includes("/node_modules/") || f.startsWith("node_modules/")) return false;
  if (/^(node|bun|deno|ext|internal|native):/.test(f)) return false;
  if (f.startsWith("internal/") || f === "native" || f.startsWith("<")) return false;
  if (/^(chrome|moz|safari(-web)?)-extension:\/\//.test(f)) return false;
  if (f.startsWith("webpack/bootstrap") || f.startsWith("webpack/runtime")) return false;
  if (f.includes("/.vite/deps/")) return false;
  return true;
}

/** Python: site-packages, dist-packages, the standard library and frozen modules are not in-app. */
export function isInAppPython(file: string | null): boolean {
  if (!file) return false;
  const f = file.replace(/\\/g, "/");
  if (/\/(site|dist)-packages\//.test(f)) return false;
  if (f.startsWith("<")) return false;
  if (/\/lib(64)?\/python\d+(\.\d+)?\//i.test(f)) return false;
  if (/\/Lib\//.test(f) && /python/i.test(f)) return false;
  if (/\/\.?venv\//.test(f) || f.includes("/.tox/")) return false;
  return true;
}

const JVM_LIBRARY_PREFIXES = [
  "java.",
  "javax.",
  "jdk.",
  "sun.",
  "com.sun.",
  "kotlin.",
  "kotlinx.",
  "scala.",
  "jakarta.",
  "org.springframework.",
  "org.apache.",
  "org.hibernate.",
  "org.eclipse.jetty.",
  "org.junit.",
  "io.netty.",
  "io.grpc.",
  "io.opentelemetry.",
  "io.micrometer.",
  "io.undertow.",
  "reactor.",
  "com.fasterxml.",
  "com.zaxxer.",
  "okhttp3.",
  "akka.",
  "io.ktor.",
];

/** JVM (Java, Kotlin, Scala): the JDK and well-known frameworks are not in-app. */
export function isInAppJvm(className: string | null): boolean {
  if (!className) return false;
  return !JVM_LIBRARY_PREFIXES.some((p) => className.startsWith(p));
}

/** .NET: System.* and Microsoft.* are not in-app. */
export function isInAppDotnet(typeName: string | null): boolean {
  if (!typeName) return false;
  return !/^(System|Microsoft|Internal|Npgsql|Newtonsoft|Grpc|Polly|OpenTelemetry)(\.|$)/.test(typeName);
}

/** Go: the runtime, the standard library (GOROOT) and the module cache are not in-app. */
export function isInAppGo(pkg: string | null, file: string | null): boolean {
  if (pkg && (pkg === "runtime" || pkg.startsWith("runtime/") || pkg.startsWith("runtime."))) return false;
  if (file) {
    const f = file.replace(/\\/g, "/");
    if (f.includes("/pkg/mod/") || f.includes("/vendor/")) return false;
    if (/(^|\/)(usr\/local\/go|usr\/lib\/go[^/]*|libexec|Go)\/src\//.test(f)) return false;
    if (/(^|\/)goroot\//i.test(f) || f.startsWith("$GOROOT")) return false;
    // Standard library package (no dot in its first element) compiled from GOROOT/src/<pkg>/.
    if (pkg && pkg !== "main" && !pkg.split("/")[0]!.includes(".") && f.includes(`/src/${pkg}/`))
      return false;
  }
  return true;
}

/** Ruby: gems, the standard library and bundler paths are not in-app. */
export function isInAppRuby(file: string | null): boolean {
  if (!file) return false;
  const f = file.replace(/\\/g, "/");
  if (/\/gems\/|\/rubygems\/|\/bundle\/|\/vendor\/bundle\//.test(f)) return false;
  if (/\/lib\/ruby\/\d/.test(f) || f.startsWith("<internal:")) return false;
  return true;
}

/** PHP: Composer's vendor directory is not in-app. */
export function isInAppPhp(file: string | null): boolean {
  if (!file) return false;
  const f = file.replace(/\\/g, "/");
  return !f.includes("/vendor/") && !f.startsWith("[internal");
}
