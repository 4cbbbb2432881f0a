/**
 * Known error shapes for the deterministic summariser. Each rule looks at the exception
 * type and the (scrubbed) message; the first match explains the error.
 */
export interface HeuristicRule {
  id: string;
  matches(type: string, message: string): boolean;
  likelyCause: string;
  suggestedFix: string;
}

const has = (re: RegExp) => (type: string, message: string) => re.test(`${type}: ${message}`);

export const HEURISTIC_RULES: readonly HeuristicRule[] = [
  {
    id: "null-property",
    matches: has(
      /Cannot read propert(y|ies) of (undefined|null)|Cannot set propert(y|ies) of (undefined|null)|undefined is not an object|null is not an object|'NoneType' object (has no attribute|is not subscriptable|is not iterable|is not callable)|NullPointerException|NullReferenceException|Object reference not set to an instance of an object|nil pointer dereference|undefined method .* for nil|on null\b|Attempt to read property .* on null|unexpectedly found nil/i,
    ),
    likelyCause:
      "A value was undefined/null (None, nil) where the code expected an object: a missing record, an optional field, an unawaited promise or a failed lookup whose result was used without a check.",
    suggestedFix:
      "Find where the value comes from in the culprit frame and handle the missing case explicitly (guard, optional chaining or an early error with context); check that async calls are awaited.",
  },
  {
    id: "not-a-function",
    matches: has(/is not a function|is not a constructor|object is not callable|undefined method/i),
    likelyCause:
      "Code called something that is not a function: a wrong import (default vs named), a changed library API, or a value of the wrong type.",
    suggestedFix:
      "Check the import and the type of the value at the call site; compare with the installed library version's API.",
  },
  {
    id: "connection-refused",
    matches: has(
      /ECONNREFUSED|connection refused|ConnectException|Connection refused|could not connect to server|ConnectionRefusedError/i,
    ),
    likelyCause:
      "A dependency (database, cache, HTTP service) was not accepting connections at the configured host and port: it is down, restarting, or the address is wrong for this environment.",
    suggestedFix:
      "Verify the service is running and reachable from this host, check the configured URL/port for this environment, and add retries with backoff for transient restarts.",
  },
  {
    id: "connection-reset",
    matches: has(/ECONNRESET|socket hang up|EPIPE|Connection reset by peer|broken pipe/i),
    likelyCause:
      "The remote side closed the connection mid-request: a proxy or server timeout, a crash on the other side, or a keep-alive connection reused after the server dropped it.",
    suggestedFix:
      "Retry idempotent requests, align keep-alive timeouts with the server/proxy, and check the remote service's logs around the same time.",
  },
  {
    id: "dns",
    matches: has(
      /\bENOTFOUND\b|\bEAI_AGAIN\b|getaddrinfo|Name or service not known|no such host|UnknownHostException/i,
    ),
    likelyCause:
      "A host name could not be resolved: a typo in the configured host, a missing DNS record, or no network/DNS in this environment.",
    suggestedFix:
      "Check the configured host name for this environment and the DNS/network setup of the host running the service.",
  },
  {
    id: "connection-pool",
    matches: has(
      /too many (connections|clients)|remaining connection slots are reserved|connection pool (is )?exhausted|Timeout acquiring a connection|Unable to acquire (a )?(JDBC )?Connection|max_connections|Connection is not available, request timed out|timeout expired.*obtaining a connection from the pool/i,
    ),
    likelyCause:
      "The database ran out of connections: the pool is too small for the concurrency, connections leak (not released on an error path), or too many processes each open their own pool.",
    suggestedFix:
      "Release connections in a finally block, size the pool against the database's connection limit divided by the number of processes, and put a pooler (e.g. PgBouncer) in front when scaling out.",
  },
  {
    id: "timeout",
    matches: has(
      /ETIMEDOUT|ESOCKETTIMEDOUT|timed? ?out|TimeoutError|deadline exceeded|SocketTimeoutException|statement timeout|canceling statement due to statement timeout|Maximum execution time of .* exceeded/i,
    ),
    likelyCause:
      "An operation took longer than its time limit: a slow or overloaded dependency, a slow query, or a timeout set too low for the work.",
    suggestedFix:
      "Find which call timed out in the culprit frame, check that dependency's latency, add indexes or pagination for slow queries, and set explicit timeouts with retries where safe.",
  },
  {
    id: "out-of-memory",
    matches: has(
      /heap out of memory|OutOfMemory(Error|Exception)|MemoryError|out of memory|cannot allocate memory|failed to allocate memory|ENOMEM|Allocation failed|Allowed memory size of .* exhausted/i,
    ),
    likelyCause:
      "The process ran out of memory: an unbounded in-memory collection, loading a large payload at once, a leak, or a memory limit too low for the workload.",
    suggestedFix:
      "Stream or paginate large data, bound caches and queues, take a heap snapshot to find the growth, and review the container's memory limit.",
  },
  {
    id: "unique-violation",
    matches: has(
      /23505|duplicate key value violates unique constraint|UniqueViolation|Unique constraint failed|UNIQUE constraint failed|Duplicate entry|UniqueConstraintError|P2002|E11000 duplicate key|Cannot insert duplicate key|Violation of (UNIQUE KEY|PRIMARY KEY) constraint|DuplicateKeyException|RecordNotUnique/i,
    ),
    likelyCause:
      "An insert or update hit a unique constraint: the same record was created twice (a retried request, a double submit, or a race between concurrent requests).",
    suggestedFix:
      "Make the write idempotent (INSERT … ON CONFLICT / upsert), or check for the existing row and return it; treat a unique violation from a retry as success.",
  },
  {
    id: "foreign-key",
    matches: has(
      /23503|violates foreign key constraint|FOREIGN KEY constraint failed|ForeignKeyViolation|P2003/i,
    ),
    likelyCause:
      "A write referenced a row that does not exist (or deleted a row still referenced): an ordering problem or a stale id.",
    suggestedFix:
      "Create the parent row first (in the same transaction), validate ids from clients, and decide on cascade rules for deletes.",
  },
  {
    id: "file-not-found",
    matches: has(
      /ENOENT|FileNotFoundError|FileNotFoundException|NoSuchFileException|no such file or directory/i,
    ),
    likelyCause:
      "A file or directory the code expected does not exist in this environment: a relative path resolved against a different working directory, a file missing from the build/image, or a not-yet-created directory.",
    suggestedFix:
      "Resolve paths relative to the module (not the working directory), make sure the file is included in the deployment, and create directories before writing.",
  },
  {
    id: "permission-denied",
    matches: has(
      /EACCES|EPERM|PermissionError|permission denied|AccessDeniedException|Access is denied|UnauthorizedAccessException|operation not permitted/i,
    ),
    likelyCause:
      "The process lacked permission for a file, port or resource: it runs as a different user than expected, or the resource's ownership/mode is wrong.",
    suggestedFix:
      "Check the user the service runs as and the ownership/permissions of the resource; use ports above 1024 or grant the capability explicitly.",
  },
  {
    id: "stack-overflow",
    matches: has(
      /Maximum call stack size exceeded|RecursionError|StackOverflowError|stack overflow|goroutine stack exceeds/i,
    ),
    likelyCause:
      "Unbounded recursion: a function calls itself (directly or through others) without reaching a base case, often on cyclic data.",
    suggestedFix:
      "Look for the repeating frames in the stack, add or fix the base case, and guard against cycles (visited set) or convert to iteration.",
  },
  {
    id: "deadlock",
    matches: has(
      /40P01|deadlock detected|Deadlock found|all goroutines are asleep - deadlock|was deadlocked on lock/i,
    ),
    likelyCause:
      "Two transactions (or goroutines/threads) each waited for a lock the other held: the same rows or locks are taken in different orders on different code paths.",
    suggestedFix:
      "Take locks (or update rows) in one consistent order, keep transactions short, and retry the transaction when the database reports a deadlock.",
  },
  {
    id: "division-by-zero",
    matches: has(
      /ZeroDivisionError|division by zero|divide by zero|DivideByZeroException|DivisionByZeroError|\/ by zero|ArithmeticException/i,
    ),
    likelyCause: "A division used a divisor of zero: an empty collection, a zero count or an unset value.",
    suggestedFix:
      "Guard the divisor before dividing and decide what the result should be for the empty/zero case.",
  },
  {
    id: "missing-key",
    matches: has(
      /^KeyError|KeyNotFoundException|NoSuchElementException|Undefined (index|array key|offset)|key not found|IndexError: key/i,
    ),
    likelyCause:
      "A lookup used a key that is not in the map/dictionary: the data has a different shape than assumed, or the key is optional.",
    suggestedFix:
      "Use a lookup with a default (get/TryGetValue/fetch with a default/??) where the key is optional, or validate the data's shape where it enters the system.",
  },
  {
    id: "missing-module",
    matches: has(
      /Cannot find module|ERR_MODULE_NOT_FOUND|ModuleNotFoundError|ImportError|ClassNotFoundException|NoClassDefFoundError|cannot load such file|\bLoadError\b|Could not load (file or )?assembly|Class ".*" not found/i,
    ),
    likelyCause:
      "Code, a module or a class could not be loaded: a dependency missing from the build or image, a wrong import path, or different versions between build and runtime.",
    suggestedFix:
      "Check that the dependency is declared and installed in the deployed artefact (not just locally), and that the import path and case match the file.",
  },
  {
    id: "tls-certificate",
    matches: has(
      /certificate has expired|unable to verify the first certificate|self[- ]signed certificate|CERT_HAS_EXPIRED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SSLError|SSLHandshakeException|x509: certificate|CERTIFICATE_VERIFY_FAILED|The remote certificate is invalid/i,
    ),
    likelyCause:
      "A TLS connection failed certificate checks: an expired or self-signed certificate, a missing intermediate certificate, or a host name that does not match.",
    suggestedFix:
      "Check the remote certificate (expiry, chain, host name) and the CA bundle available in this environment; never disable verification in production.",
  },
  {
    id: "range-error",
    matches: (type, message) =>
      /^RangeError$/.test(type) ||
      /Invalid array length|out of range|IndexError|IndexOutOfBounds|index out of range/i.test(
        `${type}: ${message}`,
      ),
    likelyCause:
      "A value was outside the allowed range: an index past the end of a collection, a negative length, or an invalid numeric argument.",
    suggestedFix:
      "Validate the index/length before use and check where the out-of-range value was computed in the culprit frame.",
  },
  {
    id: "json-parse",
    matches: has(
      /JSON\.parse|in JSON at position|is not valid JSON|Unexpected end of JSON input|JSONDecodeError|JsonParseException|JsonProcessingException|Unexpected token .* in JSON|invalid character .* looking for beginning of value/i,
    ),
    likelyCause:
      "Text that was not valid JSON was parsed as JSON: often an HTML error page or empty body returned by an upstream service, or a truncated payload.",
    suggestedFix:
      "Check the response status and content type before parsing, log a prefix of the raw body on failure, and handle empty bodies explicitly.",
  },
  {
    id: "syntax-error",
    matches: (type) => /^SyntaxError$/.test(type),
    likelyCause:
      "Code or data could not be parsed: invalid syntax in a dynamically loaded module, an unsupported language feature for this runtime, or malformed input.",
    suggestedFix:
      "Check the runtime version against the syntax used and validate dynamic input before parsing it.",
  },
  {
    id: "http-404",
    matches: has(/\b404\b|Not Found/),
    likelyCause:
      "A request targeted a resource that does not exist: a wrong URL or route, a deleted record, or an id from another environment.",
    suggestedFix:
      "Check the requested URL/id and the route configuration; treat expected misses as a normal result instead of an exception.",
  },
  {
    id: "http-429",
    matches: has(/\b429\b|Too Many Requests|rate limit(ed)? exceeded|RateLimitError|ThrottlingException/i),
    likelyCause: "An upstream API rejected the request for exceeding its rate limit or quota.",
    suggestedFix:
      "Retry with exponential backoff honouring Retry-After, spread or batch the calls, and check the quota for this key.",
  },
  {
    id: "http-5xx",
    matches: has(
      /\b(500|502|503|504)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout/,
    ),
    likelyCause:
      "An upstream HTTP service answered with a server error: it failed, was overloaded or was being deployed.",
    suggestedFix:
      "Check the upstream service's own errors at the same time, retry idempotent requests with backoff, and degrade gracefully when it is unavailable.",
  },
  {
    id: "http-401-403",
    matches: has(/\b(401|403)\b|Unauthorized|Forbidden/),
    likelyCause:
      "A request was rejected for missing or insufficient credentials: an expired token, a rotated key, or missing permissions.",
    suggestedFix:
      "Check the credentials configured for this environment and their expiry/scopes; refresh tokens before they expire.",
  },
  {
    id: "validation",
    matches: has(
      /ZodError|ValidationError|ValueError|IllegalArgumentException|ArgumentException|invalid input|InvalidArgument/i,
    ),
    likelyCause:
      "Input did not match what the code expects: a client sent an unexpected shape or value, or an internal caller passed a wrong argument.",
    suggestedFix:
      "Validate input at the boundary and return a clear client error (4xx) instead of raising deep inside the code.",
  },
];
