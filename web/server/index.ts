import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { AlertQueue, ReportsAccess } from "@codewarden/common";
import type { Db } from "@codewarden/drizzle";
import express from "express";
import type pino from "pino";
import type { WebConfig } from "./config";
import type { WebLoadContext } from "./load-context";
import { createMailer, type Mailer } from "./mailer";
import { refuseCrossOriginMutations } from "./same-origin";
import { securityHeaders } from "./security-headers";

export { bootstrapBanner } from "./bootstrap-banner";
export { loadWebConfig, type WebConfig } from "./config";
export type { WebLoadContext } from "./load-context";
export { createDevMailer, createMailer, createSmtpMailer, type Mailer, type SignInEmail } from "./mailer";

/**
 * Loaded dynamically through a non-literal specifier: importing @remix-run/express (or
 * @remix-run/node) statically would pull Remix's global `ProcessEnv` typings into every
 * TypeScript program that imports this module (the launcher, tests).
 */
const REMIX_EXPRESS: string = "@remix-run/express";
type CreateRequestHandler = (opts: {
  build: unknown;
  mode?: string;
  getLoadContext?: (req: express.Request, res: express.Response) => WebLoadContext;
}) => express.RequestHandler;

const SERVER_BUILD = fileURLToPath(new URL("../build/server/index.js", import.meta.url));
const CLIENT_DIR = fileURLToPath(new URL("../build/client", import.meta.url));
/** Request bodies (forms, API JSON) are small; anything larger is refused before Remix reads it. */
const MAX_BODY_BYTES = 256 * 1024;
const CLOSE_GRACE_MS = 5_000;

export interface WebDeps {
  db: Db;
  logger: pino.Logger;
  /** Defaults to SMTP when `config.smtpUrl` is set, otherwise the dev mailer (stdout). */
  mailer?: Mailer;
  /** Where "Send test" enqueues its delivery (alerts queue); optional. */
  alerts?: AlertQueue | null;
  /** Evidence reports ("Generate" enqueues; downloads read the storage); optional. */
  reports?: ReportsAccess | null;
}

export interface WebServer {
  /** The port actually listened on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the dashboard and REST API: an express server with the Remix build from `web/build`
 * (run `npm run build -w @codewarden/web` first).
 */
export async function startWeb(initialConfig: WebConfig, deps: WebDeps): Promise<WebServer> {
  let config = initialConfig;
  const build: unknown = await import(SERVER_BUILD).catch((err: unknown) => {
    throw new Error(
      `web: cannot load the server build at ${SERVER_BUILD}; run \`npm run build -w @codewarden/web\` (${err})`,
    );
  });
  const { createRequestHandler } = (await import(REMIX_EXPRESS)) as {
    createRequestHandler: CreateRequestHandler;
  };
  const { logger } = deps;
  const mailer = deps.mailer ?? createMailer(config, logger);
  if (config.sessionSecretGenerated) {
    logger.debug("SESSION_SECRET unset: using a random per-process secret for CSRF tokens");
  }

  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders({ https: config.secureCookies }));
  app.use((req, res, next) => {
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > MAX_BODY_BYTES) {
      res.status(413).setHeader("Cache-Control", "no-store");
      // The REST API answers every failure in its JSON error shape.
      if (req.path.startsWith("/api/")) {
        res.json({ error: { code: "payload_too_large", message: "Request body too large" } });
      } else res.type("text/plain").send("Request body too large");
      return;
    }
    const started = performance.now();
    res.on("finish", () => {
      if (req.path.startsWith("/assets/")) return;
      const entry = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      if (res.statusCode >= 500) logger.error(entry, "request failed");
      else logger.info(entry, "request");
    });
    next();
  });
  app.use(refuseCrossOriginMutations());
  app.use("/assets", express.static(`${CLIENT_DIR}/assets`, { immutable: true, maxAge: "1y", index: false }));
  app.use(express.static(CLIENT_DIR, { maxAge: "1h", index: false }));
  app.get("/healthz", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json({ status: "ok" });
  });
  app.all(
    "*",
    createRequestHandler({
      build,
      mode: "production",
      getLoadContext: (req, res): WebLoadContext => ({
        db: deps.db,
        config,
        mailer,
        alerts: deps.alerts ?? null,
        reports: deps.reports ?? null,
        logger,
        cspNonce: String(res.locals.cspNonce ?? ""),
        clientIp: clientAddress(req.ip ?? req.socket.remoteAddress),
      }),
    }),
  );
  // Failures raised before Remix (a malformed percent-encoding in the path): the REST API's JSON shape.
  app.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!req.path.startsWith("/api/") || res.headersSent) return next(err);
    const status = (err as { status?: number }).status === 400 ? 400 : 500;
    if (status === 500) logger.error({ err, path: req.path }, "API request failed");
    res.status(status).setHeader("Cache-Control", "no-store");
    res.json({
      error:
        status === 400
          ? { code: "bad_request", message: "Malformed request URL" }
          : { code: "internal_error", message: "Internal server error" },
    });
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  if (!config.publicUrlExplicit && config.port !== port) {
    config = { ...config, publicUrl: `http://localhost:${port}` };
  }
  logger.info({ host: config.host, port, publicUrl: config.publicUrl }, "web listening");

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((err) => {
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** The client address without the IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1` → `127.0.0.1`). */
function clientAddress(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
