// GET /clients/{id}/history: the client's history entries (API.md §11) in sequence order, a page at a
// time behind an opaque cursor — also for a deleted client, whose entries outlive it.
import { historyPageRead, type StoredRow } from "../db/history-reads";
import { entryOfParts } from "../history/entry";
import { checkKey, readWithKey } from "../http/auth";
import { decodeHistoryCursor, encodeHistoryCursor, historyCursorPosition } from "../http/cursor";
import { badRequest, historyBroken, notFound } from "../http/errors";
import { JSON_CONTENT_TYPE } from "../http/pipeline";
import { historyPageResponse, historyQuery } from "../schemas/history";
import { clientIdParams, INVALID_CURSOR } from "../schemas/list-query";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

/** A page's JSON stays under this (API.md §11): fewer entries than `limit` then, with `hasMore`. */
export const HISTORY_PAGE_MAX_BYTES = 2 * 1024 * 1024;
/** Room kept for the page's envelope (`{"data":[…],"pagination":{…}}` with a cursor). */
const ENVELOPE_BYTES = 1024;

const encoder = new TextEncoder();

/**
 * The page's entries as JSON texts, as many as fit in HISTORY_PAGE_MAX_BYTES (always the first: a
 * page that could hold none would never move on), the sequence of the last one, and whether the
 * cap cut the page short. An entry that cannot be decoded is HISTORY_BROKEN at its sequence.
 */
async function pageTexts(clientId: string, after: number, entries: readonly StoredRow[][]): Promise<{ texts: string[]; last: number | null; cut: boolean }> {
  const texts: string[] = [];
  let bytes = ENVELOPE_BYTES;
  let last: number | null = null;
  for (const [index, parts] of entries.entries()) {
    const sequence = parts[0]!.sequence;
    // Sequences count 1, 2, 3… with no gap: one missing (or without its first part) is not skipped.
    if (sequence !== after + index + 1) throw historyBroken(clientId, after + index + 1);
    let text: string;
    try {
      text = JSON.stringify(await entryOfParts(parts));
    } catch {
      throw historyBroken(clientId, sequence);
    }
    bytes += encoder.encode(text).byteLength + 1;
    if (texts.length > 0 && bytes > HISTORY_PAGE_MAX_BYTES) return { texts, last, cut: true };
    texts.push(text);
    last = sequence;
  }
  return { texts, last, cut: false };
}

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
    const { texts, last, cut } = await pageTexts(params.id, after, page.entries);
    const hasMore = page.hasMore || cut;
    const pagination = { hasMore, nextCursor: hasMore && last !== null ? await encodeHistoryCursor(last, scope) : null };
    // Each entry is serialized once: its text is what the page's size was counted on.
    return new Response(`{"data":[${texts.join(",")}],"pagination":${JSON.stringify(pagination)}}`, {
      headers: { "content-type": JSON_CONTENT_TYPE },
    });
  },
  doc: {
    operationId: "getClientHistory",
    summary: "A client's history",
    description:
      "Every change recorded of the client, one entry per request that changed it, ordered by sequence, a page at a time; also for a " +
      "deleted client (API.md §11). Entries are chained by hash: GET /clients/{id}/history/verify checks the chain. A page is at most " +
      "2 MiB of JSON: fewer entries than `limit` then, with `hasMore` (a single entry larger than that is a page of its own).",
    response: { description: "A page of the client's history entries.", schema: historyPageResponse },
    errors: {
      BAD_REQUEST: `A malformed id, invalid query parameters (a cursor not issued to this client's history), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      FORBIDDEN: "The API key lacks clients:history.",
      NOT_FOUND: "The tenant has no such client and never had (no history and no client).",
      HISTORY_BROKEN: "An entry of the page cannot be decoded (its stored rows were altered or lost); `brokenAt` is its sequence.",
    },
  },
});
