import { randomBytes } from "node:crypto";
import net from "node:net";
import tls from "node:tls";

/**
 * A minimal SMTP client (RFC 5321) for sign-in emails: EHLO, STARTTLS when offered, AUTH PLAIN
 * when the URL has credentials, one recipient, a plain-text body. `smtps://` uses implicit TLS
 * (port 465 by default); `smtp://` defaults to port 587.
 */
export interface SmtpMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface SmtpOptions {
  /** Whole-conversation deadline. */
  timeoutMs?: number;
  /** Extra TLS options (e.g. a test CA). */
  tls?: tls.ConnectionOptions;
}

interface Reply {
  code: number;
  lines: string[];
}

export class SmtpError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = "SmtpError";
  }
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export async function sendSmtp(url: string, msg: SmtpMessage, opts: SmtpOptions = {}): Promise<void> {
  for (const v of [msg.from, msg.to, msg.subject]) {
    if (/[\r\n]/.test(v)) throw new SmtpError("header values must not contain line breaks");
  }
  const u = new URL(url);
  const implicitTls = u.protocol === "smtps:";
  const host = u.hostname;
  const port = Number(u.port || (implicitTls ? 465 : 587));
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);

  let socket: net.Socket = implicitTls
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...opts.tls })
    : net.connect({ host, port });
  const conn = new Connection(socket);
  const timer = setTimeout(() => socket.destroy(new SmtpError("SMTP timeout")), opts.timeoutMs ?? 15_000);
  try {
    await conn.expect([220]);
    let ehlo = await conn.command(`EHLO ${ehloName()}`, [250]);
    let secure = implicitTls;
    if (!secure && ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) {
      await conn.command("STARTTLS", [220]);
      socket = await upgrade(socket, host, opts.tls);
      conn.attach(socket);
      secure = true;
      ehlo = await conn.command(`EHLO ${ehloName()}`, [250]);
    }
    if (user) {
      if (!secure && !LOOPBACK.has(host))
        throw new SmtpError("refusing to send SMTP credentials without TLS");
      const token = Buffer.from(`\0${user}\0${pass}`, "utf8").toString("base64");
      await conn.command(`AUTH PLAIN ${token}`, [235]);
    }
    await conn.command(`MAIL FROM:<${msg.from}>`, [250]);
    await conn.command(`RCPT TO:<${msg.to}>`, [250, 251]);
    await conn.command("DATA", [354]);
    await conn.command(`${formatMessage(msg, host)}\r\n.`, [250]);
    await conn.command("QUIT", [221]).catch(() => undefined);
  } finally {
    clearTimeout(timer);
    socket.end();
    socket.destroy();
  }
}

function ehloName(): string {
  return "codewarden.localhost";
}

function upgrade(socket: net.Socket, host: string, extra?: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.removeAllListeners("data");
    const secured = tls.connect({ socket, servername: net.isIP(host) ? undefined : host, ...extra });
    secured.once("secureConnect", () => resolve(secured));
    secured.once("error", reject);
  });
}

/** RFC 5322 message with CRLF line endings and dot-stuffing for the DATA phase. */
export function formatMessage(msg: SmtpMessage, host: string): string {
  const headers = [
    `From: ${msg.from}`,
    `To: ${msg.to}`,
    `Subject: ${msg.subject}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${randomBytes(12).toString("hex")}@${host || "codewarden"}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  const body = msg.text
    .replace(/\r\n|\r|\n/g, "\n")
    .split("\n")
    .map((line) => (line.startsWith(".") ? `.${line}` : line))
    .join("\r\n");
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

/** Reads SMTP replies (possibly multi-line: `250-…` then `250 …`) from a socket. */
class Connection {
  private socket!: net.Socket;
  private buffer = "";
  private replies: Reply[] = [];
  private pending: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private current: string[] = [];
  private failure: Error | null = null;

  constructor(socket: net.Socket) {
    this.attach(socket);
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk.toString("utf8")));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new SmtpError("SMTP connection closed")));
  }

  private onData(text: string): void {
    this.buffer += text;
    if (this.buffer.length > 64 * 1024) {
      this.fail(new SmtpError("SMTP reply too long"));
      return;
    }
    let nl = this.buffer.indexOf("\n");
    while (nl !== -1) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, "");
      this.buffer = this.buffer.slice(nl + 1);
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) {
        this.fail(new SmtpError(`malformed SMTP reply: ${line.slice(0, 100)}`));
        return;
      }
      this.current.push(m[3] ?? "");
      if (m[2] === " ") {
        const reply = { code: Number(m[1]), lines: this.current };
        this.current = [];
        const waiter = this.pending.shift();
        if (waiter) waiter.resolve(reply);
        else this.replies.push(reply);
      }
      nl = this.buffer.indexOf("\n");
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.pending.splice(0)) w.reject(err);
  }

  private next(): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  async expect(codes: number[]): Promise<Reply> {
    const reply = await this.next();
    if (!codes.includes(reply.code)) {
      throw new SmtpError(
        `SMTP server replied ${reply.code} ${reply.lines.join(" ").slice(0, 200)}`,
        reply.code,
      );
    }
    return reply;
  }

  async command(line: string, codes: number[]): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.expect(codes);
  }
}
