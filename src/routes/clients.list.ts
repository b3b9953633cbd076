// GET /clients: full clients ordered by createdAt, then id, a page at a time, with an opaque keyset
// cursor (so inserts between pages never repeat or skip a client).
import { readClientPage } from "../db/clients-read";
import { fullClient } from "../db/mappers";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest } from "../http/errors";
import { json } from "../http/pipeline";
import { INVALID_CURSOR, listQuery } from "../schemas/list-query";
import { clientListResponse } from "../schemas/responses";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/clients",
  permissions: ["clients:read"],
  query: listQuery,
  // A cursor is a position only for the query it was issued to.
  async checkQuery(raw, { tenantId }) {
    const { cursor, externalId } = raw;
    if (typeof cursor !== "string" || (externalId !== undefined && typeof externalId !== "string")) return [];
    if (await decodeCursor(cursor, { tenantId, externalId })) return [];
    return [{ pointer: "/cursor", code: "invalid_value", detail: INVALID_CURSOR }];
  },
  async handler(request, { query }) {
    const { db, tenantId } = request;
    const scope = { tenantId, externalId: query.externalId };
    const after = query.cursor === undefined ? null : await decodeCursor(query.cursor, scope);
    if (query.cursor !== undefined && !after) throw badRequest("Invalid query parameters"); // checkQuery has refused it
    const { graphs, hasMore } = await readClientPage(db, tenantId, { limit: query.limit, after, externalId: query.externalId });
    const today = new Date();
    const last = graphs.at(-1)?.client;
    return json({
      data: graphs.map((g) => fullClient(g, today)),
      pagination: { hasMore, nextCursor: hasMore && last ? await encodeCursor(last, scope) : null },
    });
  },
  doc: {
    operationId: "listClients",
    summary: "List clients",
    description: "The tenant's clients as full clients, ordered by createdAt, then id, a page at a time (API.md §7).",
    response: { description: "A page of clients.", schema: clientListResponse },
    errors: { BAD_REQUEST: `Invalid query parameters, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS },
  },
});
