import { generateSecret, hashSecret, secretHint } from "@codewarden/common";
import { schema } from "@codewarden/drizzle";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import routes from "../app/routes";
import type { JsonSchema, OpenApiDocument, OperationObject } from "../app/services/openapi.server";
import { seedEvent, seedIssue, seedOtherOrg, seedSummary, startTestWeb, type TestWeb } from "./helpers";

/**
 * GET /api/v1/openapi.json is a valid OpenAPI 3.1 document, and the API does what it says: every
 * documented response of every operation is produced by a real request against a real server with
 * real data, and the body is validated against the document's schema.
 */

let t: TestWeb;
let doc: OpenApiDocument;
let ajv: Ajv2020;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;
const tokens = { readOnly: "", writeOnly: "" };
const ids = { issue: "", bare: "", noRelease: "", patchable: "" };
let secondPageCursor = "";

interface Request {
  path: string;
  method?: string;
  /** Default: the bootstrap token (read + write); null: no Authorization header. */
  token?: string | null;
  body?: string;
}

interface Case {
  operationId: string;
  status: number;
  why: string;
  request: () => Request;
  /** PATCH: whether the body satisfies the documented request schema. */
  bodyValid?: boolean;
}

const patchJson = (id: () => string, body: unknown, token?: () => string | null) => (): Request => ({
  path: `/api/v1/issues/${id()}`,
  method: "PATCH",
  body: JSON.stringify(body),
  token: token?.(),
});

