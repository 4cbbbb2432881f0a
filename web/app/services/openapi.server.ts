import type { StackFrame } from "@codewarden/drizzle";
import {
  ISSUE_STATUS_FILTERS,
  ISSUE_STATUSES,
  RESOLUTIONS,
  SETTABLE_ISSUE_STATUSES,
} from "@codewarden/drizzle";
import { API_ERROR_CODES, MAX_JSON_BODY_BYTES } from "./api.server";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./pagination.server";
import type { EventJson, IssueJson, SummaryJson } from "./serialize.server";

/**
 * The OpenAPI 3.1 description of the REST API, served at GET /api/v1/openapi.json. The object
 * schemas are typed against the serializers (a field added to `IssueJson` fails the typecheck
 * until it is described here), and web/test/openapi.int.test.ts validates real responses of
 * every operation against this document.
 */

type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";

/** The JSON Schema 2020-12 subset this document uses. */
export interface JsonSchema {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: ReadonlyArray<string | number | null>;
  const?: string | number | boolean | null;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: string | number | boolean | null;
  anyOf?: JsonSchema[];
  examples?: unknown[];
}

export interface ParameterObject {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface HeaderObject {
  description?: string;
  schema: JsonSchema;
}

export interface Reference {
  $ref: string;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: Array<ParameterObject | Reference>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, ResponseObject | Reference>;
  security?: Array<Record<string, string[]>>;
}

export type HttpMethod = "get" | "patch";

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  jsonSchemaDialect: string;
  tags: Array<{ name: string; description: string }>;
  security: Array<Record<string, string[]>>;
  paths: Record<string, Partial<Record<HttpMethod, OperationObject>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    responses: Record<string, ResponseObject>;
    securitySchemes: Record<string, { type: "http"; scheme: "bearer"; description: string }>;
  };
}

const ref = (kind: "schemas" | "parameters" | "responses" | "headers", name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
const nullableString = (description?: string): JsonSchema => ({ type: ["string", "null"], description });
const dateTime = (description: string): JsonSchema => ({ type: "string", format: "date-time", description });

/** An object schema whose properties are exactly the keys of `T` (checked by the compiler), all required. */
function objectSchema<T>(
  description: string,
  properties: { [K in keyof Required<T>]: JsonSchema },
): JsonSchema {
  return {
    type: "object",
    description,
    additionalProperties: false,
    required: Object.keys(properties),
    properties: properties as Record<string, JsonSchema>,
  };
}

const summarySchema = objectSchema<SummaryJson>("One summary per issue: written by an LLM, or a heuristic.", {
  source: { type: "string", enum: ["llm", "heuristic"] },
  title: nullableString("Short title (LLM summaries; null otherwise)."),
  text: { type: "string" },
  likelyCause: nullableString(),
  suggestedFix: nullableString(),
  confidence: {
    type: ["number", "null"],
    minimum: 0,
    maximum: 1,
    description: "The model's confidence in the likely cause, 0..1 (LLM summaries; null otherwise).",
  },
});

const issueProperties: { [K in keyof IssueJson]: JsonSchema } = {
  id: { type: "string", format: "uuid" },
  title: { type: "string" },
  exceptionType: { type: "string" },
  message: { type: "string" },
  culprit: nullableString("Where it happened: the top in-app frame."),
  status: {
    type: "string",
    enum: ISSUE_STATUSES,
    description: "`regressed`: a resolved issue that happened again (set by CodeWarden, not by clients).",
  },
  eventCount: {
    type: "integer",
    minimum: 0,
    description: "Every event, including those whose bodies were not kept.",
  },
  firstSeen: dateTime("First event."),
  lastSeen: dateTime("Latest event."),
  services: { type: "array", items: { type: "string" }, description: "`service.name` values seen." },
  environments: {
    type: "array",
    items: { type: "string" },
    description: "`deployment.environment.name` values seen.",
  },
  userCount: {
    type: "integer",
    minimum: 0,
    description: "Distinct affected users (`user.id` / `enduser.id`).",
  },
  firstRelease: nullableString("`service.version` of the first event that named one."),
  lastRelease: nullableString("`service.version` of the latest event that named one."),
  resolution: {
    type: ["string", "null"],
    enum: [...RESOLUTIONS, null],
    description:
      "Resolved issues: `now`, or `next_release` (events of `resolvedInRelease` do not reopen it).",
  },
  resolvedInRelease: nullableString(),
  ignoreUntilCount: {
    type: ["integer", "null"],
    description: "Ignored issues: they come back unresolved when `eventCount` reaches this.",
  },
  summary: nullable(ref("schemas", "Summary")),
};

const frameSchema = objectSchema<StackFrame>("A parsed stack frame, innermost first.", {
  function: nullableString(),
  module: nullableString(),
  file: nullableString(),
  line: { type: ["integer", "null"] },
  column: { type: ["integer", "null"] },
  inApp: { type: "boolean", description: "The project's own code (not a library or the runtime)." },
});

const eventSchema = objectSchema<EventJson>("One occurrence of an issue.", {
  id: { type: "string", format: "uuid" },
  timestamp: dateTime("When it happened."),
  traceId: { type: ["string", "null"], pattern: "^[0-9a-f]{32}$" },
  spanId: { type: ["string", "null"], pattern: "^[0-9a-f]{16}$" },
  serviceName: nullableString(),
  serviceVersion: nullableString(),
  environment: nullableString(),
  exceptionType: { type: "string" },
  message: { type: "string" },
  stacktrace: nullableString("The stack trace as the SDK sent it (scrubbed)."),
  frames: { type: "array", items: ref("schemas", "StackFrame") },
});

const nextCursor: JsonSchema = {
  type: ["string", "null"],
  description: "Pass as `cursor` for the next page; null on the last page.",
};

const errorSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: API_ERROR_CODES },
        message: { type: "string", description: "For people; may change." },
      },
    },
  },
};

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const noStore = { "Cache-Control": ref("headers", "CacheControl") };

