import { describe, expect, it } from "vitest";
import { parseStack } from "./parse-stack";

const SPRING = `org.springframework.web.util.NestedServletException: Request processing failed
	at org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)
	at com.acme.orders.OrderController.create(OrderController.java:42)
	at com.acme.orders.OrderController$$SpringCGLIB$$0.create(<generated>)
	at java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)
	at app//com.acme.orders.Main.lambda$main$0(Main.java:17)
	at java.base/java.lang.Thread.run(Thread.java:1583)
Caused by: java.lang.IllegalStateException: stock is negative
	at com.acme.orders.Inventory.reserve(Inventory.java:88)
	... 5 more`;

describe("parseStack: Java / JVM", () => {
  const frames = parseStack(SPRING, "java");

  it("reads the reported exception's frames and stops at Caused by", () => {
    expect(frames.map((f) => f.function)).toEqual([
      "processRequest",
      "create",
      "create",
      "invoke",
      "lambda$main$0",
      "run",
    ]);
    expect(frames[1]).toEqual({
      function: "create",
      module: "com.acme.orders.OrderController",
      file: "OrderController.java",
      line: 42,
      column: null,
      inApp: true,
    });
  });

  it("strips class-loader/module prefixes and marks the JDK and frameworks as not in-app", () => {
    expect(frames.map((f) => f.inApp)).toEqual([false, true, true, false, true, false]);
    expect(frames[3]?.module).toBe("jdk.internal.reflect.DirectMethodHandleAccessor");
    expect(frames[4]?.module).toBe("com.acme.orders.Main");
    expect(frames[5]).toMatchObject({ module: "java.lang.Thread", file: "Thread.java", line: 1583 });
  });

  it("handles Kotlin, lambdas, native methods and unknown sources; detects the JVM shape", () => {
    const kotlin = `java.lang.NullPointerException
	at com.acme.FooKt.main(Foo.kt:3)
	at com.acme.App$$Lambda$14/0x0000000800c0b1f8.run(Unknown Source)
	at java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)`;
    const f = parseStack(kotlin, null);
    expect(f).toHaveLength(3);
    expect(f[0]).toMatchObject({ function: "main", module: "com.acme.FooKt", file: "Foo.kt", line: 3 });
    expect(f[1]).toMatchObject({
      module: "com.acme.App$$Lambda$14/0x0000000800c0b1f8",
      file: null,
      line: null,
    });
    expect(f[2]).toMatchObject({ function: "invoke0", file: null, inApp: false });
  });

  it("reads Logback's packaging suffixes", () => {
    const f = parseStack(
      "java.lang.IllegalStateException: x\n\tat com.acme.Orders.place(Orders.java:10) ~[classes/:na]\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885) [spring-webmvc-6.1.14.jar:6.1.14]",
      null,
    );
    expect(f.map((x) => [x.module, x.function, x.line, x.inApp])).toEqual([
      ["com.acme.Orders", "place", 10, true],
      ["org.springframework.web.servlet.FrameworkServlet", "service", 885, false],
    ]);
  });
});
