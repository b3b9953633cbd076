// GET /openapi.json: the OpenAPI 3.1 document (src/openapi/document.ts) with this origin as server.
// It is built with the Worker, not by it (scripts/docs-assets.mjs writes public/openapi.json), so
// that the document generator (zod-openapi, the examples) stays out of the Worker's bundle.
import { SERVER_URL_PLACEHOLDER } from "../openapi/placeholder";
import { JSON_CONTENT_TYPE } from "../http/pipeline";
import { asset } from "./docs";
import { operation } from "./operation";

export default operation({
  method: "GET",
  path: "/openapi.json",
  async handler(request, _input, env) {
    const built = await (await asset(request, env, "/openapi.json")).text();
    const served = built.replace(JSON.stringify(SERVER_URL_PLACEHOLDER), JSON.stringify(request.origin));
    return new Response(served, { headers: { "content-type": JSON_CONTENT_TYPE, "cache-control": "no-cache" } });
  },
});