/** The requests that produce each documented (operation, status); 500s are produced separately below. */
const CASES: Case[] = [
  {
    operationId: "listProjects",
    status: 200,
    why: "the organisation's projects",
    request: () => ({ path: "/api/v1/projects" }),
  },
  {
    operationId: "listProjects",
    status: 401,
    why: "no token",
    request: () => ({ path: "/api/v1/projects", token: null }),
  },
  {
    operationId: "listProjects",
    status: 403,
    why: "a token without read",
    request: () => ({ path: "/api/v1/projects", token: tokens.writeOnly }),
  },
  {
    operationId: "listIssues",
    status: 200,
    why: "every status",
    request: () => ({ path: "/api/v1/projects/default/issues?status=all&limit=2" }),
  },
  {
    operationId: "listIssues",
    status: 200,
    why: "the second page",
    request: () => ({
      path: `/api/v1/projects/default/issues?status=all&limit=2&cursor=${encodeURIComponent(secondPageCursor)}`,
    }),
  },
  {
    operationId: "listIssues",
    status: 400,
    why: "a bad limit",
    request: () => ({ path: "/api/v1/projects/default/issues?limit=0" }),
  },
  {
    operationId: "listIssues",
    status: 401,
    why: "an unknown token",
    request: () => ({ path: "/api/v1/projects/default/issues", token: "cw_at_unknown0000000000000000" }),
  },
  {
    operationId: "listIssues",
    status: 403,
    why: "a token without read",
    request: () => ({ path: "/api/v1/projects/default/issues", token: tokens.writeOnly }),
  },
  {
    operationId: "listIssues",
    status: 404,
    why: "another organisation's project",
    request: () => ({ path: `/api/v1/projects/${other.project.slug}/issues` }),
  },
  {
    operationId: "getIssue",
    status: 200,
    why: "with summary and latest event",
    request: () => ({ path: `/api/v1/issues/${ids.issue}` }),
  },
  {
    operationId: "getIssue",
    status: 200,
    why: "without stored events",
    request: () => ({ path: `/api/v1/issues/${ids.bare}` }),
  },
  {
    operationId: "getIssue",
    status: 401,
    why: "no token",
    request: () => ({ path: `/api/v1/issues/${ids.issue}`, token: null }),
  },
  {
    operationId: "getIssue",
    status: 403,
    why: "a token without read",
    request: () => ({ path: `/api/v1/issues/${ids.issue}`, token: tokens.writeOnly }),
  },
  {
    operationId: "getIssue",
    status: 404,
    why: "another organisation's issue",
    request: () => ({ path: `/api/v1/issues/${other.issueId}` }),
  },
  {
    operationId: "updateIssue",
    status: 200,
    why: "resolve",
    request: patchJson(() => ids.patchable, { status: "resolved" }),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 200,
    why: "ignore for 10 more events",
    request: patchJson(() => ids.patchable, { status: "ignored", ignoreMoreEvents: 10 }),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 400,
    why: "an unknown status",
    request: patchJson(() => ids.patchable, { status: "fixed" }),
    bodyValid: false,
  },
  {
    operationId: "updateIssue",
    status: 401,
    why: "no token",
    request: patchJson(
      () => ids.patchable,
      { status: "resolved" },
      () => null,
    ),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 403,
    why: "a read-only token",
    request: patchJson(
      () => ids.patchable,
      { status: "resolved" },
      () => tokens.readOnly,
    ),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 404,
    why: "another organisation's issue",
    request: patchJson(() => other.issueId, { status: "resolved" }),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 409,
    why: "next_release without any release",
    request: patchJson(() => ids.noRelease, { status: "resolved", resolution: "next_release" }),
    bodyValid: true,
  },
  {
    operationId: "updateIssue",
    status: 413,
    why: "a body over the limit",
    request: patchJson(() => ids.patchable, { status: "resolved", padding: "x".repeat(70_000) }),
    bodyValid: true,
  },
  {
    operationId: "listIssueEvents",
    status: 200,
    why: "newest first",
    request: () => ({ path: `/api/v1/issues/${ids.issue}/events?limit=2` }),
  },
  {
    operationId: "listIssueEvents",
    status: 400,
    why: "a bad cursor",
    request: () => ({ path: `/api/v1/issues/${ids.issue}/events?cursor=nope` }),
  },
  {
    operationId: "listIssueEvents",
    status: 401,
    why: "no token",
    request: () => ({ path: `/api/v1/issues/${ids.issue}/events`, token: null }),
  },
  {
    operationId: "listIssueEvents",
    status: 403,
    why: "a token without read",
    request: () => ({ path: `/api/v1/issues/${ids.issue}/events`, token: tokens.writeOnly }),
  },
  {
    operationId: "listIssueEvents",
    status: 404,
    why: "a malformed id",
    request: () => ({ path: "/api/v1/issues/not-a-uuid/events" }),
  },
  {
    operationId: "getOpenApiDocument",
    status: 200,
    why: "without a token",
    request: () => ({ path: "/api/v1/openapi.json", token: null }),
  },
];

/** What makes each operation fail with a 500: its data is unreadable (a table renamed away). */
const INTERNAL_ERROR_CASES: Case[] = [
  { operationId: "listProjects", status: 500, why: "", request: () => ({ path: "/api/v1/projects" }) },
  {
    operationId: "listIssues",
    status: 500,
    why: "",
    request: () => ({ path: "/api/v1/projects/default/issues" }),
  },
  { operationId: "getIssue", status: 500, why: "", request: () => ({ path: `/api/v1/issues/${ids.issue}` }) },
  {
    operationId: "updateIssue",
    status: 500,
    why: "",
    request: patchJson(() => ids.patchable, { status: "unresolved" }),
    bodyValid: true,
  },
  {
    operationId: "listIssueEvents",
    status: 500,
    why: "",
    request: () => ({ path: `/api/v1/issues/${ids.issue}/events` }),
  },
];

async function call(r: Request) {
  const headers = new Headers();
  const token = r.token === undefined ? t.boot.apiTokenValue : r.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (r.body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(`${t.base}${r.path}`, { method: r.method ?? "GET", headers, body: r.body });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

function operations(): Array<{ path: string; method: string; op: OperationObject }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op: op as OperationObject })),
  );
}

