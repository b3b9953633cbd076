// GET /webhook-endpoints (API.md §12): the tenant's endpoints, without their secrets.
import { endpointsOf, type WebhookEndpointRow } from "../db/webhooks";
import { readWithKey } from "../http/auth";
import { json } from "../http/pipeline";
import { endpointListResponse } from "../schemas/webhooks";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/webhook-endpoints",
  permissions: ["webhooks:manage"],
  async handler(request) {
    const rows = await readWithKey(request, {
      statements: [endpointsOf(request.db, request.tenant)],
      parse: ([rows]) => rows as WebhookEndpointRow[],
    });
    return json({ data: rows.map(({ id, url, description, events, createdAt }) => ({ id, url, description, events, createdAt })) });
  },
  doc: {
    operationId: "listWebhookEndpoints",
    summary: "List webhook endpoints",
    description: "The tenant's endpoints in this environment, oldest first; their secrets are not shown (API.md §12).",
    response: { description: "The endpoints.", schema: endpointListResponse },
    errors: { BAD_REQUEST: `An unknown query parameter, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS },
  },
});
