// POST /clients/lookup (API.md §14): "do we already know them?" by RFC, CURP, CLABE, account
// number, e-mail, phone, externalId or a metadata value. Read-your-writes: the lookup keys are
// written by the write batch itself, and this POST reads like a GET (http/consistency.ts: it starts
// at the caller's X-Consistency-Token). One D1 round trip, the API key included.
import { lookupRead, type LookupQuery } from "../db/lookup-read";
import { readWithKey } from "../http/auth";
import { readJsonBody, withInexact } from "../http/body";
import { ApiError, VALIDATION_DETAIL } from "../http/errors";
import { json } from "../http/pipeline";
import { MATCHED_ON, normalize, type LookupKind } from "../lookup/normalize";
import { fieldErrors } from "../schemas/common";
import { identifierProblems, lookupRequest, lookupResponse } from "../schemas/lookup";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "POST",
  path: "/clients/lookup",
  permissions: ["clients:read"],
  async handler(request) {
    const { value, inexact } = await readJsonBody(request);
    const parsed = lookupRequest.safeParse(value);
    const errors = parsed.success
      ? parsed.data.identifiers.flatMap((identifier, i) => identifierProblems(identifier, ["identifiers", i]))
      : fieldErrors(parsed.error);
    if (!parsed.success || errors.length > 0 || inexact.length > 0) throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, errors));

    const { identifiers, includeDeleted = false } = parsed.data;
    const queries: LookupQuery[] = identifiers.map((identifier, index) => ({
      index,
      kind: identifier.kind,
      normalized: normalize(identifier.kind, identifier.value),
      key: identifier.key ?? null,
    }));
    const matches = await readWithKey(request, lookupRead(request.db, request.tenant, queries, includeDeleted));
    return json({
      data: identifiers.map((identifier, index) => ({
        identifier,
        normalized: queries[index]!.normalized,
        matches: matches
          .filter((m) => m.index === index)
          .map((m) => ({
            clientId: m.clientId,
            name: m.name,
            type: m.type,
            isPrimary: m.isPrimary,
            matchedOn: MATCHED_ON[m.kind as LookupKind],
            childId: m.childId,
            deletedAt: m.deletedAt,
          })),
      })),
    });
  },
  doc: {
    operationId: "lookupClients",
    summary: "Look up clients by identifier",
    description:
      "For each identifier (1–100: RFC, CURP, CLABE, account number, e-mail, phone, externalId or a metadata value), the " +
      "clients of the tenant that hold it, normalized as API.md §14 says. It sees every write that returned before it " +
      "(the keys are written by the write's own batch; send the write's X-Consistency-Token from another region). " +
      "One D1 round trip; rows read in proportion to the matches.",
    body: lookupRequest,
    response: { description: "The matches of each identifier, in the order sent.", schema: lookupResponse },
    errors: {
      BAD_REQUEST: `Malformed JSON, a body that failed validation (an identifier that cannot be of its kind, more than 100), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      ...BODY_ERRORS,
    },
  },
});
