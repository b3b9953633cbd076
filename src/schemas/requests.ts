// The request bodies and headers of the two write endpoints.
import * as z from "zod";
import { addressItem } from "./address";
import { bankAccountItem } from "./bank-account";
import { clientInput, newClientInput } from "./client";
import { uuid } from "./common";
import { contactMethodItem } from "./contact-method";
import { documentItem } from "./document";
import { withFastPath } from "./fast-path";
import { linkItem } from "./link";

export const MAX_ITEMS = 250;

/**
 * The body of POST /clients/batch, for the document: the batch reads its body item by item (with
 * atomic: false an invalid item is reported inside a 200), with the same rules.
 */
export const batchRequest = z
  .strictObject({
    items: z.array(newClientInput).min(1).max(MAX_ITEMS),
    atomic: z.boolean().optional().describe("All or nothing (the default), or create the valid items and report the others"),
  })
  .meta({ id: "BatchRequest", description: "Creates 1–250 clients (API.md §5). `atomic` defaults to true: all or nothing." });

export type BatchRequest = z.infer<typeof batchRequest>;

export const syncRequest = z
  .strictObject({
    clientId: uuid.optional(),
    client: clientInput.optional(),
    addresses: z.array(addressItem).max(MAX_ITEMS).optional(),
    contactMethods: z.array(contactMethodItem).max(MAX_ITEMS).optional(),
    bankAccounts: z.array(bankAccountItem).max(MAX_ITEMS).optional(),
    documents: z.array(documentItem).max(MAX_ITEMS).optional(),
    linkedClients: z.array(linkItem).max(MAX_ITEMS).optional(),
    replaceMode: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .meta({
    id: "SyncRequest",
    description:
      "Makes one client graph match the caller's view (API.md §6): the client `clientId` names, else the one whose externalId " +
      "is `client.externalId`, else a new one (then `client.type` and `client.name` are required). Every list holds at most 250 items.",
    // Checked by the sync on the whole request: without clientId, client is required. (As if/then,
    // which generated clients and the reference page leave the object's type and fields to; an
    // anyOf of `required` lists reads to them as alternatives of unknown type.)
    if: { not: { required: ["clientId"] } },
    then: { required: ["client"] },
  });

export type SyncRequest = z.infer<typeof syncRequest>;

/** POST /clients/sync's body, validated: what `syncRequest.safeParse` says (accepted by the fast path when it can). */
export const parseSyncRequest = withFastPath(syncRequest);

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .meta({ pattern: "\\S" })
  .optional()
  .describe(
    "1–255 characters. The first successful answer is stored with the writes it describes (per tenant and environment, " +
      "at least 24 h) and replayed byte for byte, with `Idempotent-Replayed: true`, to a retry with the same body. The same " +
      "key with another body is a 422. A failed request stores nothing and may be retried.",
  );

export const onBehalfOfHeader = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe(
    "1–255 characters: the caller's own user the change is made for (e.g. the analyst). Recorded in the `actor` of every " +
      "history entry the request appends (API.md §11), with the API key's prefix and name. Another length is a 400.",
  );

export const ifMatchHeader = z
  .string()
  .min(1)
  .meta({ pattern: "\\S" })
  .optional()
  .describe(
    'Makes the sync conditional on the client\'s current ETag (`"<etag>"` as returned by GET or sync, a comma-separated list of ' +
      "them, or `*`): 412 otherwise. Empty: 400 (`errors` points at `/headers/if-match`).",
  );
