// The body POSTed to a webhook endpoint (API.md §12), for the OpenAPI document: kept apart from
// schemas/webhooks.ts so that the Worker's bundle carries it only where the document uses it
// (a top-level zod schema is never tree-shaken).
import * as z from "zod";
import { historyEntryResponse } from "./history";
import { EVENT_TYPES } from "./webhooks";

const id = z.uuid().describe("Server-generated UUID");
const timestamp = z.iso.datetime({ precision: 3 }).describe("ISO 8601 UTC with milliseconds");

export const webhookEventSchema = z
  .strictObject({
    id: id.describe("The event id: the `webhook-id` header, the same on every attempt (deduplicate on it)"),
    type: z.enum(EVENT_TYPES),
    createdAt: timestamp.describe("The entry's `at`"),
    data: historyEntryResponse.describe("The history entry (API.md §11): exactly what GET /clients/{id}/history lists"),
  })
  .meta({
    id: "WebhookEvent",
    description:
      "The body POSTed to an endpoint, with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` keyed with the base64-decoded part of the secret after `whsec_`). A 2xx within 10 s is success; anything else is retried with growing delays for about 28 h, then dead-lettered. Events of one client arrive in `sequence` order per endpoint; delivery is at least once.",
  });
