import { describe, expect, it } from "vitest";
import { formatMessage } from "./smtp";

describe("formatMessage", () => {
  it("uses CRLF and dot-stuffs lines that start with a dot", () => {
    const msg = formatMessage(
      { from: "a@example.com", to: "b@example.com", subject: "Hi", text: "one\n.two\r\n..three" },
      "h",
    );
    const [headers, body] = msg.split("\r\n\r\n");
    expect(headers).toContain("From: a@example.com\r\nTo: b@example.com\r\nSubject: Hi\r\n");
    expect(body).toBe("one\r\n..two\r\n...three");
  });
});
