import nodemailer from "nodemailer";
import type pino from "pino";
import type { WebConfig } from "./config";

export interface SignInEmail {
  /** Recipient (a known user's address, lower-cased). */
  to: string;
  /** Full single-use sign-in URL. */
  url: string;
  expiresInMinutes: number;
}

export interface InvitationEmail {
  /** Invited address, lower-cased. */
  to: string;
  /** Full single-use invitation URL. */
  url: string;
  /** Name of the organisation (chosen by its owners: plain text, one line). */
  organization: string;
  /** Address of the owner who sent the invitation. */
  invitedBy: string;
  expiresInDays: number;
}

/** Sends the emails the web service needs. */
export interface Mailer {
  sendSignInLink(email: SignInEmail): Promise<void>;
  sendInvitation(email: InvitationEmail): Promise<void>;
}

/**
 * Development mailer (no SMTP_URL): prints each link to stdout on ONE line, e.g.
 * `[codewarden] sign-in link for admin@localhost: http://localhost:3000/auth/verify?token=…` or
 * `[codewarden] invitation for bob@example.com to join "Acme": http://localhost:3000/invite?token=…`.
 */
export function createDevMailer(
  write: (line: string) => void = (line) => process.stdout.write(line),
): Mailer {
  return {
    async sendSignInLink({ to, url }) {
      write(`[codewarden] sign-in link for ${to}: ${url}\n`);
    },
    async sendInvitation({ to, url, organization }) {
      // JSON quoting keeps the name on the line whatever it contains.
      write(`[codewarden] invitation for ${to} to join ${JSON.stringify(organization)}: ${url}\n`);
    },
  };
}

/**
 * SMTP mailer (nodemailer): the URL carries host, port and credentials, e.g.
 * `smtps://user:pass@smtp.example.com:465` or `smtp://…:587` (STARTTLS when offered).
 * One pooled transport per process.
 */
export function createSmtpMailer(opts: { smtpUrl: string; from: string; logger: pino.Logger }): Mailer {
  const transport = nodemailer.createTransport(opts.smtpUrl);
  return {
    async sendSignInLink({ to, url, expiresInMinutes }) {
      await transport.sendMail({
        from: opts.from,
        to,
        subject: "Your CodeWarden sign-in link",
        text: [
          "Sign in to CodeWarden with this link:",
          "",
          url,
          "",
          `It works once and expires in ${expiresInMinutes} minutes.`,
          "If you did not ask for it, ignore this email.",
        ].join("\n"),
      });
      opts.logger.info({ to }, "sign-in email sent");
    },
    async sendInvitation({ to, url, organization, invitedBy, expiresInDays }) {
      await transport.sendMail({
        from: opts.from,
        to,
        subject: `Join ${organization} on CodeWarden`,
        text: [
          `${invitedBy} invited you to join the organisation "${organization}" on CodeWarden.`,
          "",
          "Accept the invitation with this link:",
          "",
          url,
          "",
          `It works once and expires in ${expiresInDays} days.`,
          "If you did not expect it, ignore this email.",
        ].join("\n"),
      });
      opts.logger.info({ to }, "invitation email sent");
    },
  };
}

/** SMTP when SMTP_URL is set, otherwise the dev mailer. */
export function createMailer(config: WebConfig, logger: pino.Logger): Mailer {
  if (config.smtpUrl) return createSmtpMailer({ smtpUrl: config.smtpUrl, from: config.smtpFrom, logger });
  return createDevMailer();
}