function operation(operationId: string) {
  const found = operations().find((o) => o.op.operationId === operationId);
  if (!found) throw new Error(`operation ${operationId} is not documented`);
  return found;
}

/** A validator for a schema of the document (component refs resolve against the served document). */
function validatorFor(s: JsonSchema): ValidateFunction {
  const v = s.$ref ? ajv.getSchema(`openapi.json${s.$ref}`) : ajv.compile(s);
  if (!v) throw new Error(`cannot resolve ${JSON.stringify(s)}`);
  return v;
}

function documentedResponse(operationId: string, status: number) {
  const response = operation(operationId).op.responses[String(status)];
  if (!response) throw new Error(`${operationId} does not document ${status}`);
  if ("$ref" in response) {
    const name = response.$ref.replace("#/components/responses/", "");
    return doc.components.responses[name]!;
  }
  return response;
}

function expectMatchesDocument(operationId: string, status: number, res: Awaited<ReturnType<typeof call>>) {
  const documented = documentedResponse(operationId, status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const validate = validatorFor(documented.content!["application/json"]!.schema);
  expect(validate(res.body), `${operationId} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  if (documented.headers?.["Cache-Control"]) expect(res.headers.get("cache-control")).toBe("no-store");
  for (const name of Object.keys(documented.headers ?? {})) expect(res.headers.has(name), name).toBe(true);
}

beforeAll(async () => {
  t = await startTestWeb();
  other = await seedOtherOrg(t.db);
  for (const [name, scopes] of [
    ["readOnly", ["read"]],
    ["writeOnly", ["write"]],
  ] as const) {
    const token = generateSecret("cw_at_");
    await t.db.insert(schema.apiTokens).values({
      orgId: t.boot.orgId,
      name,
      tokenHash: hashSecret(token),
      tokenHint: secretHint(token),
      scopes: [...scopes],
    });
    tokens[name] = token;
  }
  ids.issue = await seedIssue(t.db, t.boot.projectId, { title: "Contract issue" });
  await t.db
    .update(schema.issues)
    .set({ firstRelease: "1.4.1", lastRelease: "1.4.2", userCount: 3 })
    .where(eq(schema.issues.id, ids.issue));
  await seedSummary(t.db, ids.issue);
  await t.db
    .update(schema.summaries)
    .set({ title: "Session read before load", confidence: 0.8 })
    .where(eq(schema.summaries.issueId, ids.issue));
  for (let i = 0; i < 3; i++) {
    await seedEvent(t.db, t.boot.projectId, ids.issue, { timestamp: new Date(Date.now() - i * 1000) });
  }
  await seedEvent(t.db, t.boot.projectId, ids.issue, {
    traceId: null,
    spanId: null,
    stacktrace: null,
    frames: [],
  });
  ids.bare = await seedIssue(t.db, t.boot.projectId, { status: "regressed" });
  await seedSummary(t.db, ids.bare, { source: "heuristic", likelyCause: null, suggestedFix: null });
  ids.noRelease = await seedIssue(t.db, t.boot.projectId);
  ids.patchable = await seedIssue(t.db, t.boot.projectId);

  const first = await call({ path: "/api/v1/projects/default/issues?status=all&limit=2" });
  secondPageCursor = (first.body as { nextCursor: string }).nextCursor;

  const served = await call({ path: "/api/v1/openapi.json", token: null });
  expect(served.status).toBe(200);
  doc = served.body as OpenApiDocument;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc as object, "openapi.json");
});

afterAll(async () => {
  await t?.close();
});

describe("the document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has schemas that compile as strict JSON Schema 2020-12", () => {
    const strict = new Ajv2020({ strict: true, allowUnionTypes: true });
    addFormats(strict);
    strict.addKeyword("components");
    strict.addSchema({ components: { schemas: doc.components.schemas } }, "components.json");
    for (const name of Object.keys(doc.components.schemas)) {
      expect(
        () => strict.compile({ $ref: `components.json#/components/schemas/${name}` }),
        name,
      ).not.toThrow();
    }
  });

  it("is served publicly, uncached, with this deployment as its server", async () => {
    const res = await call({ path: "/api/v1/openapi.json", token: null });
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(doc.servers).toEqual([{ url: `http://localhost:${t.web.port}` }]);
    expect((await call({ path: "/api/v1/openapi.json", method: "POST", token: null })).status).toBe(405);
  });

  it("documents exactly the API routes of the route table", () => {
    const apiRoutes = (routes as Array<{ path?: string }>)
      .map((r) => r.path ?? "")
      .filter((p) => p.startsWith("api/v1/"))
      .map((p) => `/${p.replace(/:(\w+)/g, "{$1}")}`);
    expect(Object.keys(doc.paths).sort()).toEqual(apiRoutes.sort());
  });

  it("describes the bearer scheme, with the scope each operation needs", () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    for (const { method, op } of operations()) {
      if (op.operationId === "getOpenApiDocument") expect(op.security).toEqual([]);
      else expect(op.security).toEqual([{ bearerAuth: [method === "get" ? "read" : "write"] }]);
    }
  });

  it("has a request for every documented response, and documents every response the cases produce", () => {
    const documented = operations().flatMap(({ op }) =>
      Object.keys(op.responses).map((status) => `${op.operationId} ${status}`),
    );
    const exercised = [...CASES, ...INTERNAL_ERROR_CASES].map((c) => `${c.operationId} ${c.status}`);
    expect([...new Set(exercised)].sort()).toEqual([...new Set(documented)].sort());
  });
});