const errorResponse = (description: string, headers: Record<string, HeaderObject> = {}): ResponseObject => ({
  description,
  headers: { ...noStore, ...headers },
  content: json(ref("schemas", "Error")),
});

const ok = (description: string, schema: JsonSchema): ResponseObject => ({
  description,
  headers: noStore,
  content: json(schema),
});

const errors = (...names: string[]) =>
  Object.fromEntries(names.map((name) => [ERROR_STATUS[name]!, ref("responses", name)]));

const ERROR_STATUS: Record<string, string> = {
  BadRequest: "400",
  Unauthorized: "401",
  Forbidden: "403",
  NotFound: "404",
  Conflict: "409",
  PayloadTooLarge: "413",
  InternalError: "500",
};

const read = [{ bearerAuth: ["read"] }];

/** The document, with `serverUrl` (the public URL of this deployment) as its server. */
export function openApiDocument(opts: { serverUrl: string }): OpenApiDocument {
  return {
    openapi: "3.1.0",
    info: {
      title: "CodeWarden REST API",
      version: "1",
      description: [
        "Issues grouped from OpenTelemetry exceptions, with their events and summaries.",
        "",
        "Authenticate with `Authorization: Bearer <api token>`. Tokens belong to one organisation and",
        "carry scopes: `read` for GET, `write` for PATCH. Another organisation's objects answer 404.",
        "Times are ISO-8601 (UTC). Lists are newest first and paged with an opaque `cursor`.",
        "Every failure is `{ error: { code, message } }`; methods an endpoint does not support answer",
        "405 `method_not_allowed` with an `Allow` header, unknown /api paths 404, a malformed URL 400.",
        "Nothing is cacheable (`Cache-Control: no-store`).",
      ].join("\n"),
    },
    servers: [{ url: opts.serverUrl }],
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    tags: [
      { name: "projects", description: "Projects of the token's organisation" },
      { name: "issues", description: "Grouped errors and their events" },
      { name: "meta", description: "This document" },
    ],
    security: read,
    paths: {
      "/api/v1/projects": {
        get: {
          operationId: "listProjects",
          summary: "List the organisation's projects",
          tags: ["projects"],
          security: read,
          responses: {
            "200": ok("The projects", ref("schemas", "ProjectList")),
            ...errors("Unauthorized", "Forbidden", "InternalError"),
          },
        },
      },
      "/api/v1/projects/{slug}/issues": {
        get: {
          operationId: "listIssues",
          summary: "List a project's issues, most recently seen first",
          tags: ["issues"],
          security: read,
          parameters: [
            ref("parameters", "ProjectSlug"),
            {
              name: "status",
              in: "query",
              description: "`unresolved` includes regressed issues.",
              schema: { type: "string", enum: ISSUE_STATUS_FILTERS, default: "unresolved" },
            },
            ref("parameters", "Limit"),
            ref("parameters", "Cursor"),
          ],
          responses: {
            "200": ok("A page of issues", ref("schemas", "IssueList")),
            ...errors("BadRequest", "Unauthorized", "Forbidden", "NotFound", "InternalError"),
          },
        },
      },
      "/api/v1/issues/{id}": {
        get: {
          operationId: "getIssue",
          summary: "Get an issue with its latest stored event",
          tags: ["issues"],
          security: read,
          parameters: [ref("parameters", "IssueId")],
          responses: {
            "200": ok("The issue", ref("schemas", "IssueDetail")),
            ...errors("Unauthorized", "Forbidden", "NotFound", "InternalError"),
          },
        },
        patch: {
          operationId: "updateIssue",
          summary: "Resolve, ignore or reopen an issue",
          description:
            "Audit-logged with the token. `resolution: next_release` (with `resolved`) keeps events of the issue's current `lastRelease` from reopening it; 409 `no_release` when no event named a release. `ignoreMoreEvents` (with `ignored`) brings it back after that many more events.",
          tags: ["issues"],
          security: [{ bearerAuth: ["write"] }],
          parameters: [ref("parameters", "IssueId")],
          requestBody: { required: true, content: json(ref("schemas", "IssueUpdate")) },
          responses: {
            "200": ok("The updated issue", ref("schemas", "Issue")),
            ...errors(
              "BadRequest",
              "Unauthorized",
              "Forbidden",
              "NotFound",
              "Conflict",
              "PayloadTooLarge",
              "InternalError",
            ),
          },
        },
      },
      "/api/v1/issues/{id}/events": {
        get: {
          operationId: "listIssueEvents",
          summary: "List an issue's stored events, newest first",
          description:
            "Event bodies are kept up to a per-issue hourly cap and a retention period; `eventCount` counts every event.",
          tags: ["issues"],
          security: read,
          parameters: [ref("parameters", "IssueId"), ref("parameters", "Limit"), ref("parameters", "Cursor")],
          responses: {
            "200": ok("A page of events", ref("schemas", "EventList")),
            ...errors("BadRequest", "Unauthorized", "Forbidden", "NotFound", "InternalError"),
          },
        },
      },
      "/api/v1/openapi.json": {
        get: {
          operationId: "getOpenApiDocument",
          summary: "This OpenAPI document",
          tags: ["meta"],
          security: [],
          responses: {
            "200": ok("The document", { type: "object", required: ["openapi", "paths"] }),
          },
        },
      },
    },
    components: {
      schemas: {
        Error: errorSchema,
        Project: objectSchema<{ slug: string; name: string }>("A project of the organisation.", {
          slug: { type: "string" },
          name: { type: "string" },
        }),
        ProjectList: objectSchema<{ projects: unknown }>("The organisation's projects.", {
          projects: { type: "array", items: ref("schemas", "Project") },
        }),
        Summary: summarySchema,
        Issue: objectSchema<IssueJson>("A group of events with the same fingerprint.", issueProperties),
        IssueDetail: objectSchema<IssueJson & { latestEvent: unknown }>(
          "An issue with its latest stored event.",
          {
            ...issueProperties,
            latestEvent: nullable(ref("schemas", "Event")),
          },
        ),
        IssueList: objectSchema<{ issues: unknown; nextCursor: unknown }>("A page of issues.", {
          issues: { type: "array", items: ref("schemas", "Issue") },
          nextCursor,
        }),
        StackFrame: frameSchema,
        Event: eventSchema,
        EventList: objectSchema<{ events: unknown; nextCursor: unknown }>("A page of events.", {
          events: { type: "array", items: ref("schemas", "Event") },
          nextCursor,
        }),
        IssueUpdate: {
          type: "object",
          description: "Unknown properties are ignored.",
          required: ["status"],
          properties: {
            status: { type: "string", enum: SETTABLE_ISSUE_STATUSES },
            resolution: {
              type: "string",
              enum: RESOLUTIONS,
              description: "Only with `status: resolved`; default `now`.",
            },
            ignoreMoreEvents: {
              type: "integer",
              minimum: 1,
              maximum: 1_000_000_000,
              description: "Only with `status: ignored`; default: ignored until changed.",
            },
          },
        },
      },
      parameters: {
        ProjectSlug: { name: "slug", in: "path", required: true, schema: { type: "string", maxLength: 200 } },
        IssueId: {
          name: "id",
          in: "path",
          required: true,
          description: "Malformed ids answer 404, like unknown ones.",
          schema: { type: "string", format: "uuid" },
        },
        Limit: {
          name: "limit",
          in: "query",
          description: `Page size; values above ${MAX_PAGE_SIZE} are capped.`,
          schema: { type: "integer", minimum: 1, default: DEFAULT_PAGE_SIZE },
        },
        Cursor: {
          name: "cursor",
          in: "query",
          description: "`nextCursor` of the previous page.",
          schema: { type: "string" },
        },
      },
      headers: {
        CacheControl: {
          description: "API responses are never cached.",
          schema: { type: "string", const: "no-store" },
        },
      },
      responses: {
        BadRequest: errorResponse("`bad_request`: a malformed parameter or body (the message names it)."),
        Unauthorized: errorResponse("`unauthorized`: no API token, or an unknown or revoked one.", {
          "WWW-Authenticate": { schema: { type: "string" } },
        }),
        Forbidden: errorResponse("`forbidden`: the token lacks the operation's scope."),
        NotFound: errorResponse("`not_found`: no such object in the token's organisation."),
        MethodNotAllowed: errorResponse("`method_not_allowed`: the path does not support the method.", {
          Allow: { schema: { type: "string" } },
        }),
        Conflict: errorResponse(
          "`no_release`: `next_release` asked for an issue whose events never named a release.",
        ),
        PayloadTooLarge: errorResponse(`\`payload_too_large\`: a body over ${MAX_JSON_BODY_BYTES} bytes.`),
        InternalError: errorResponse("`internal_error`: an unexpected failure (logged on the server)."),
      },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "An API token (`cw_at_…`). Scopes: `read` (GET) and `write` (PATCH).",
        },
      },
    },
  };
}
