/**
 * The SDK benchmark's app: a small node:http JSON service, run twice by run.ts from this one file —
 *   PORT=<port> node bench/sdk/app.mjs                                         (baseline)
 *   PORT=<port> node --import @codewarden/sdk-otel/register bench/sdk/app.mjs  (with the SDK)
 *
 * GET /api/products?category=&page=&limit=  parses the query, builds a page of products, answers JSON:
 *                                          in memory, or with DATABASE_URL set (`--app postgres`) read
 *                                          from Postgres with postgres.js (one query per request).
 * GET /api/checkout?cart=                  throws inside the "payment" code; the handler catches it,
 *                                          reports it with captureException and answers 500.
 * With APP_FRAMEWORK=koa (`--app koa`) it runs behind two Koa middlewares, with fastify (`--app fastify`) as the
 * routes' handler in Fastify. With APP_FRAMEWORK=express (`--app express`, Express 4) or express5 (`--app express5`) the same handler serves both routes through Express, after
 * a JSON body parser; anything else is Express's 404.
 * The load sends one request in 1,000 to /api/checkout. Without the SDK registered, captureException
 * is the package's documented no-op, so both runs execute the same code. With it, the SDK's default
 * instrumentations (node:http among them) trace every request; the error lands on the server span
 * and in a log record.
 */
import { createServer } from "node:http";
import { captureException } from "@codewarden/sdk-otel";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error("PORT must be set");

const CATEGORIES = ["books", "games", "music", "garden", "tools"];

// With DATABASE_URL, products come from the table run.ts seeded (bench_sdk_products).
const sql = process.env.DATABASE_URL
  ? (await import("postgres")).default(process.env.DATABASE_URL, { max: 10, onnotice: () => {} })
  : undefined;

function clampInt(raw, min, max, fallback) {
  const n = Number.parseInt(raw ?? "", 10);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function listProducts(query) {
  const category = CATEGORIES.includes(query.get("category")) ? query.get("category") : "books";
  const page = clampInt(query.get("page"), 1, 1000, 1);
  const limit = clampInt(query.get("limit"), 1, 50, 10);
  const items = [];
  for (let i = 0; i < limit; i++) {
    const id = (page - 1) * limit + i + 1;
    items.push({
      id: `${category}-${id}`,
      name: `${category[0].toUpperCase()}${category.slice(1)} item ${id}`,
      priceCents: 499 + ((id * 37) % 5000),
      inStock: id % 7 !== 0,
    });
  }
  return { category, page, limit, total: 1000, items };
}

async function listProductsFromDb(query) {
  const category = CATEGORIES.includes(query.get("category")) ? query.get("category") : "books";
  const page = clampInt(query.get("page"), 1, 1000, 1);
  const limit = clampInt(query.get("limit"), 1, 50, 10);
  const rows = await sql`
    select id, name, price_cents, in_stock from bench_sdk_products
    where category = ${category} order by id limit ${limit} offset ${((page - 1) * limit) % 1000}`;
  const items = rows.map((r) => ({
    id: `${category}-${r.id}`,
    name: r.name,
    priceCents: r.price_cents,
    inStock: r.in_stock,
  }));
  return { category, page, limit, total: 1000, items };
}

class PaymentDeclinedError extends Error {
  name = "PaymentDeclinedError";
}

function chargeCard(cart) {
  throw new PaymentDeclinedError(`card declined for cart ${cart}`);
}

function checkout(query) {
  const cart = query.get("cart") ?? "unknown";
  chargeCard(cart);
  return { cart, status: "paid" };
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

/** Errors this process passed to captureException, for GET /bench/captured. */
let captured = 0;

async function handle(req, res) {
  const url = new URL(req.url ?? "/", "http://app.local");
  try {
    if (req.method === "GET" && url.pathname === "/api/products")
      send(res, 200, sql ? await listProductsFromDb(url.searchParams) : listProducts(url.searchParams));
    else if (req.method === "GET" && url.pathname === "/api/checkout")
      send(res, 200, checkout(url.searchParams));
    // How many errors were captured: the benchmark compares it with what CodeWarden stored. (The load
    // generator's count of 500s can miss a request still in flight when a round ends.)
    else if (req.method === "GET" && url.pathname === "/bench/captured") send(res, 200, { captured });
    else send(res, 404, { error: "not found" });
  } catch (error) {
    captured++;
    captureException(error, { "http.route": url.pathname });
    send(res, 500, { error: "internal error" });
  }
}

async function expressApp() {
  // Express 4, or Express 5 (devDependency `express5`, npm:express@5) with APP_FRAMEWORK=express5.
  const { default: express } = await import(
    process.env.APP_FRAMEWORK === "express5" ? "express5" : "express"
  );
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use(express.json());
  app.get("/api/products", handle);
  app.get("/api/checkout", handle);
  app.get("/bench/captured", handle);
  return app;
}

// Koa (`--app koa`): a pass-through middleware, as apps have, then the same handler on the raw req/res.
async function koaApp() {
  const { default: Koa } = await import("koa");
  const app = new Koa();
  app.use(async (_ctx, next) => {
    await next();
  });
  app.use(async (ctx) => {
    ctx.respond = false;
    await handle(ctx.req, ctx.res);
  });
  return app.callback();
}

// Fastify (`--app fastify`): the same handler as the routes' handler, on the raw req/res (reply.hijack()).
// Fastify's own request handling is given this file's server through serverFactory.
async function fastifyApp() {
  const { default: Fastify } = await import("fastify");
  let fastifyHandler;
  const app = Fastify({
    serverFactory: (handler) => {
      fastifyHandler = handler;
      return createServer();
    },
  });
  const route = (request, reply) => {
    reply.hijack();
    return handle(request.raw, reply.raw);
  };
  for (const path of ["/api/products", "/api/checkout", "/bench/captured"]) app.get(path, route);
  await app.ready();
  return (req, res) => fastifyHandler(req, res);
}

const framework = process.env.APP_FRAMEWORK ?? "";
const server = createServer(
  framework.startsWith("express")
    ? await expressApp()
    : framework === "koa"
      ? await koaApp()
      : framework === "fastify"
        ? await fastifyApp()
        : handle,
);

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`app listening on 127.0.0.1:${port}\n`);
});

// SIGINT: stop accepting, cut keep-alive connections and let the process end on its own, so that
// the SDK's exit flush and `node --cpu-prof` (which writes its profile at a normal exit) both run.
process.once("SIGINT", () => {
  server.close();
  server.closeAllConnections();
  void sql?.end({ timeout: 5 });
});
