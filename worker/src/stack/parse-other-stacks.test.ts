import { describe, expect, it } from "vitest";
import { parseStack } from "./parse-stack";

describe("parseStack: .NET", () => {
  const trace = `System.InvalidOperationException: Order 42 cannot be shipped
 ---> System.IO.IOException: disk full
   at Acme.Storage.Disk.Write(Byte[] data) in /src/Acme.Storage/Disk.cs:line 19
   --- End of inner exception stack trace ---
   at Acme.Orders.OrderService.<ShipAsync>d__5.MoveNext() in /src/Acme.Orders/OrderService.cs:line 50
--- End of stack trace from previous location ---
   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()
   at Acme.Orders.OrdersController.<>c__DisplayClass2_0.<Ship>b__0(Int32 id) in C:\\build\\src\\OrdersController.cs:line 21
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.Execute(ActionContext context)`;

  it("reads the outer exception's frames with async and lambda names resolved", () => {
    const f = parseStack(trace, "dotnet");
    expect(f.map((x) => [x.module, x.function, x.line, x.inApp])).toEqual([
      ["Acme.Orders.OrderService", "ShipAsync", 50, true],
      ["System.Runtime.ExceptionServices.ExceptionDispatchInfo", "Throw", null, false],
      ["Acme.Orders.OrdersController", "Ship", 21, true],
      ["Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor", "Execute", null, false],
    ]);
    expect(f[2]?.file).toBe("C:\\build\\src\\OrdersController.cs");
    expect(parseStack(trace, null)).toEqual(f);
  });
});

describe("parseStack: Ruby", () => {
  it("reads full_message traces, old and new quoting", () => {
    const trace = `/app/app/models/user.rb:12:in 'User#full_name': undefined method 'upcase' for nil (NoMethodError)
	from /app/app/controllers/users_controller.rb:5:in \`show'
	from /usr/local/bundle/gems/actionpack-7.1.3/lib/action_controller/metal/basic_implicit_render.rb:6:in 'send_action'`;
    const f = parseStack(trace, "ruby");
    expect(f.map((x) => [x.module, x.function, x.line, x.inApp])).toEqual([
      ["User", "full_name", 12, true],
      [null, "show", 5, true],
      [null, "send_action", 6, false],
    ]);
    expect(parseStack(trace, null)).toEqual(f);
  });
});

describe("parseStack: PHP", () => {
  it("reads getTraceAsString() with frames shifted to the running function, the thrower first", () => {
    const trace = `#0 /var/www/src/Service/Billing.php(42): App\\Repository\\Plans->find('gold')
#1 /var/www/src/Controller/Checkout.php(17): App\\Service\\Billing->charge(Object(App\\Entity\\Cart))
#2 /var/www/vendor/symfony/http-kernel/HttpKernel.php(181): App\\Controller\\Checkout->__invoke()
#3 {main}`;
    const f = parseStack(trace, "php");
    expect(f.map((x) => [x.module, x.function, x.file, x.line, x.inApp])).toEqual([
      // #0's callee threw; without the `in file:line` header its location is unknown.
      ["App\\Repository\\Plans", "find", null, null, true],
      ["App\\Service\\Billing", "charge", "/var/www/src/Service/Billing.php", 42, true],
      ["App\\Controller\\Checkout", "__invoke", "/var/www/src/Controller/Checkout.php", 17, true],
      [null, null, "/var/www/vendor/symfony/http-kernel/HttpKernel.php", 181, false],
    ]);
    expect(parseStack(trace, null)).toEqual(f);
  });
});

describe("parseStack: fallbacks", () => {
  it("uses shape detection when the declared language's parser finds nothing", () => {
    const python = `Traceback (most recent call last):\n  File "/app/x.py", line 3, in f\nValueError: x`;
    expect(parseStack(python, "nodejs")[0]).toMatchObject({ function: "f", file: "/app/x.py", line: 3 });
  });

  it("scans unknown formats for file:line locations", () => {
    const f = parseStack(
      "fatal: boom\n  in handler at src/lib/handler.zig:41:7\n  in main at src/main.zig:10:3",
      "zig",
    );
    expect(f.map((x) => [x.file, x.line, x.column])).toEqual([
      ["src/lib/handler.zig", 41, 7],
      ["src/main.zig", 10, 3],
    ]);
  });

  it("returns no frames for empty or frameless input", () => {
    expect(parseStack(null, "nodejs")).toEqual([]);
    expect(parseStack("", null)).toEqual([]);
    expect(parseStack("Error: something happened", "nodejs")).toEqual([]);
  });

  it("caps the number of frames, keeping the innermost", () => {
    const deep = `RangeError: Maximum call stack size exceeded\n${Array.from({ length: 5000 }, (_, i) => `    at recurse (/app/src/r.js:${i + 1}:3)`).join("\n")}`;
    const f = parseStack(deep, "nodejs");
    expect(f).toHaveLength(256);
    expect(f[0]?.line).toBe(1);
    const py = `Traceback (most recent call last):\n${Array.from({ length: 1000 }, (_, i) => `  File "/app/r.py", line ${i + 1}, in r`).join("\n")}\nRecursionError: x`;
    const p = parseStack(py, "python");
    expect(p).toHaveLength(256);
    expect(p[0]?.line).toBe(1000);
  });
});

