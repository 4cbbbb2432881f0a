import { describe, expect, it } from "vitest";
import { parseStack } from "../stack/index";
import { heuristicSummary } from "./heuristic";

const frames = parseStack(
  "TypeError: x\n    at getUser (/app/src/users.ts:12:5)\n    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)",
  "nodejs",
);

describe("heuristicSummary", () => {
  it.each([
    ["TypeError", "Cannot read properties of undefined (reading 'id')", /undefined\/null/],
    ["AttributeError", "'NoneType' object has no attribute 'email'", /undefined\/null/],
    ["java.lang.NullPointerException", 'Cannot invoke "String.length()"', /undefined\/null/],
    ["Error", "connect ECONNREFUSED 127.0.0.1:6379", /not accepting connections/],
    ["*net.OpError", "dial tcp 10.0.0.1:5432: connect: connection refused", /not accepting connections/],
    ["TimeoutError", "Navigation timeout of 30000 ms exceeded", /longer than its time limit/],
    [
      "Error",
      "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
      /out of memory/,
    ],
    [
      "PostgresError",
      'duplicate key value violates unique constraint "users_email_key"',
      /unique constraint/,
    ],
    ["Error", "ENOENT: no such file or directory, open '/app/config.json'", /does not exist/],
    ["RangeError", "Maximum call stack size exceeded", /recursion/i],
    ["RangeError", "Invalid array length", /outside the allowed range/],
    ["SyntaxError", "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON", /not valid JSON/],
    ["SyntaxError", "Unexpected identifier 'await'", /could not be parsed/],
    ["PermissionError", "[Errno 13] Permission denied: '/var/log/app.log'", /lacked permission/],
    ["HTTPError", "Request failed with status code 404", /does not exist/],
    ["AxiosError", "Request failed with status code 503", /server error/],
  ])("%s: %s", (exceptionType, message, cause) => {
    const s = heuristicSummary({ exceptionType, message, frames, language: "nodejs" });
    expect(s.likelyCause).toMatch(cause);
    expect(s.suggestedFix.length).toBeGreaterThan(20);
    expect(s.text).toContain(exceptionType);
    expect(s.text).toContain("getUser (users.ts), line 12");
  });

  it.each([
    // null / nil / None access
    ["python", "TypeError", "'NoneType' object is not subscriptable", /undefined\/null/],
    [
      "dotnet",
      "System.NullReferenceException",
      "Object reference not set to an instance of an object.",
      /undefined\/null/,
    ],
    ["go", "runtime.Error", "invalid memory address or nil pointer dereference", /undefined\/null/],
    ["ruby", "NoMethodError", "undefined method `name' for nil", /undefined\/null/],
    ["php", "Error", "Call to a member function getId() on null", /undefined\/null/],
    // connections
    [
      "dotnet",
      "Npgsql.NpgsqlException",
      "Failed to connect to 10.0.0.5:5432: Connection refused",
      /not accepting connections/,
    ],
    ["php", "PDOException", "SQLSTATE[HY000] [2002] Connection refused", /not accepting connections/],
    ["java", "java.net.ConnectException", "Connection refused", /not accepting connections/],
    [
      "nodejs",
      "Error",
      "remaining connection slots are reserved for non-replication superuser connections",
      /ran out of connections/,
    ],
    [
      "java",
      "java.sql.SQLTransientConnectionException",
      "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
      /ran out of connections/,
    ],
    // timeouts
    ["go", "context.deadlineExceededError", "context deadline exceeded", /longer than its time limit/],
    ["ruby", "Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>", /longer than its time limit/],
    [
      "php",
      "Symfony\\Component\\ErrorHandler\\Error\\FatalError",
      "Maximum execution time of 30 seconds exceeded",
      /longer than its time limit/,
    ],
    [
      "dotnet",
      "System.Threading.Tasks.TaskCanceledException",
      "The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.",
      /longer than its time limit/,
    ],
    // out of memory
    [
      "dotnet",
      "System.OutOfMemoryException",
      "Exception of type 'System.OutOfMemoryException' was thrown.",
      /out of memory/,
    ],
    [
      "php",
      "Error",
      "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
      /out of memory/,
    ],
    ["ruby", "NoMemoryError", "failed to allocate memory", /out of memory/],
    ["java", "java.lang.OutOfMemoryError", "Java heap space", /out of memory/],
    // unique violations
    [
      "dotnet",
      "Microsoft.Data.SqlClient.SqlException",
      "Violation of UNIQUE KEY constraint 'UQ_Users_Email'. Cannot insert duplicate key in object 'dbo.Users'.",
      /unique constraint/,
    ],
    [
      "ruby",
      "ActiveRecord::RecordNotUnique",
      "PG::UniqueViolation: ERROR:  duplicate key value violates unique constraint",
      /unique constraint/,
    ],
    [
      "php",
      "Illuminate\\Database\\QueryException",
      "SQLSTATE[23000]: Integrity constraint violation: 1062 Duplicate entry 'x' for key 'users_email_unique'",
      /unique constraint/,
    ],
    [
      "java",
      "org.springframework.dao.DuplicateKeyException",
      "PreparedStatementCallback; ERROR: duplicate key value",
      /unique constraint/,
    ],
    // others
    ["nodejs", "error", "deadlock detected", /lock the other held/],
    ["go", "fatal error", "all goroutines are asleep - deadlock!", /lock the other held/],
    ["python", "ZeroDivisionError", "division by zero", /divisor of zero/],
    ["java", "java.lang.ArithmeticException", "/ by zero", /divisor of zero/],
    ["python", "KeyError", "'user_id'", /key that is not in the map/],
    ["php", "ErrorException", 'Undefined array key "id"', /key that is not in the map/],
    ["nodejs", "Error", "Cannot find module 'sharp'", /could not be loaded/],
    ["python", "ModuleNotFoundError", "No module named 'requests'", /could not be loaded/],
    ["java", "java.lang.NoClassDefFoundError", "com/example/Foo", /could not be loaded/],
    ["nodejs", "Error", "certificate has expired", /certificate checks/],
    ["python", "requests.exceptions.SSLError", "CERTIFICATE_VERIFY_FAILED", /certificate checks/],
    ["nodejs", "AxiosError", "Request failed with status code 429", /rate limit/],
    ["nodejs", "Error", "getaddrinfo ENOTFOUND api.example.com", /could not be resolved/],
  ])("%s: %s: %s", (language, exceptionType, message, cause) => {
    const s = heuristicSummary({ exceptionType, message, frames, language });
    expect(s.likelyCause).toMatch(cause);
  });

  it("falls back to naming the culprit frame", () => {
    const s = heuristicSummary({
      exceptionType: "CartError",
      message: "cart is locked",
      frames,
      language: "nodejs",
    });
    expect(s.text).toBe(
      "CartError: cart is locked in getUser (users.ts), line 12 (nodejs). No common cause was recognised from the error type and message.",
    );
    expect(s.likelyCause).toContain("getUser (users.ts), line 12");
    expect(s.suggestedFix).toContain("Start at getUser (users.ts), line 12");
  });

  it("asks for a stack trace when there is none", () => {
    const s = heuristicSummary({
      exceptionType: "CartError",
      message: "cart is locked",
      frames: [],
      language: null,
    });
    expect(s.suggestedFix).toMatch(/stack trace/);
  });

  it("never repeats PII from the message", () => {
    const s = heuristicSummary({
      exceptionType: "Error",
      message: "login failed for bob@example.com from 10.0.0.9 with Bearer abcdefghijklmnop",
      frames,
      language: null,
    });
    expect(s.text).not.toMatch(/bob@example.com|10\.0\.0\.9|abcdefghijklmnop/);
  });

  it("is deterministic", () => {
    const input = { exceptionType: "Error", message: "connect ECONNREFUSED", frames, language: "nodejs" };
    expect(heuristicSummary(input)).toEqual(heuristicSummary(input));
  });
});
