// GET /openapi.json: the OpenAPI 3.1 document (src/openapi/document.ts), with this origin as server.
import type { ApiRequest } from "../http/context";
import { json } from "../http/pipeline";
import { openApiDocument } from "../openapi/document";

export function getOpenApi(request: ApiRequest) {
  return json(openApiDocument(request.origin), { headers: { "cache-control": "no-cache" } });
}
