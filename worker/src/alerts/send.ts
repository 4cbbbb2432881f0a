import { type AlertMessage, isAlertUrl } from "@codewarden/common";
import type { AlertChannelConfig, AlertChannelKind } from "@codewarden/drizzle";
import nodemailer from "nodemailer";
import type pino from "pino";
import { oneLine, renderEmail, renderSlack, renderWebhook } from "./render";
import { SIGNATURE_HEADER, signWebhook } from "./signature";

/** A failed delivery attempt. `retryable`: network errors, timeouts, 408, 429, 5xx, SMTP 4xx. */
export class AlertDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "AlertDeliveryError";
  }
}

export interface AlertChannelTarget {
  kind: AlertChannelKind;
  config: AlertChannelConfig;
}

export interface AlertSenderOptions {
  /** Time limit of one outbound request or SMTP conversation step (default 10 s). */
  timeoutMs?: number;
  /** smtp:// or smtps:// URL; unset: emails are printed to stdout on one line (dev mailer). */
  smtpUrl?: string | null;
  /** Sender address of alert emails. */
  smtpFrom: string;
  logger: pino.Logger;
  /** Where the dev mailer writes (default stdout). */
  write?: (line: string) => void;
}

/** Sends one rendered message to one channel; throws AlertDeliveryError. */
export interface AlertSender {
  send(channel: AlertChannelTarget, message: AlertMessage, deliveryId: string): Promise<void>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = "CodeWarden-Alerts/1";

function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number) {
  if (!isAlertUrl(url)) throw new AlertDeliveryError("channel URL is not an http(s) URL", false);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...headers },
      body,
      // A redirect could lead anywhere: a user-configured URL must answer itself.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const what =
      e.name === "TimeoutError"
        ? `timed out after ${timeoutMs} ms`
        : (e.cause as Error)?.message || e.message;
    throw new AlertDeliveryError(`request failed: ${oneLine(String(what), 300)}`, true);
  }
  // Drain (bounded by the same signal) so the connection can be reused; the body is not needed.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return;
  throw new AlertDeliveryError(`endpoint answered ${res.status}`, retryableStatus(res.status), res.status);
}

/**
 * The channels' senders: Slack-compatible incoming webhooks, signed JSON webhooks and email
 * (nodemailer over SMTP_URL, or the dev mailer's one line on stdout without it).
 */
export function createAlertSender(opts: AlertSenderOptions): AlertSender {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const transport = opts.smtpUrl
    ? nodemailer.createTransport(opts.smtpUrl, {
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      } as Parameters<typeof nodemailer.createTransport>[1])
    : null;

  return {
    async send(channel, message, deliveryId) {
      const config = channel.config;
      switch (channel.kind) {
        case "slack": {
          if (!("url" in config)) throw new AlertDeliveryError("slack channel without a URL", false);
          return post(config.url, JSON.stringify(renderSlack(message)), {}, timeoutMs);
        }
        case "webhook": {
          if (!("url" in config)) throw new AlertDeliveryError("webhook channel without a URL", false);
          const body = renderWebhook(message, deliveryId);
          const headers: Record<string, string> = { "x-codewarden-delivery": deliveryId };
          if ("secret" in config && config.secret)
            headers[SIGNATURE_HEADER] = signWebhook(config.secret, body, Date.now() / 1000);
          return post(config.url, body, headers, timeoutMs);
        }
        case "email": {
          if (!("addresses" in config) || config.addresses.length === 0)
            throw new AlertDeliveryError("email channel without addresses", false);
          const { subject, text } = renderEmail(message);
          if (!transport) {
            const link = message.issues[0]?.url ?? "";
            write(
              `[codewarden] alert email to ${config.addresses.join(", ")}: ${JSON.stringify(subject)}${link ? ` ${link}` : ""}\n`,
            );
            return;
          }
          try {
            await transport.sendMail({ from: opts.smtpFrom, to: config.addresses, subject, text });
          } catch (err) {
            const code = (err as { responseCode?: number }).responseCode;
            // SMTP 5xx is permanent (bad recipient, refused); 4xx and connection errors are not.
            const permanent = typeof code === "number" && code >= 500 && code < 600;
            throw new AlertDeliveryError(
              `smtp: ${oneLine((err as Error).message, 300)}`,
              !permanent,
              code ?? null,
            );
          }
          return;
        }
        default:
          throw new AlertDeliveryError(`unknown channel kind ${JSON.stringify(channel.kind)}`, false);
      }
    },
    close() {
      transport?.close();
    },
  };
}
