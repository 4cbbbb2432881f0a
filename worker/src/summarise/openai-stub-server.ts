/**
 * For tests: a stand-in OpenAI-compatible endpoint (`POST /v1/chat/completions`) on loopback.
 * It records every request and answers as scripted per prompt, so tests run the real client
 * and count real calls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type StubReply =
  /** 200 with a valid summary naming the prompt's exception type. */
  | { kind: "ok" }
  /** 200 whose message content is exactly this (malformed replies). */
  | { kind: "content"; content: string }
  /** An error status, optionally with Retry-After. */
  | { kind: "status"; status: number; retryAfter?: string }
  /** The connection is destroyed before any answer (a network error). */
  | { kind: "drop" };

export interface StubRequest {
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
  authorization: string | undefined;
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  };
  /** The user message. */
  prompt: string;
}

export interface OpenAiStub {
  /** Base URL to configure, ending in `/v1`. */
  readonly baseUrl: string;
  readonly requests: StubRequest[];
  /** Requests whose prompt contains `text`. */
  calls(text: string): StubRequest[];
  /** The next answers to prompts containing `text`, in order; then "ok". */
  script(text: string, replies: StubReply[]): void;
  /** Holds answers until `release()` (requests are still recorded). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

function exceptionTypeOf(prompt: string): string {
  return /^Exception type: (.*)$/m.exec(prompt)?.[1] ?? "unknown";
}

export async function startOpenAiStub(): Promise<OpenAiStub> {
  const requests: StubRequest[] = [];
  const scripts: Array<{ text: string; replies: StubReply[] }> = [];
  let held: Array<() => void> | null = null;

  function answer(res: ServerResponse, reply: StubReply, req: StubRequest): void {
    if (reply.kind === "drop") {
      res.socket?.destroy();
      return;
    }
    if (reply.kind === "status") {
      res
        .writeHead(reply.status, {
          "content-type": "application/json",
          ...(reply.retryAfter ? { "retry-after": reply.retryAfter } : {}),
        })
        .end(JSON.stringify({ error: { message: `stub status ${reply.status}`, type: "stub" } }));
      return;
    }
    const type = exceptionTypeOf(req.prompt);
    const content =
      reply.kind === "content"
        ? reply.content
        : JSON.stringify({
            title: `${type} (from the model)`,
            whatHappened: `LLM summary #${requests.length} of ${type}`,
            likelyCause: "cause from the model",
            suggestedFix: "fix from the model",
            confidence: 0.75,
          });
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: req.body.model,
        choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }),
    );
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw) as StubRequest["body"];
    const prompt = body.messages.find((m) => m.role === "user")?.content ?? "";
    const recorded: StubRequest = { at: Date.now(), authorization: req.headers.authorization, body, prompt };
    requests.push(recorded);
    const script = scripts.find((s) => prompt.includes(s.text) && s.replies.length > 0);
    const reply = script?.replies.shift() ?? { kind: "ok" };
    const send = () => answer(res, reply, recorded);
    if (held) held.push(send);
    else send();
  }

  const server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => {
      raw += d;
    });
    req.on("end", () => handle(req, res, raw));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    calls: (text) => requests.filter((r) => r.prompt.includes(text)),
    script(text, replies) {
      scripts.push({ text, replies: [...replies] });
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const send of waiting) send();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
