import type { AlertQueue, ReportsAccess } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/server-runtime";
import type pino from "pino";
import type { WebConfig } from "./config";
import type { Mailer } from "./mailer";

declare module "@remix-run/server-runtime" {
  /** What every loader and action gets as `context` (built per request in server/index.ts). */
  interface AppLoadContext {
    db: Db;
    config: WebConfig;
    mailer: Mailer;
    /**
     * The alerts queue for "Send test" (the all-in-one launcher passes its own); null: test
     * deliveries stay pending until a worker picks them up.
     */
    alerts?: AlertQueue | null;
    /**
     * Evidence reports: where "Generate" enqueues and where finished PDFs are read; null: this
     * process cannot generate reports (the page says so).
     */
    reports?: ReportsAccess | null;
    logger: pino.Logger;
    /** Nonce of this response's Content-Security-Policy, for inline scripts. */
    cspNonce: string;
    /** Client address as express sees it (for the audit log). */
    clientIp: string | null;
  }
}

export type WebLoadContext = AppLoadContext;
