import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_LENGTH, MAX_STACK_LENGTH, toExceptionInfo } from "../src/exception.js";
import { crashReport } from "../src/process-hooks.js";

class PaymentDeclinedError extends Error {
  override name = "PaymentDeclinedError";
}

describe("toExceptionInfo", () => {
  it("keeps name, message and stack of errors, including subclasses", () => {
    const error = new PaymentDeclinedError("card 4242 declined");
    expect(toExceptionInfo(error)).toEqual({
      type: "PaymentDeclinedError",
      message: "card 4242 declined",
      stacktrace: error.stack,
    });
    expect(toExceptionInfo(new TypeError("x")).type).toBe("TypeError");
  });

  it("accepts error-like objects from other realms", () => {
    const info = toExceptionInfo({
      name: "RemoteError",
      message: "upstream 502",
      stack: "RemoteError: upstream 502\n    at x",
    });
    expect(info).toEqual({
      type: "RemoteError",
      message: "upstream 502",
      stacktrace: "RemoteError: upstream 502\n    at x",
    });
  });

  it("turns strings into Error messages and describes other values", () => {
    expect(toExceptionInfo("quota exceeded")).toEqual({ type: "Error", message: "quota exceeded" });
    expect(toExceptionInfo(42)).toEqual({ type: "Error", message: "42" });
    expect(toExceptionInfo(undefined)).toEqual({ type: "Error", message: "undefined" });
    expect(toExceptionInfo({ code: 7 })).toEqual({ type: "Error", message: "{ code: 7 }" });
    class Rejection {
      reason = "nope";
    }
    expect(toExceptionInfo(new Rejection())).toEqual({
      type: "Rejection",
      message: "Rejection { reason: 'nope' }",
    });
  });

  it("survives hostile values", () => {
    const hostile = Object.defineProperty(new Error("m"), "stack", {
      get() {
        throw new Error("no stack for you");
      },
    });
    expect(toExceptionInfo(hostile)).toEqual({ type: "Error", message: "m" });
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
        getPrototypeOf() {
          throw new Error("trap");
        },
      },
    );
    expect(toExceptionInfo(proxy)).toEqual({
      type: "Error",
      message: "[object that could not be inspected]",
    });
  });

  it("caps message and stack sizes", () => {
    const error = new Error("m".repeat(MAX_MESSAGE_LENGTH * 2));
    error.stack = "s".repeat(MAX_STACK_LENGTH * 2);
    const info = toExceptionInfo(error);
    expect(info.message.length).toBeLessThan(MAX_MESSAGE_LENGTH + 20);
    expect(info.stacktrace?.length).toBeLessThan(MAX_STACK_LENGTH + 20);
  });

  it("never throws and always yields string type and message", () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }),
        (value) => {
          const info = toExceptionInfo(value);
          return typeof info.type === "string" && info.type.length > 0 && typeof info.message === "string";
        },
      ),
    );
  });
});

describe("crashReport", () => {
  it("prints the error as Node does, with the Node.js version footer", () => {
    const error = Object.assign(new Error("disk full"), { code: "ENOSPC" });
    const report = crashReport(error);
    expect(report).toContain(error.stack);
    expect(report).toContain("code: 'ENOSPC'");
    expect(report.trimEnd().endsWith(`Node.js ${process.version}`)).toBe(true);
    expect(crashReport("plain")).toContain("\nplain\n");
  });
});
