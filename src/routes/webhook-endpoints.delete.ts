// DELETE /webhook-endpoints/{id} (API.md §12): no event is sent to it any more; its pending
// deliveries are cancelled by the consumer when it meets them. Its delivery log stays.
import { deleteEndpoint } from "../db/webhooks";
import { readWithKey } from "../http/auth";
import { notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { endpointDeleteResponse, endpointIdParams } from "../schemas/webhooks";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "DELETE",
  path: "/webhook-endpoints/{id}",
  permissions: ["webhooks:manage"],
  params: endpointIdParams,
  async handler(request, { params }) {
    // One round trip: the DELETE is scoped by the key row's tenant, so a refused key deletes nothing.
    const deleted = await readWithKey(request, {
      statements: [deleteEndpoint(request.db, request.tenant, params.id)],
      parse: ([rows]) => rows as { id: string }[],
    });
    if (deleted.length === 0) throw notFound("No such webhook endpoint");
    return json({ id: params.id, deleted: true });
  },
  doc: {
    operationId: "deleteWebhookEndpoint",
    summary: "Delete a webhook endpoint",
    description: "Deletes the endpoint: no event is sent to it any more, including retries. Its delivery log is kept (API.md §12).",
    response: { description: "The endpoint was deleted.", schema: endpointDeleteResponse },
    errors: { BAD_REQUEST: `A malformed id, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS, NOT_FOUND: "No such endpoint for this tenant." },
  },
});
