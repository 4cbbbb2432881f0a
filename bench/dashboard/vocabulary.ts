/**
 * The vocabulary of the benchmark's data set: services (language, releases, routes), hosts, and
 * the words its code is made of, with a seeded PRNG so that the same seed gives the same data.
 */

/** A small fast PRNG (mulberry32): the same seed gives the same data set. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
export const between = (rand: Rand, lo: number, hi: number): number =>
  lo + Math.floor(rand() * (hi - lo + 1));

export type Language = "nodejs" | "webjs" | "python" | "java" | "go";

export interface Service {
  name: string;
  language: Language;
  /** Share of the issues that belong to this service. */
  weight: number;
  /** Major release number; minor releases follow every two days of the window. */
  major: number;
  minor0: number;
  routes: string[];
}

export const SERVICES: readonly Service[] = [
  {
    name: "checkout-api",
    language: "nodejs",
    weight: 4,
    major: 4,
    minor0: 12,
    routes: ["/api/cart", "/api/cart/items/:id", "/api/checkout", "/api/orders/:id", "/api/coupons/:id"],
  },
  {
    name: "storefront-web",
    language: "webjs",
    weight: 3,
    major: 2,
    minor0: 40,
    routes: ["/", "/products/:id", "/cart", "/checkout", "/account/orders/:id", "/search"],
  },
  {
    name: "payments-service",
    language: "java",
    weight: 2,
    major: 7,
    minor0: 3,
    routes: ["/v1/charges", "/v1/charges/:id/refund", "/v1/payment-methods/:id", "/v1/webhooks/stripe"],
  },
  {
    name: "search-service",
    language: "python",
    weight: 2,
    major: 1,
    minor0: 88,
    routes: ["/search", "/suggest", "/reindex/:id", "/facets"],
  },
  {
    name: "inventory-sync",
    language: "go",
    weight: 1,
    major: 3,
    minor0: 1,
    routes: ["/v1/stock/:id", "/v1/reservations", "/v1/reservations/:id", "/healthz/deep"],
  },
  {
    name: "notifications-worker",
    language: "nodejs",
    weight: 1,
    major: 2,
    minor0: 7,
    routes: ["queue:emails", "queue:sms", "queue:push", "queue:webhooks"],
  },
  {
    name: "accounts-api",
    language: "python",
    weight: 2,
    major: 5,
    minor0: 21,
    routes: ["/accounts/:id", "/accounts/:id/addresses", "/login", "/password-reset", "/sessions/:id"],
  },
  {
    name: "orders-api",
    language: "java",
    weight: 2,
    major: 9,
    minor0: 14,
    routes: ["/orders", "/orders/:id", "/orders/:id/cancel", "/orders/:id/shipments"],
  },
];

/** Pod-name suffixes: each service runs on these hosts (`<service>-<suffix>`). */
export const HOST_SUFFIXES = [
  "7f9c4d6b8-x2k9q",
  "7f9c4d6b8-m4tz7",
  "7f9c4d6b8-pl8sd",
  "5b6d8f7c9-qq2wn",
  "5b6d8f7c9-c7hkr",
  "5b6d8f7c9-zt5vb",
];

export const VERBS = [
  "get",
  "load",
  "create",
  "update",
  "validate",
  "apply",
  "resolve",
  "build",
  "parse",
  "sync",
  "fetch",
  "render",
  "handle",
  "compute",
  "reserve",
  "notify",
  "serialize",
  "refresh",
  "merge",
  "publish",
  "cancel",
  "schedule",
  "lookup",
  "persist",
];
export const NOUNS = [
  "Order",
  "Cart",
  "Customer",
  "Invoice",
  "Payment",
  "Session",
  "Product",
  "Price",
  "Discount",
  "Shipment",
  "Address",
  "Token",
  "Account",
  "Webhook",
  "Report",
  "Coupon",
  "Stock",
  "Refund",
  "Tenant",
  "Subscription",
  "Warehouse",
  "Carrier",
  "Review",
  "Wishlist",
];
/** Layers of the services' own code (a directory, a package, a class suffix). */
export const AREAS = ["routes", "services", "repositories", "handlers", "domain", "clients"];
/** JVM class-name suffix per layer. */
export const CLASS_SUFFIX: Record<string, string> = {
  routes: "Router",
  services: "Service",
  repositories: "Repository",
  handlers: "Handler",
  domain: "Model",
  clients: "Client",
};
export const PROPS = [
  "id",
  "email",
  "tenantId",
  "price",
  "sku",
  "items",
  "address",
  "currency",
  "token",
  "userId",
  "quantity",
  "status",
  "metadata",
  "length",
  "total",
  "country",
];
export const WORDS = ["abc", "n/a", "EUR1", "null", "undefined", "12a", "--", "0x1f", "NaN", "tomorrow"];

export const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
export const snake = (s: string) => s.replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c.toLowerCase());
