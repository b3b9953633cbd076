// GET /openapi.json: the OpenAPI 3.1 document (src/openapi/document.ts), with this origin as server.
import { json } from "../http/pipeline";
import { openApiDocument } from "../openapi/document";
import { operation } from "./operation";

export default operation({
  method: "GET",
  path: "/openapi.json",
  handler: (request) => json(openApiDocument(request.origin), { headers: { "cache-control": "no-cache" } }),
});
