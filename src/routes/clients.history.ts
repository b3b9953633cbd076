// GET /clients/{id}/history: the client's history entries (API.md §11) in sequence order, a page at a
// time behind an opaque cursor — also for a deleted client, whose entries outlive it.
import { historyPageRead } from "../db/history-reads";
import { entryOfParts } from "../history/entry";
import { checkKey, readWithKey } from "../http/auth";
import { decodeHistoryCursor, encodeHistoryCursor, historyCursorPosition } from "../http/cursor";
import { badRequest, notFound } from "../http/errors";
import { json } from "../http/pipeline";
import { historyPageResponse, historyQuery } from "../schemas/history";
import { clientIdParams, INVALID_CURSOR } from "../schemas/list-query";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const invalidCursor = { pointer: "/cursor", code: "invalid_value", detail: INVALID_CURSOR } as const;
const cursorRefused = () => badRequest("Invalid query parameters", [invalidCursor]);

export default operation({
  method: "GET",
  path: "/clients/{id}/history",
  permissions: ["clients:history"],
  params: clientIdParams,
  query: historyQuery,
  // As GET /clients: a cursor's MAC names the tenant, which the key gives; checked here only when
  // the query fails anyway, so that one answer lists every problem.
  async checkQuery(raw, request) {
    const id = typeof request.params.id === "string" ? request.params.id.toLowerCase() : "";
    if (typeof raw.cursor !== "string") return [];
    await checkKey(request);
    return (await decodeHistoryCursor(raw.cursor, { tenantId: request.tenantId, clientId: id })) !== null ? [] : [invalidCursor];
  },
  async handler(request, { params, query }) {
    // One round trip: the key lookup and the page, read from the cursor's position before its MAC
    // (which names the tenant) is checked; a page read for a refused cursor is not answered.
    const after = query.cursor === undefined ? 0 : historyCursorPosition(query.cursor);
    if (after === null) throw cursorRefused();
    const page = await readWithKey(request, historyPageRead(request.db, request.tenant, params.id, { limit: query.limit, after }));
    const scope = { tenantId: request.tenantId, clientId: params.id };
    if (query.cursor !== undefined && (await decodeHistoryCursor(query.cursor, scope)) === null) throw cursorRefused();
    if (!page.known) throw notFound(`Client ${params.id} not found`);
    const last = page.entries.at(-1)?.[0];
    return json({
      data: await Promise.all(page.entries.map(entryOfParts)),
      pagination: { hasMore: page.hasMore, nextCursor: page.hasMore && last ? await encodeHistoryCursor(last.sequence, scope) : null },
    });
  },
  doc: {
    operationId: "getClientHistory",
    summary: "A client's history",
    description:
      "Every change recorded of the client, one entry per request that changed it, ordered by sequence, a page at a time; also for a " +
      "deleted client (API.md §11). Entries are chained by hash: GET /clients/{id}/history/verify checks the chain.",
    response: { description: "A page of the client's history entries.", schema: historyPageResponse },
    errors: {
      BAD_REQUEST: `A malformed id, invalid query parameters (a cursor not issued to this client's history), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      FORBIDDEN: "The API key lacks clients:history.",
      NOT_FOUND: "The tenant has no such client and never had (no history and no client).",
    },
  },
});
