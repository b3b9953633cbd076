// GET /clients/{id}/history/verify: whether the client's history chain is whole and unaltered (API.md §11).
import { groupParts, wholeHistoryRead } from "../db/history-reads";
import { verifyChain } from "../history/verify";
import { readWithKey } from "../http/auth";
import { notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { historyVerifyResponse } from "../schemas/history";
import { clientIdParams } from "../schemas/list-query";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/clients/{id}/history/verify",
  permissions: ["clients:history"],
  params: clientIdParams,
  async handler(request, { params }) {
    const history = await readWithKey(request, wholeHistoryRead(request.db, request.tenant, params.id));
    if (!history.known) throw notFound(`Client ${params.id} not found`);
    return json(await verifyChain(params.id, groupParts(history.rows), history.live));
  },
  doc: {
    operationId: "verifyClientHistory",
    summary: "Verify a client's history",
    description:
      "Walks the client's whole chain: each entry 1..n must be stored whole at its sequence, decode, carry the previous entry's hash " +
      "and hash to its own, and the last must match the client (its deletion, or its current version). `valid: false` names the first " +
      "sequence that does not verify: an entry edited, removed or moved (API.md §11).",
    response: { description: "The verification.", schema: historyVerifyResponse },
    errors: {
      BAD_REQUEST: `A malformed id, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      FORBIDDEN: "The API key lacks clients:history.",
      NOT_FOUND: "The tenant has no such client and never had (no history and no client).",
    },
  },
});
