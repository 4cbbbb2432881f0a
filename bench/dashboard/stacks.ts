/**
 * Stack traces as the OpenTelemetry SDKs of each language report them (`exception.stacktrace`),
 * built from pools of services, files and functions with a seeded PRNG. The worker's own parser
 * turns them into the frames that are stored (seed-data.ts), so the seeded rows look like what
 * the worker writes.
 */
import {
  AREAS,
  between,
  CLASS_SUFFIX,
  lower,
  NOUNS,
  PROPS,
  pick,
  type Rand,
  type Service,
  snake,
  VERBS,
  WORDS,
} from "./vocabulary";

/** One in-app call: a function in a file of the service's own code. */
interface Call {
  fn: string;
  noun: string;
  area: string;
}

function calls(rand: Rand, n: number): Call[] {
  const out: Call[] = [];
  for (let i = 0; i < n; i++) {
    const noun = pick(rand, NOUNS);
    out.push({ fn: `${pick(rand, VERBS)}${noun}`, noun, area: pick(rand, AREAS) });
  }
  return out;
}

/** An exception as the SDK reports it; the event's stack trace is `before + [type: ] message + after`. */
export interface ExceptionShape {
  exceptionType: string;
  /** Message with `{n}` where each event has its own number (an id, a count). */
  messageTemplate: string;
  stackBefore: string;
  stackAfter: string;
  /** Whether the stack trace repeats `type: ` before the message (V8, JVM) or not (Python puts it last, Go panics). */
  usesType: boolean;
}

type MessagePool = Array<[type: string, message: (rand: Rand) => string]>;

const JS_MESSAGES: MessagePool = [
  ["TypeError", (r) => `Cannot read properties of undefined (reading '${pick(r, PROPS)}')`],
  ["TypeError", (r) => `Cannot read properties of null (reading '${pick(r, PROPS)}')`],
  ["TypeError", (r) => `${lower(pick(r, NOUNS))}.${pick(r, VERBS)}${pick(r, NOUNS)} is not a function`],
  ["Error", (r) => `${pick(r, NOUNS)} {n} not found`],
  ["Error", () => "Request failed with status code 502"],
  ["RangeError", () => "Invalid time value"],
  ["SyntaxError", () => `Unexpected token '<', "<!DOCTYPE "... is not valid JSON`],
  ["ValidationError", (r) => `"${pick(r, PROPS)}" is required`],
  ["AbortError", () => "The operation was aborted due to timeout"],
  ["PrismaClientKnownRequestError", (r) => `Unique constraint failed on the fields: (\`${pick(r, PROPS)}\`)`],
];
const PY_MESSAGES: MessagePool = [
  ["KeyError", (r) => `'${snake(pick(r, PROPS))}'`],
  ["AttributeError", (r) => `'NoneType' object has no attribute '${snake(pick(r, PROPS))}'`],
  ["ValueError", (r) => `invalid literal for int() with base 10: '${pick(r, WORDS)}'`],
  ["django.core.exceptions.ObjectDoesNotExist", (r) => `${pick(r, NOUNS)} matching query does not exist.`],
  [
    "psycopg.errors.UniqueViolation",
    (r) =>
      `duplicate key value violates unique constraint "${snake(pick(r, NOUNS))}s_${snake(pick(r, PROPS))}_key"`,
  ],
  ["TimeoutError", () => "timed out after {n} ms"],
  ["redis.exceptions.ConnectionError", () => "Error 111 connecting to redis:6379. Connection refused."],
];
const JAVA_MESSAGES: MessagePool = [
  [
    "java.lang.NullPointerException",
    (r) => {
      const noun = pick(r, NOUNS);
      const prop = pick(r, PROPS);
      return `Cannot invoke "com.acme.shop.model.${noun}.get${prop.charAt(0).toUpperCase()}${prop.slice(1)}()" because "${lower(noun)}" is null`;
    },
  ],
  ["java.lang.IllegalStateException", (r) => `${pick(r, NOUNS)} {n} is not in state PENDING`],
  ["java.net.SocketTimeoutException", () => "Read timed out"],
  [
    "org.springframework.dao.DataIntegrityViolationException",
    (r) =>
      `could not execute statement; SQL [n/a]; constraint [${snake(pick(r, NOUNS))}_${snake(pick(r, PROPS))}_uq]`,
  ],
  ["java.lang.IllegalArgumentException", (r) => `Unknown currency: ${pick(r, WORDS)}`],
];
const GO_MESSAGES: MessagePool = [
  ["runtime.boundsError", () => "runtime error: index out of range [{n}] with length 3"],
  ["runtime.Error", () => "runtime error: invalid memory address or nil pointer dereference"],
  [
    "*url.Error",
    (r) => `Get "http://catalog:8080/v1/${snake(pick(r, NOUNS))}s/{n}": context deadline exceeded`,
  ],
  ["*pq.Error", (r) => `pq: deadlock detected on ${snake(pick(r, NOUNS))}s`],
];

