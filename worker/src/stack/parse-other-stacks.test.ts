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
  it("reads getTraceAsString() with frames shifted to the running function", () => {
    const trace = `#0 /var/www/src/Service/Billing.php(42): App\\Repository\\Plans->find('gold')
#1 /var/www/src/Controller/Checkout.php(17): App\\Service\\Billing->charge(Object(App\\Entity\\Cart))
#2 /var/www/vendor/symfony/http-kernel/HttpKernel.php(181): App\\Controller\\Checkout->__invoke()
#3 {main}`;
    const f = parseStack(trace, "php");
    expect(f.map((x) => [x.module, x.function, x.file, x.line, x.inApp])).toEqual([
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
