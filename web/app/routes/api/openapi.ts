import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler, apiJson, methodNotAllowed } from "../../services/api.server";
import { openApiDocument } from "../../services/openapi.server";

/** GET /api/v1/openapi.json → the OpenAPI 3.1 description of the REST API (public: no token needed). */
export const loader = apiHandler(({ context }: LoaderFunctionArgs) =>
  apiJson(openApiDocument({ serverUrl: context.config.publicUrl }), {
    // Readable by API tools on other origins (it holds nothing secret).
    headers: { "Access-Control-Allow-Origin": "*" },
  }),
);

export const action = () => methodNotAllowed(["GET"]);
