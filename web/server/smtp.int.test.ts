import net from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createSmtpMailer } from "./mailer";

/** A small SMTP server speaking just enough RFC 5321 to receive one message. */
function startSmtpServer(opts: { rejectRcpt?: boolean } = {}) {
  const transcript: string[] = [];
  let data = "";
  const server = net.createServer((socket) => {
    let inData = false;
    let buffer = "";
    socket.write("220 test.local ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      if (inData) {
        const end = buffer.indexOf("\r\n.\r\n");
        if (end === -1) return;
        data = buffer.slice(0, end);
        buffer = buffer.slice(end + 5);
        inData = false;
        socket.write("250 queued\r\n");
      }
      let nl = buffer.indexOf("\r\n");
      while (nl !== -1 && !inData) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        transcript.push(line);
        const verb = line.split(" ")[0]!.toUpperCase();
        if (verb === "EHLO") socket.write("250-test.local\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n");
        else if (verb === "AUTH") socket.write("235 ok\r\n");
        else if (verb === "MAIL") socket.write("250 ok\r\n");
        else if (verb === "RCPT") socket.write(opts.rejectRcpt ? "550 no such user\r\n" : "250 ok\r\n");
        else if (verb === "DATA") {
          inData = true;
          socket.write("354 go ahead\r\n");
        } else if (verb === "QUIT") {
          socket.end("221 bye\r\n");
        } else socket.write("502 unknown\r\n");
        nl = buffer.indexOf("\r\n");
      }
    });
  });
  return new Promise<{ port: number; transcript: string[]; data: () => string; close(): Promise<void> }>(
    (resolve) => {
      server.listen(0, "127.0.0.1", () => {
        resolve({
          port: (server.address() as net.AddressInfo).port,
          transcript,
          data: () => data,
          close: () => new Promise((r) => server.close(() => r())),
        });
      });
    },
  );
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("SMTP mailer", () => {
  it("delivers the sign-in email with the link, authenticating with the URL's credentials", async () => {
    const smtp = await startSmtpServer();
    close = smtp.close;
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://mailer%40example.com:s3cret@127.0.0.1:${smtp.port}`,
      from: "codewarden@example.com",
      logger: pino({ level: "silent" }),
    });
    const url = "https://cw.example.com/auth/verify?token=abcDEF123_-";
    await mailer.sendSignInLink({ to: "admin@example.com", url, expiresInMinutes: 15 });

    expect(smtp.transcript).toContain("MAIL FROM:<codewarden@example.com>");
    expect(smtp.transcript).toContain("RCPT TO:<admin@example.com>");
    const auth = smtp.transcript.find((l) => l.startsWith("AUTH PLAIN "))!;
    expect(Buffer.from(auth.slice("AUTH PLAIN ".length), "base64").toString()).toBe(
      "\0mailer@example.com\0s3cret",
    );
    const message = smtp.data();
    expect(message).toContain("To: admin@example.com\r\n");
    expect(message).toContain("Subject: Your CodeWarden sign-in link\r\n");
    expect(message).toContain(`\r\n${url}\r\n`);
  });

  it("delivers an invitation with the organisation, the inviter and the link", async () => {
    const smtp = await startSmtpServer();
    close = smtp.close;
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: "codewarden@example.com",
      logger: pino({ level: "silent" }),
    });
    const url = "https://cw.example.com/invite?token=abcDEF123_-";
    await mailer.sendInvitation({
      to: "bob@example.com",
      url,
      organization: "Acme",
      invitedBy: "alice@example.com",
      expiresInDays: 7,
    });
    expect(smtp.transcript).toContain("RCPT TO:<bob@example.com>");
    const message = smtp.data();
    expect(message).toContain("Subject: Join Acme on CodeWarden\r\n");
    expect(message).toContain('alice@example.com invited you to join the organisation "Acme"');
    expect(message).toContain(`\r\n${url}\r\n`);
    expect(message).toContain("expires in 7 days");
  });

  it("fails with the server's reply when the server refuses the recipient", async () => {
    const smtp = await startSmtpServer({ rejectRcpt: true });
    close = smtp.close;
    const mailer = createSmtpMailer({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: "a@example.com",
      logger: pino({ level: "silent" }),
    });
    const err = await mailer
      .sendSignInLink({ to: "b@example.com", url: "http://x/y", expiresInMinutes: 15 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { responseCode?: number }).responseCode).toBe(550);
  });
});
