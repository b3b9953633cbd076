// POST /events/{id}/redeliver (API.md §12): one more attempt of an event at one of the tenant's
// endpoints, queued; it appears in the endpoint's delivery log. Outside the retry schedule and the
// per-client order: it is the operator's explicit request (e.g. after a dead-letter).
import { tenantEvent } from "../db/outbox";
import { endpointOf } from "../db/webhooks";
import { readWithKey } from "../http/auth";
import { readJsonBody, withInexact } from "../http/body";
import { ApiError, notFound, VALIDATION_DETAIL } from "../http/errors";
import { json } from "../http/pipeline";
import { fieldErrors } from "../schemas/common";
import { eventIdParams, redeliverRequest, redeliverResponse } from "../schemas/webhooks";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "POST",
  path: "/events/{id}/redeliver",
  permissions: ["webhooks:manage"],
  params: eventIdParams,
  async handler(request, { params }, env) {
    const { value, inexact } = await readJsonBody(request);
    const parsed = redeliverRequest.safeParse(value);
    if (!parsed.success || inexact.length > 0) {
      throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, parsed.success ? [] : fieldErrors(parsed.error)));
    }
    const { endpointId } = parsed.data;
    const [event, endpoint] = await readWithKey(request, {
      statements: [tenantEvent(request.db, request.tenant, params.id), endpointOf(request.db, request.tenant, endpointId)],
      parse: ([events, endpoints]) => [(events as unknown[])[0], (endpoints as unknown[])[0]] as const,
    });
    if (!event) throw notFound("No such event");
    if (!endpoint) throw notFound("No such webhook endpoint", [{ pointer: "/endpointId", code: "not_found", detail: "No such webhook endpoint" }]);
    await env.EVENTS_QUEUE.send({ kind: "redeliver", environment: request.environment, shard: request.shard, endpointId, eventId: params.id }, { contentType: "json" });
    return json({ eventId: params.id, endpointId, queued: true });
  },
  doc: {
    operationId: "redeliverEvent",
    summary: "Send an event again",
    description:
      "Queues one more attempt of the event at the endpoint, whatever happened before (delivered, retrying or dead-lettered). " +
      "Its outcome appears in the endpoint's deliveries; it is not retried (API.md §12).",
    body: redeliverRequest,
    response: { description: "The attempt is queued.", schema: redeliverResponse },
    errors: {
      BAD_REQUEST: `Malformed JSON, a body that failed validation, a malformed event id, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "No such event, or no such endpoint, for this tenant.",
      ...BODY_ERRORS,
    },
  },
});
