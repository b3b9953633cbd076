// POST /clients/batch (API.md §5): the handler (src/write/batch.ts) reads and validates the body
// itself, since with atomic: false an invalid item is reported inside a 200.
import * as z from "zod";
import { ENVIRONMENT_PROBLEM, BODY_ERRORS, KEY_ERRORS, operation } from "./operation";
import { batchRequest, idempotencyKeyHeader, onBehalfOfHeader } from "../schemas/requests";
import { batchResponse, replayedHeader } from "../schemas/responses";
import { createClients } from "../write/batch";

export default operation({
  method: "POST",
  path: "/clients/batch",
  permissions: ["clients:create"],
  handler: (request) => createClients(request),
  doc: {
    operationId: "createClients",
    summary: "Create clients in a batch",
    description:
      "Creates 1–250 clients in one transaction (API.md §5). Every item is validated first; errors point into " +
      "`/items/<index>/…`. An `externalId` that exists already, or appears twice in the body, is a conflict for that item. " +
      "With `atomic: true` (the default) any failing item fails the whole call (400, or 409 for conflicts only) and nothing " +
      "is written; with `atomic: false` the valid items are created and the others reported, always with a 200.",
    headers: z.object({ "Idempotency-Key": idempotencyKeyHeader, "X-On-Behalf-Of": onBehalfOfHeader }),
    body: batchRequest,
    response: {
      description: "The created clients (and, with atomic: false, the failed items).",
      schema: batchResponse,
      headers: z.object({ "Idempotent-Replayed": replayedHeader }),
    },
    errors: {
      BAD_REQUEST: `Malformed JSON, or a body that failed validation (\`errors\` lists every issue), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      CONFLICT: "With atomic: true, items conflict (externalId taken or repeated) and none is invalid; nothing was written.",
      UNPROCESSABLE_CONTENT: "The Idempotency-Key was already used with a different request body.",
      ...BODY_ERRORS,
    },
  },
});
