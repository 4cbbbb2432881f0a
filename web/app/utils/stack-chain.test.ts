import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainedExceptions, MAX_BLOCK_LINES, MAX_CHAINED } from "./stack-chain";

describe("chainedExceptions", () => {
  it("is empty for a trace without causes, and for no trace", () => {
    expect(chainedExceptions("Error: x\n    at f (/app/a.js:1:1)")).toEqual([]);
    expect(chainedExceptions(null)).toEqual([]);
    expect(chainedExceptions("")).toEqual([]);
  });

  it("splits JVM Caused by and Suppressed blocks", () => {
    const trace = `java.lang.RuntimeException: outer
\tat com.acme.A.run(A.java:1)
\tSuppressed: java.io.IOException: close failed
\t\tat com.acme.A.close(A.java:9)
Caused by: java.sql.SQLException: deadlock
\tat org.postgresql.Driver.connect(Driver.java:3)
\t... 4 more
Caused by: java.net.SocketException: reset
\t... 9 more`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "suppressed",
        header: "java.io.IOException: close failed",
        lines: ["at com.acme.A.close(A.java:9)"],
        omitted: 0,
      },
      {
        relation: "cause",
        header: "java.sql.SQLException: deadlock",
        lines: ["at org.postgresql.Driver.connect(Driver.java:3)", "... 4 more"],
        omitted: 0,
      },
      { relation: "cause", header: "java.net.SocketException: reset", lines: ["... 9 more"], omitted: 0 },
    ]);
  });

  it("walks Python's chain back from the reported (last) traceback", () => {
    const trace = `Traceback (most recent call last):
  File "/srv/a.py", line 1, in f
    x()
OSError: disk

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/b.py", line 2, in g
KeyError: 'gold'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/c.py", line 3, in h
ValueError: unknown plan 'gold'`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "context",
        header: "KeyError: 'gold'",
        lines: ["Traceback (most recent call last):", '  File "/srv/b.py", line 2, in g'],
        omitted: 0,
      },
      {
        relation: "cause",
        header: "OSError: disk",
        lines: ["Traceback (most recent call last):", '  File "/srv/a.py", line 1, in f', "    x()"],
        omitted: 0,
      },
    ]);
  });

  it("reads Node's nested [cause] blocks without inspect's braces", () => {
    const trace = `Error: request failed
    at fetchUser (/app/src/client.ts:20:11)
    at main (/app/src/main.ts:5:3) {
  code: 'E_FETCH',
  [cause]: Error: socket hang up
      at TLSSocket.onHangUp (node:_tls_wrap:1:1) {
    [cause]: Error: read ECONNRESET
        at TCP.onStreamRead (node:internal/stream_base_commons:217:20)
  }
}`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "cause",
        header: "Error: socket hang up",
        lines: ["at TLSSocket.onHangUp (node:_tls_wrap:1:1)"],
        omitted: 0,
      },
      {
        relation: "cause",
        header: "Error: read ECONNRESET",
        lines: ["at TCP.onStreamRead (node:internal/stream_base_commons:217:20)"],
        omitted: 0,
      },
    ]);
  });

  it("nests .NET inner exceptions and gives the outer frames back to the outer exception", () => {
    const trace = `System.InvalidOperationException: Order 42 cannot be shipped
 ---> System.IO.IOException: disk full
 ---> System.ComponentModel.Win32Exception: no space
   at Native.Write()
   --- End of inner exception stack trace ---
   at Acme.Storage.Disk.Write(Byte[] data) in /src/Disk.cs:line 19
   --- End of inner exception stack trace ---
   at Acme.Orders.OrderService.Ship() in /src/OrderService.cs:line 50`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "cause",
        header: "System.IO.IOException: disk full",
        lines: ["at Acme.Storage.Disk.Write(Byte[] data) in /src/Disk.cs:line 19"],
        omitted: 0,
      },
      {
        relation: "cause",
        header: "System.ComponentModel.Win32Exception: no space",
        lines: ["at Native.Write()"],
        omitted: 0,
      },
    ]);
  });

  it("reverses PHP's previous-first order", () => {
    const trace = `PDOException: refused in /srv/vendor/Driver.php:34
Stack trace:
#0 /srv/vendor/Driver.php(34): PDO->__construct('mysql:host=db')
#1 {main}

Next App\\Checkout\\CheckoutFailed: checkout failed in /srv/src/CheckoutService.php:77
Stack trace:
#0 /srv/src/CheckoutController.php(29): App\\Checkout\\CheckoutService->complete()
#1 {main}`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "cause",
        header: "PDOException: refused in /srv/vendor/Driver.php:34",
        lines: [
          "Stack trace:",
          "#0 /srv/vendor/Driver.php(34): PDO->__construct('mysql:host=db')",
          "#1 {main}",
        ],
        omitted: 0,
      },
    ]);
  });

  it("reads Ruby full_message causes", () => {
    const trace = `/app/app/services/pay.rb:22:in 'Pay#charge': failed (Pay::Error)
\tfrom /app/app/jobs/charge_job.rb:8:in 'ChargeJob#perform'
/usr/local/bundle/gems/stripe/lib/stripe/client.rb:982:in 'Stripe::Client#call': declined (Stripe::CardError)
\tfrom /app/app/services/pay.rb:18:in 'Pay#charge'`;
    expect(chainedExceptions(trace)).toEqual([
      {
        relation: "cause",
        header:
          "/usr/local/bundle/gems/stripe/lib/stripe/client.rb:982:in 'Stripe::Client#call': declined (Stripe::CardError)",
        lines: ["from /app/app/services/pay.rb:18:in 'Pay#charge'"],
        omitted: 0,
      },
    ]);
  });

  it("caps the number of blocks and of lines per block", () => {
    const many = ["E: 0", ...Array.from({ length: 30 }, (_, i) => `Caused by: E: ${i + 1}`)].join("\n");
    expect(chainedExceptions(many)).toHaveLength(MAX_CHAINED);
    const long = [
      "E: 0",
      "Caused by: E: 1",
      ...Array.from({ length: 150 }, (_, i) => `\tat f${i}(A.java:1)`),
    ].join("\n");
    const [block] = chainedExceptions(long);
    expect(block?.lines).toHaveLength(MAX_BLOCK_LINES);
    expect(block?.omitted).toBe(50);
  });

  it("never throws", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              "Caused by: X",
              " ---> Y",
              "--- End of inner exception stack trace ---",
              "  [cause]: Z {",
              "}",
              "Next W",
              "During handling of the above exception, another exception occurred:",
              "\tfrom a.rb:1:in 'x'",
            ),
          ),
        ),
        (lines) => {
          const blocks = chainedExceptions(lines.join("\n"));
          expect(blocks.length).toBeLessThanOrEqual(MAX_CHAINED);
        },
      ),
    );
  });
});
