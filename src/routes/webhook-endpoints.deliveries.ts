// GET /webhook-endpoints/{id}/deliveries (API.md §12): the endpoint's delivery log, newest first,
// a page at a time behind an opaque cursor (the list's: MAC over the position, tenant and endpoint).
import { attemptsPage, type WebhookAttemptRow } from "../db/deliveries";
import { endpointOf } from "../db/webhooks";
import { readWithKey } from "../http/auth";
import { cursorPosition, decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest, notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { INVALID_CURSOR } from "../schemas/list-query";
import { deliveriesQuery, deliveryListResponse, endpointIdParams } from "../schemas/webhooks";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const cursorRefused = () => badRequest("Invalid query parameters", [{ pointer: "/cursor", code: "invalid_value", detail: INVALID_CURSOR }]);

export default operation({
  method: "GET",
  path: "/webhook-endpoints/{id}/deliveries",
  permissions: ["webhooks:manage"],
  params: endpointIdParams,
  query: deliveriesQuery,
  async handler(request, { params, query }) {
    const after = query.cursor === undefined ? null : cursorPosition(query.cursor);
    if (query.cursor !== undefined && !after) throw cursorRefused();
    const [endpoint, rows] = await readWithKey(request, {
      statements: [endpointOf(request.db, request.tenant, params.id), attemptsPage(request.db, request.tenant, params.id, query.limit, after)],
      parse: ([endpoints, attempts]) => [(endpoints as unknown[])[0], attempts as WebhookAttemptRow[]] as const,
    });
    if (!endpoint) throw notFound("No such webhook endpoint");
    const scope = { tenantId: request.tenantId, externalId: `deliveries:${params.id}` };
    if (query.cursor !== undefined && !(await decodeCursor(query.cursor, scope))) throw cursorRefused();
    const hasMore = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return json({
      data: page.map(({ id, eventId, attempt, attemptedAt, statusCode, durationMs, error, nextRetryAt, deadLettered }) => ({
        id,
        eventId,
        attempt,
        attemptedAt,
        statusCode,
        durationMs,
        error,
        nextRetryAt,
        deadLettered,
      })),
      pagination: { hasMore, nextCursor: hasMore && last ? await encodeCursor({ createdAt: last.attemptedAt, id: last.id }, scope) : null },
    });
  },
  doc: {
    operationId: "listWebhookDeliveries",
    summary: "List an endpoint's delivery attempts",
    description:
      "Every HTTP attempt to deliver an event to the endpoint, newest first: the event, the status code, how long it took, " +
      "why it failed and when it is tried again (API.md §12).",
    response: { description: "A page of attempts.", schema: deliveryListResponse },
    errors: { BAD_REQUEST: `A malformed id, invalid query parameters, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS, NOT_FOUND: "No such endpoint for this tenant." },
  },
});
