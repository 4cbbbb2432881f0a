/**
 * Whether a frame belongs to the application rather than to a runtime, the standard library
 * or a dependency. Grouping and culprits use the top in-app frame; projects can adjust these
 * defaults with include/exclude patterns (see `in-app-overrides.ts`).
 */

/**
 * Hosts of public library CDNs and third-party scripts: browser frames served from them are
 * not the application's code, whatever the page's own host is.
 */
const THIRD_PARTY_SCRIPT_HOST =
  /^https?:\/\/(?:[\w-]+\.)*(?:unpkg\.com|jsdelivr\.net|cdnjs\.cloudflare\.com|googletagmanager\.com|google-analytics\.com|googleapis\.com|gstatic\.com|connect\.facebook\.net|js\.stripe\.com|static\.hotjar\.com|widget\.intercom\.io|js\.intercomcdn\.com|cdn\.segment\.com|browser\.sentry-cdn\.com|cdn\.jsdelivr\.net)(?::\d+)?\//i;

/** JavaScript (Node, Bun, Deno, browsers). */
export function isInAppJs(file: string | null): boolean {
  if (!file) return false;
  const f = file.replace(/\\/g, "/");
  if (f.includes("/node_modules/") || f.startsWith("node_modules/")) return false;
  if (/^(node|bun|deno|ext|internal|native):/.test(f)) return false;
  if (f.startsWith("internal/") || f === "native" || f.startsWith("<") || f.startsWith("[native"))
    return false;
  if (/^(chrome|moz|safari(-web)?)-extension:\/\//.test(f)) return false;
  if (f.startsWith("webpack/bootstrap") || f.startsWith("webpack/runtime")) return false;
  if (f.includes("/.vite/deps/")) return false;
  // Deno's npm and remote-module caches.
  if (/\/deno\/(npm|remote|deps)\//.test(f)) return false;
  if (THIRD_PARTY_SCRIPT_HOST.test(f)) return false;
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
  "groovy.",
  "org.codehaus.groovy.",
  "org.springframework.",
  "org.apache.",
  "org.hibernate.",
  "org.eclipse.jetty.",
  "org.glassfish.",
  "org.jboss.",
  "org.junit.",
  "org.testng.",
  "org.mockito.",
  "org.aspectj.",
  "org.slf4j.",
  "org.postgresql.",
  "org.mariadb.",
  "org.flywaydb.",
  "org.jooq.",
  "org.jetbrains.",
  "org.yaml.",
  "org.thymeleaf.",
  "ch.qos.logback.",
  "com.mysql.",
  "com.mongodb.",
  "com.google.common.",
  "com.google.gson.",
  "com.google.protobuf.",
  "com.google.api.",
  "com.google.cloud.",
  "com.amazonaws.",
  "software.amazon.awssdk.",
  "com.fasterxml.",
  "com.zaxxer.",
  "com.squareup.",
  "com.netflix.",
  "io.netty.",
  "io.grpc.",
  "io.opentelemetry.",
  "io.micrometer.",
  "io.undertow.",
  "io.vertx.",
  "io.quarkus.",
  "io.micronaut.",
  "io.lettuce.",
  "io.reactivex.",
  "io.github.resilience4j.",
  "io.ktor.",
  "redis.clients.",
  "reactor.",
  "okhttp3.",
  "retrofit2.",
  "feign.",
  "akka.",
  "net.bytebuddy.",
  "liquibase.",
  "graphql.",
  "android.",
  "androidx.",
  "dalvik.",
  "com.android.",
];

/** JVM (Java, Kotlin, Scala): the JDK and well-known frameworks and libraries are not in-app. */
export function isInAppJvm(className: string | null): boolean {
  if (!className) return false;
  return !JVM_LIBRARY_PREFIXES.some((p) => className.startsWith(p));
}

const DOTNET_LIBRARY =
  /^(System|Microsoft|Internal|Windows|Npgsql|Newtonsoft|Grpc|Polly|OpenTelemetry|Dapper|StackExchange|MediatR|AutoMapper|FluentValidation|Serilog|NLog|Hangfire|MassTransit|Castle|Swashbuckle|Pomelo|MySqlConnector|Oracle|RabbitMQ|Confluent|Amazon|Azure|Google|Quartz|Refit|Xunit|NUnit|Moq|lambda_method\d*)(\.|`|$)/;

/** .NET: the BCL (System.*, Microsoft.*) and well-known libraries are not in-app. */
export function isInAppDotnet(typeName: string | null): boolean {
  if (!typeName) return false;
  return !DOTNET_LIBRARY.test(typeName);
}

/** First elements of Go standard-library import paths (they contain no dot). */
const GO_STDLIB_ROOTS = new Set([
  "archive",
  "bufio",
  "builtin",
  "bytes",
  "cmp",
  "compress",
  "container",
  "context",
  "crypto",
  "database",
  "debug",
  "embed",
  "encoding",
  "errors",
  "expvar",
  "flag",
  "fmt",
  "go",
  "hash",
  "html",
  "image",
  "index",
  "internal",
  "io",
  "iter",
  "log",
  "maps",
  "math",
  "mime",
  "net",
  "os",
  "path",
  "plugin",
  "reflect",
  "regexp",
  "runtime",
  "slices",
  "sort",
  "strconv",
  "strings",
  "structs",
  "sync",
  "syscall",
  "testing",
  "text",
  "time",
  "unicode",
  "unique",
  "unsafe",
  "vendor",
  "weak",
]);

/**
 * Go: the runtime, the standard library (GOROOT, or by package name with `-trimpath`), the
 * module cache and vendored modules are not in-app.
 */
export function isInAppGo(pkg: string | null, file: string | null): boolean {
  if (pkg) {
    const root = pkg.split("/")[0]!;
    if (!root.includes(".") && GO_STDLIB_ROOTS.has(root)) return false;
  } else if (file && /(^|\/)runtime\/[^/]+\.go$/.test(file.replace(/\\/g, "/"))) {
    return false; // `panic(…)` and other builtins print without a package.
  }
  if (file) {
    const f = file.replace(/\\/g, "/");
    if (f.includes("/pkg/mod/") || f.includes("/vendor/")) return false;
    // A module path with its version: the module cache, or any dependency built with -trimpath.
    if (/@v\d+\.\d+\.\d+/.test(f)) return false;
    if (/(^|\/)(usr\/local\/go|usr\/lib\/go[^/]*|libexec|Go)\/src\//.test(f)) return false;
    if (/(^|\/)goroot\//i.test(f) || f.startsWith("$GOROOT")) return false;
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

/** Top-level namespaces of widely used Composer packages. */
const PHP_VENDOR_NAMESPACES = new Set([
  "Symfony",
  "Illuminate",
  "Laravel",
  "Doctrine",
  "GuzzleHttp",
  "Psr",
  "Monolog",
  "PHPUnit",
  "Composer",
  "OpenTelemetry",
  "Slim",
  "Laminas",
  "Zend",
  "Twig",
  "Predis",
  "League",
  "Nyholm",
  "Carbon",
  "Ramsey",
  "Spatie",
  "Livewire",
  "Inertia",
  "Sentry",
  "Aws",
  "Google",
  "Stripe",
  "PhpAmqpLib",
  "React",
  "Amp",
  "Nette",
  "Yii",
  "Cake",
  "CodeIgniter",
  "Phalcon",
  "Mockery",
  "Faker",
  "Dotenv",
  "Webmozart",
  "Http",
]);

/**
 * PHP frames known only by class (OpenTelemetry PHP's Java-style traces carry base names, not
 * paths): classes in a vendor namespace are not in-app, nor are PHP's own classes and
 * functions (no namespace); namespaced application classes are.
 */
export function isInAppPhpClass(className: string | null): boolean {
  if (!className) return false;
  const parts = className.split(/[\\.]/);
  if (parts.length < 2) return false;
  return !PHP_VENDOR_NAMESPACES.has(parts[0]!);
}

/** A class in the namespace of a widely used Composer package. */
export function isVendorPhpClass(className: string | null): boolean {
  if (!className) return false;
  return PHP_VENDOR_NAMESPACES.has(className.split(/[\\.]/)[0]!);
}
