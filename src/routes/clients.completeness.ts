// GET /clients/{id}/completeness: what the client's expediente lacks, per scope (API.md §16), from
// the requirements written once as data (src/compliance/requirements.ts) — one round trip with the
// key. With `asOf`, the same evaluation over the client as it was then (its history replayed, §11).
import { evaluateCompleteness } from "../compliance/evaluate";
import { completenessRead } from "../db/completeness-read";
import type { ClientGraph } from "../db/mappers";
import { graphAsOf } from "../history/replay";
import { readWithKey, requirePermission } from "../http/auth";
import { notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { completenessResponse } from "../schemas/completeness";
import { getClientQuery } from "../schemas/history";
import { clientIdParams } from "../schemas/list-query";
import { recordedAsOf } from "./clients.get";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const clientNotFound = (id: string) => notFound(`Client ${id} not found`);
const dateOf = (instant: Date) => instant.toISOString().slice(0, 10);

export default operation({
  method: "GET",
  path: "/clients/{id}/completeness",
  permissions: ["clients:read"],
  params: clientIdParams,
  query: getClientQuery,
  async checkQuery(raw, request) {
    if (raw.asOf !== undefined) requirePermission(request, "clients:history");
    return [];
  },
  async handler(request, { params, query }) {
    if (query.asOf !== undefined) {
      requirePermission(request, "clients:history");
      const { graph, linked } = await recordedAsOf(request, params.id, query.asOf);
      if (!graph) throw clientNotFound(params.id);
      const beneficiaries = new Map<string, ClientGraph>();
      for (const [id, entries] of linked) {
        const theirs = graphAsOf(id, entries, new Map());
        if (theirs) beneficiaries.set(id, theirs);
      }
      return json(evaluateCompleteness(graph, beneficiaries, dateOf(new Date(query.asOf))));
    }
    const read = await readWithKey(request, completenessRead(request.db, request.tenant, params.id));
    if (!read) throw clientNotFound(params.id);
    return json(evaluateCompleteness(read.graph, read.beneficiaries, dateOf(new Date())));
  },
  doc: {
    operationId: "getClientCompleteness",
    summary: "Check a client's expediente",
    description:
      "For each scope the client holds (`base` when none), the requirements its expediente does not meet (API.md §16): identification " +
      "fields, an address, documents whose file is uploaded (§15) and not expired, and for companies and trusts the linked " +
      "`controlling_beneficiary` individuals whose declared ownership (the link's `metadata.ownershipPercent`) reaches 25 %, each itself " +
      "complete. A scope includes the requirements of the scopes above it. The requirements and their legal sources: docs/REQUIREMENTS.md. " +
      "With `asOf` (needs clients:history), the same evaluation over the client as it was at that instant, documents checked against that date.",
    response: { description: "The completeness per scope.", schema: completenessResponse },
    errors: {
      BAD_REQUEST: `A malformed id, an invalid or unknown query parameter, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      FORBIDDEN: "The API key lacks clients:read, or clients:history for an asOf read.",
      NOT_FOUND: "No such client for this tenant (with asOf: the client did not exist at that instant).",
      HISTORY_BROKEN: "asOf only: the history of the client (or of a client it linked to) does not verify up to that instant.",
    },
  },
});