function nodeStack(rand: Rand, service: Service, own: Call[]): string {
  const lines = own.map(
    (c, i) =>
      `    at ${i > 0 && rand() < 0.5 ? "async " : ""}${c.fn} (/app/dist/${c.area}/${lower(c.noun)}.js:${between(rand, 12, 480)}:${between(rand, 5, 60)})`,
  );
  const framework =
    service.name === "notifications-worker"
      ? [
          "    at async Worker.processJob (/app/node_modules/bullmq/dist/cjs/classes/worker.js:455:28)",
          "    at async Worker.retryIfFailed (/app/node_modules/bullmq/dist/cjs/classes/worker.js:640:24)",
        ]
      : [
          "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
          "    at next (/app/node_modules/express/lib/router/route.js:149:13)",
          "    at Route.dispatch (/app/node_modules/express/lib/router/route.js:119:3)",
          "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
          "    at /app/node_modules/express/lib/router/index.js:284:15",
          "    at Function.process_params (/app/node_modules/express/lib/router/index.js:346:12)",
          "    at next (/app/node_modules/express/lib/router/index.js:280:10)",
          "    at authenticate (/app/dist/middleware/auth.js:41:5)",
          "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
        ];
  return `\n${[...lines, ...framework].join("\n")}`;
}

function browserStack(rand: Rand, own: Call[]): string {
  const hash = between(rand, 0x10000000, 0x7fffffff).toString(16);
  const lines = own.map(
    (c) =>
      `    at ${c.fn} (https://shop.example.com/assets/${c.area}-${hash}.js:2:${between(rand, 1000, 99999)})`,
  );
  const vendor = "https://shop.example.com/assets/vendor-3b7e21d0.js";
  return `\n${[
    ...lines,
    `    at Xo (${vendor}:9:${between(rand, 10000, 90000)})`,
    `    at Ya (${vendor}:9:${between(rand, 10000, 90000)})`,
    `    at commitRoot (${vendor}:11:4711)`,
    `    at performSyncWorkOnRoot (${vendor}:11:2310)`,
    `    at https://www.googletagmanager.com/gtag/js?id=G-XXXX:219:120`,
  ].join("\n")}`;
}

function pythonStack(rand: Rand, service: Service, own: Call[]): string {
  const pkg = service.name.split("-")[0]!;
  const framework = [
    `  File "/usr/local/lib/python3.12/site-packages/django/core/handlers/exception.py", line 55, in inner\n    response = get_response(request)`,
    `  File "/usr/local/lib/python3.12/site-packages/django/core/handlers/base.py", line 197, in _get_response\n    response = wrapped_callback(request, *callback_args, **callback_kwargs)`,
    `  File "/usr/local/lib/python3.12/site-packages/rest_framework/views.py", line 509, in dispatch\n    response = handler(request, *args, **kwargs)`,
  ];
  const mine = [...own]
    .reverse()
    .map(
      (c) =>
        `  File "/app/${pkg}/${c.area}/${snake(c.noun)}s.py", line ${between(rand, 10, 400)}, in ${snake(c.fn)}\n    result = ${snake(c.fn)}(request, pk)`,
    );
  return `Traceback (most recent call last):\n${[...framework, ...mine].join("\n")}\n`;
}

function javaStack(rand: Rand, service: Service, own: Call[]): string {
  const pkg = `com.acme.${service.name.split("-")[0]}`;
  const mine = own.map((c, i) => {
    const cls = `${c.noun}${i === own.length - 1 ? "Controller" : CLASS_SUFFIX[c.area]}`;
    return `\tat ${pkg}.${i === own.length - 1 ? "api" : c.area}.${cls}.${c.fn}(${cls}.java:${between(rand, 20, 600)})`;
  });
  const framework = [
    "\tat jdk.internal.reflect.GeneratedMethodAccessor212.invoke(Unknown Source)",
    "\tat java.base/jdk.internal.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)",
    "\tat java.base/java.lang.reflect.Method.invoke(Method.java:568)",
    "\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:205)",
    "\tat org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:150)",
    "\tat org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118)",
    "\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:884)",
    "\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.handleInternal(RequestMappingHandlerAdapter.java:797)",
    "\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1081)",
    "\tat org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:974)",
    "\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1011)",
    "\tat org.springframework.web.servlet.FrameworkServlet.doPost(FrameworkServlet.java:914)",
    "\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:590)",
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
    "\tat org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:205)",
    "\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:149)",
    "\tat org.springframework.web.filter.RequestContextFilter.doFilterInternal(RequestContextFilter.java:100)",
    "\tat org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)",
    "\tat org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)",
    "\tat org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:90)",
    "\tat org.apache.catalina.core.StandardHostValve.invoke(StandardHostValve.java:115)",
    "\tat org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:340)",
    "\tat org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)",
    "\tat org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1744)",
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
  ];
  return `\n${[...mine, ...framework].join("\n")}`;
}

function goStack(rand: Rand, service: Service, own: Call[]): string {
  const mod = `github.com/acme/${service.name}`;
  const mine = own.map(
    (c, i) =>
      `${mod}/internal/${c.area}/${lower(c.noun)}.(*${i === own.length - 1 ? "Handler" : "Store"}).${c.fn.charAt(0).toUpperCase()}${c.fn.slice(1)}(0xc000182000, {0x7c3f60, 0xc0001c0000})\n\t/src/internal/${c.area}/${lower(c.noun)}/${lower(c.noun)}.go:${between(rand, 20, 300)} +0x${between(rand, 16, 900).toString(16)}`,
  );
  return `\n\ngoroutine ${between(rand, 10, 900)} [running]:\n${[
    ...mine,
    "net/http.HandlerFunc.ServeHTTP(0xc000184000?, {0x7c3f60?, 0xc0001c0000?}, 0x0?)\n\t/usr/local/go/src/net/http/server.go:2166 +0x29",
    "github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc00018a000, {0x7c3f60, 0xc0001c0000}, 0xc0001b4000)\n\t/root/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go:459 +0x2a3",
    "created by net/http.(*Server).Serve in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3285 +0x4b4",
  ].join("\n")}\n`;
}

/** A new exception of `service`: type, message template and the stack trace around the message. */
export function exceptionFor(rand: Rand, service: Service): ExceptionShape {
  const pool = {
    nodejs: JS_MESSAGES,
    webjs: JS_MESSAGES,
    python: PY_MESSAGES,
    java: JAVA_MESSAGES,
    go: GO_MESSAGES,
  }[service.language];
  const [exceptionType, message] = pick(rand, pool);
  const depth = { nodejs: [2, 6], webjs: [2, 5], python: [2, 5], java: [2, 7], go: [2, 5] }[service.language];
  const own = calls(rand, between(rand, depth[0]!, depth[1]!));
  const messageTemplate = message(rand);
  switch (service.language) {
    case "nodejs":
      return {
        exceptionType,
        messageTemplate,
        stackBefore: "",
        stackAfter: nodeStack(rand, service, own),
        usesType: true,
      };
    case "webjs":
      return {
        exceptionType,
        messageTemplate,
        stackBefore: "",
        stackAfter: browserStack(rand, own),
        usesType: true,
      };
    case "python":
      return {
        exceptionType,
        messageTemplate,
        stackBefore: pythonStack(rand, service, own),
        stackAfter: "",
        usesType: true,
      };
    case "java":
      return {
        exceptionType,
        messageTemplate,
        stackBefore: "",
        stackAfter: javaStack(rand, service, own),
        usesType: true,
      };
    case "go":
      return {
        exceptionType,
        messageTemplate,
        stackBefore: "panic: ",
        stackAfter: goStack(rand, service, own),
        usesType: false,
      };
  }
}

/** The stack trace of one event, as the SQL seed builds it too. */
export function stackOf(shape: ExceptionShape, message: string): string {
  return `${shape.stackBefore}${shape.usesType ? `${shape.exceptionType}: ` : ""}${message}${shape.stackAfter}`;
}