describe("real responses match the document", () => {
  it.each(CASES.map((c) => [`${c.operationId} ${c.status} (${c.why})`, c] as const))(
    "%s",
    async (_name, c) => {
      const request = c.request();
      if (c.bodyValid !== undefined) {
        const { op } = operation(c.operationId);
        const validate = validatorFor(op.requestBody!.content["application/json"]!.schema);
        expect(validate(JSON.parse(request.body!))).toBe(c.bodyValid);
      }
      const res = await call(request);
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(c.status);
      expectMatchesDocument(c.operationId, c.status, res);
    },
  );

  it("405 and unknown API paths use the documented error shape", async () => {
    const methodNotAllowed = doc.components.responses.MethodNotAllowed!;
    const validate = validatorFor(methodNotAllowed.content!["application/json"]!.schema);
    for (const r of [
      { path: "/api/v1/projects", method: "POST", body: "{}" },
      { path: `/api/v1/issues/${ids.issue}`, method: "PUT", body: "{}" },
      { path: `/api/v1/issues/${ids.issue}/events`, method: "DELETE" },
    ]) {
      const res = await call(r);
      expect(res.status).toBe(405);
      expect(validate(res.body)).toBe(true);
      expect(res.headers.get("allow")).toMatch(/GET/);
    }
    const notFound = validatorFor(doc.components.responses.NotFound!.content!["application/json"]!.schema);
    const res = await call({ path: "/api/v2/whatever" });
    expect(res.status).toBe(404);
    expect(notFound(res.body)).toBe(true);
  });

  it("500s too (the data unreadable)", async () => {
    await t.db.execute(sql`alter table projects rename to projects_unreadable`);
    try {
      for (const c of INTERNAL_ERROR_CASES) {
        const res = await call(c.request());
        expect(res.status, `${c.operationId}: ${JSON.stringify(res.body)}`).toBe(500);
        expect(res.body).toEqual({ error: { code: "internal_error", message: "Internal server error" } });
        expectMatchesDocument(c.operationId, 500, res);
      }
    } finally {
      await t.db.execute(sql`alter table projects_unreadable rename to projects`);
    }
    expect((await call({ path: "/api/v1/projects" })).status).toBe(200);
  });
});
