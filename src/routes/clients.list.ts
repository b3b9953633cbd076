// GET /clients: full clients ordered by createdAt, then id, a page at a time, with an opaque keyset
// cursor (so inserts between pages never repeat or skip a client).
import { clientPageRead } from "../db/clients-read";
import { fullClient } from "../db/mappers";
import { checkKey, readWithKey } from "../http/auth";
import { cursorPosition, decodeCursor, encodeCursor } from "../http/cursor";
import { badRequest } from "../http/errors";
import { json } from "../http/pipeline";
import { INVALID_CURSOR, listQuery } from "../schemas/list-query";
import { clientListResponse } from "../schemas/responses";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const invalidCursor = { pointer: "/cursor", code: "invalid_value", detail: INVALID_CURSOR } as const;
const cursorRefused = () => badRequest("Invalid query parameters", [invalidCursor]);

export default operation({
  method: "GET",
  path: "/clients",
  permissions: ["clients:read"],
  query: listQuery,
  // A cursor is a position only for the query it was issued to; its MAC names the tenant, which the
  // key gives. Here only when the query fails anyway, so that one answer lists every problem.
  async checkQuery(raw, request) {
    const { cursor, externalId } = raw;
    if (typeof cursor !== "string" || (externalId !== undefined && typeof externalId !== "string")) return [];
    if (raw.complete !== undefined && raw.complete !== "true" && raw.complete !== "false") return [];
    const complete = raw.complete === undefined ? undefined : raw.complete === "true";
    await checkKey(request);
    return (await decodeCursor(cursor, { tenantId: request.tenantId, externalId, complete })) ? [] : [invalidCursor];
  },
  async handler(request, { query }) {
    // One round trip: the key lookup and the page, read from the cursor's position before its MAC
    // (which names the tenant) can be checked; a page read for a cursor refused here is not answered.
    const after = query.cursor === undefined ? null : cursorPosition(query.cursor);
    if (query.cursor !== undefined && !after) throw cursorRefused();
    const { graphs, hasMore } = await readWithKey(
      request,
      clientPageRead(request.db, request.tenant, { limit: query.limit, after, externalId: query.externalId, complete: query.complete }),
    );
    const scope = { tenantId: request.tenantId, externalId: query.externalId, complete: query.complete };
    if (query.cursor !== undefined && !(await decodeCursor(query.cursor, scope))) throw cursorRefused();
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
    description:
      "The tenant's clients as full clients, ordered by createdAt, then id, a page at a time (API.md §7); with `complete`, only the " +
      "clients whose expediente is (or is not) complete (API.md §16).",
    response: { description: "A page of clients.", schema: clientListResponse },
    errors: { BAD_REQUEST: `Invalid query parameters, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS },
  },
});
