// POST /clients/sync (API.md §6): the handler (src/write/sync.ts) reads and validates the body
// itself, reporting shape problems together with the rules that need the stored client.
import * as z from "zod";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";
import { idempotencyKeyHeader, ifMatchHeader, onBehalfOfHeader, syncRequest } from "../schemas/requests";
import { etagHeader, replayedHeader, syncResponse } from "../schemas/responses";
import { syncClient } from "../write/sync";

export default operation({
  method: "POST",
  path: "/clients/sync",
  permissions: ["clients:create", "clients:update"],
  handler: (request) => syncClient(request),
  doc: {
    operationId: "syncClient",
    summary: "Sync a client graph",
    description:
      "Makes one client graph match the caller's view, in one transaction (API.md §6). The client is `clientId`'s, or the one " +
      "whose `externalId` matches `client.externalId`, or a new one. Items match children by `id`, then `externalId`; " +
      "unmatched items create children, `_delete: true` deletes, and `replaceMode: true` deletes the children (of the lists " +
      "present) that no item targeted. Unchanged items write nothing. `dryRun: true` answers the same without writing.",
    headers: z.object({ "If-Match": ifMatchHeader, "Idempotency-Key": idempotencyKeyHeader, "X-On-Behalf-Of": onBehalfOfHeader }),
    body: syncRequest,
    response: {
      description: "What the sync did to the graph.",
      schema: syncResponse,
      headers: z.object({ ETag: etagHeader, "Idempotent-Replayed": replayedHeader }),
    },
    errors: {
      BAD_REQUEST: `Malformed JSON, a body that failed validation (\`errors\` lists every issue), an empty If-Match, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "`clientId`, an item's `id`, or a linked `clientId` does not exist for this tenant (the pointer says which).",
      CONFLICT: "An externalId belongs to another client or to another client's child, or the client kept changing concurrently.",
      PRECONDITION_FAILED: "If-Match did not match the client's current ETag.",
      UNPROCESSABLE_CONTENT: "The Idempotency-Key was already used with a different request body.",
      ...BODY_ERRORS,
    },
  },
});
