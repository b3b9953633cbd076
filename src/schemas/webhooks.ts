// Webhook endpoints, their delivery log and the event payload (API.md §12), as zod schemas: requests
// are validated with them, and the OpenAPI document shows them.
import * as z from "zod";
import { isUuid } from "../ids";
import { text, uniqueList } from "./common";
import { listQuery } from "./list-query";

export const EVENT_TYPES = ["client.created", "client.updated", "client.deleted"] as const;

const id = z.uuid().describe("Server-generated UUID");
const timestamp = z.iso.datetime({ precision: 3 }).describe("ISO 8601 UTC with milliseconds");
const eventType = z.enum(EVENT_TYPES);

/** The body of POST /webhook-endpoints. Whether `url` is allowed depends on the environment (events/url-policy.ts). */
export const createEndpointRequest = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .max(2048)
      // An absolute URL (src/events/url-policy.ts says which ones each environment takes).
      .meta({ format: "uri" })
      .describe("Where events are POSTed. In `live`: https, to a public host (no private, loopback or link-local address, in any notation; no localhost). In `test` also http, any host."),
    description: text(255).nullable().optional().describe("Free text for the tenant's own use"),
    events: uniqueList(eventType, EVENT_TYPES.length).min(1).optional().describe("The event types it receives (default: all)"),
  })
  .meta({ id: "CreateWebhookEndpoint" });

const endpointFields = {
  id,
  url: z.string().meta({ format: "uri" }),
  description: z.string().nullable(),
  events: z.array(eventType),
  createdAt: timestamp,
};

export const endpointResponse = z
  .strictObject(endpointFields)
  .meta({ id: "WebhookEndpoint", description: "A webhook endpoint (its secret is shown only when it is created)." });

export const createdEndpointResponse = z
  .strictObject({
    ...endpointFields,
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
      .describe("The Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. Shown only in this answer."),
  })
  .meta({ id: "CreatedWebhookEndpoint", description: "The new endpoint, with its signing secret (shown only here)." });

export const endpointListResponse = z
  .strictObject({ data: z.array(endpointResponse) })
  .meta({ id: "WebhookEndpointList", description: "The tenant's endpoints in this environment, oldest first." });

export const endpointDeleteResponse = z
  .strictObject({ id, deleted: z.literal(true) })
  .meta({ id: "WebhookEndpointDeleted", description: "The endpoint was deleted: no event is sent to it any more." });

export const endpointIdParams = z.strictObject({
  id: z
    .string()
    .refine(isUuid, { error: "Malformed endpoint id in the path: ids are UUIDs" })
    .meta({ format: "uuid" })
    .transform((value) => value.toLowerCase())
    .describe("The endpoint's id. A malformed id is a 400; an unknown id, or another tenant's, a 404."),
});

export const eventIdParams = z.strictObject({
  id: z
    .string()
    .refine(isUuid, { error: "Malformed event id in the path: ids are UUIDs" })
    .meta({ format: "uuid" })
    .transform((value) => value.toLowerCase())
    .describe("The event's id (its `webhook-id`). A malformed id is a 400; an unknown id, or another tenant's, a 404."),
});

export const deliveriesQuery = listQuery.omit({ externalId: true });

export const deliveryAttemptResponse = z
  .strictObject({
    id,
    eventId: id,
    attempt: z.int().min(1).nullable().describe("1, 2, 3… per delivery; null for a redelivery on request"),
    attemptedAt: timestamp,
    statusCode: z.int().nullable().describe("The receiver's HTTP status; null after a timeout, a network error or a refused attempt"),
    durationMs: z.int().min(0),
    error: z
      .string()
      .nullable()
      .describe(
        "Why the attempt failed (non-2xx status, timeout, network error), or why it was refused without a request, starting with `refused: ` (in live, e.g. `refused: host resolves to a private address (10.0.0.5)`, or the host could not be resolved to check it); null on success",
      ),
    nextRetryAt: timestamp.nullable().describe("When the event is tried again; null after a success, a redelivery or the last attempt"),
    deadLettered: z.boolean().describe("This was the last attempt: the event is not tried again (POST /events/{id}/redeliver can send it)"),
  })
  .meta({ id: "DeliveryAttempt", description: "One HTTP attempt of one event at the endpoint." });

export const deliveryListResponse = z
  .strictObject({
    data: z.array(deliveryAttemptResponse),
    pagination: z.strictObject({
      hasMore: z.boolean(),
      nextCursor: z.string().nullable().describe("Opaque; pass it back as `cursor` for the next page"),
    }),
  })
  .meta({ id: "DeliveryAttemptList", description: "The endpoint's delivery attempts, newest first." });

export const redeliverRequest = z
  .strictObject({ endpointId: z.string().refine(isUuid, { error: "Must be a UUID" }).meta({ format: "uuid" }).transform((s) => s.toLowerCase()) })
  .meta({ id: "RedeliverEvent" });

export const redeliverResponse = z
  .strictObject({ eventId: id, endpointId: id, queued: z.literal(true) })
  .meta({ id: "RedeliveryQueued", description: "One more attempt of the event at the endpoint is queued; its outcome appears in the endpoint's deliveries." });