describe("parseStack: PHP formats", () => {
  it("reads OpenTelemetry PHP's Java-style traces with namespaces written back with \\", () => {
    const trace = `App.Exceptions.PlanNotFound: Plan "gold" not found
	at App.Repositories.PlanRepository.findBySlug(PlanRepository.php:31)
	at Illuminate.Routing.Route.run(Route.php:206)
	at helper(helpers.php:3)
	at {main}(index.php:51)
Caused by: Exception: inner
	... 1 more`;
    const f = parseStack(trace, "php");
    expect(f.map((x) => [x.module, x.function, x.file, x.line, x.inApp])).toEqual([
      ["App\\Repositories\\PlanRepository", "findBySlug", "PlanRepository.php", 31, true],
      ["Illuminate\\Routing\\Route", "run", "Route.php", 206, false],
      [null, "helper", "helpers.php", 3, false],
      [null, "{main}", "index.php", 51, false],
    ]);
    expect(parseStack(trace, null)).toEqual(f);
  });

  it("reads (string) $e: the thrower at the header's location, the last `Next` block only", () => {
    const trace = `PDOException: SQLSTATE[HY000] [2002] Connection refused in /srv/shop/vendor/doctrine/dbal/src/Driver.php:34
Stack trace:
#0 /srv/shop/vendor/doctrine/dbal/src/Driver.php(34): PDO->__construct('mysql:host=db')
#1 {main}

Next App\\Checkout\\CheckoutFailed: checkout failed in /srv/shop/src/Checkout/CheckoutService.php:77
Stack trace:
#0 /srv/shop/src/Controller/CheckoutController.php(29): App\\Checkout\\CheckoutService->complete(Object(App\\Entity\\Cart))
#1 [internal function]: App\\Controller\\CheckoutController->__invoke()
#2 {main}`;
    const f = parseStack(trace, "php");
    expect(f.map((x) => [x.module, x.function, x.file, x.line, x.inApp])).toEqual([
      ["App\\Checkout\\CheckoutService", "complete", "/srv/shop/src/Checkout/CheckoutService.php", 77, true],
      [
        "App\\Controller\\CheckoutController",
        "__invoke",
        "/srv/shop/src/Controller/CheckoutController.php",
        29,
        true,
      ],
      [null, null, null, null, false],
    ]);
  });
});

describe('parseStack: PHP header with " in " inside the message', () => {
  it("takes the throw site from the last ` in `", () => {
    const trace = `TypeError: App\\Http\\OrderController::show(): Argument #1 ($id) must be of type int, string given, called in /var/www/vendor/laravel/Controller.php on line 54 in /var/www/app/Http/OrderController.php:18
Stack trace:
#0 /var/www/vendor/laravel/Controller.php(54): App\\Http\\OrderController->show('abc')
#1 {main}`;
    expect(parseStack(trace, "php")[0]).toMatchObject({
      module: "App\\Http\\OrderController",
      function: "show",
      file: "/var/www/app/Http/OrderController.php",
      line: 18,
      inApp: true,
    });
  });
});

describe("parseStack: Ruby causes, .NET compiler names", () => {
  it("stops a full_message at the first cause", () => {
    const trace = `/app/app/services/pay.rb:22:in 'Pay#charge': failed (Pay::Error)
	from /app/app/jobs/charge_job.rb:8:in 'ChargeJob#perform'
/usr/local/bundle/gems/stripe-13.1.0/lib/stripe/client.rb:982:in 'Stripe::Client#call': declined (Stripe::CardError)
	from /app/app/services/pay.rb:18:in 'Pay#charge'`;
    expect(parseStack(trace, "ruby").map((x) => x.function)).toEqual(["charge", "perform"]);
  });

  it("names local functions and async lambdas by their source names", () => {
    const trace = `System.FormatException: bad
   at Acme.Imports.CsvImporter.<ImportAsync>g__ParseRow|5_0(String line)
   at Acme.Imports.CsvImporter.<<ImportAsync>g__ReadAsync|5_1>d.MoveNext()
   at Acme.Api.Program.<>c.<<Main>b__0_1>d.MoveNext()`;
    expect(parseStack(trace, "dotnet").map((x) => [x.module, x.function])).toEqual([
      ["Acme.Imports.CsvImporter", "ImportAsync.ParseRow"],
      ["Acme.Imports.CsvImporter", "ImportAsync.ReadAsync"],
      ["Acme.Api.Program", "Main"],
    ]);
  });
});
