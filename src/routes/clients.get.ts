// GET /clients/{id}: the full client (API.md §4.1), with its ETag; with `asOf`, the full client as it
// was at that instant, rebuilt from its history (§11), without ETag.
import * as z from "zod";
import { clientGraphRead } from "../db/clients-read";
import { recordAsOfRead, type RecordAsOf, type StoredRow } from "../db/history-reads";
import { etagOfJson, fullClient, type ClientGraph } from "../db/mappers";
import { entryOfParts, type HistoryEntry } from "../history/entry";
import { graphAsOf } from "../history/replay";
import { endsWith, verifiedEntries } from "../history/verify";
import { readWithKey, requirePermission } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { historyBroken, notFound } from "../http/errors";
import { json, JSON_CONTENT_TYPE } from "../http/pipeline";
import { getClientQuery } from "../schemas/history";
import { clientIdParams } from "../schemas/list-query";
import { clientResponse, etagHeader } from "../schemas/responses";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

const clientNotFound = (id: string) => notFound(`Client ${id} not found`);

/**
 * The entries of `clientId` up to the instant, when their chain verifies and is not cut short there:
 * the next entry (made after the instant) decodes and follows the last one read — its sequence,
 * its previousHash —, or, when none follows, the chain ends where the client is. Else
 * HISTORY_BROKEN (API.md §11 "Damaged record").
 */
async function verifiedOrBroken(clientId: string, entries: readonly StoredRow[][], record: RecordAsOf): Promise<HistoryEntry[]> {
  const chain = await verifiedEntries(clientId, entries);
  if ("brokenAt" in chain) throw historyBroken(clientId, chain.brokenAt);
  const next = record.nextAfter.get(clientId);
  const lastHash = entries.at(-1)?.[0]!.hash ?? "";
  let whole: boolean;
  if (next !== undefined) {
    const entry = await entryOfParts(next).catch(() => null);
    whole = next[0]!.sequence === entries.length + 1 && entry !== null && entry.previousHash === lastHash;
  } else {
    const version = record.live.get(clientId);
    whole = endsWith(clientId, chain.entries, version === undefined ? null : { version });
  }
  if (!whole) throw historyBroken(clientId, entries.length + 1);
  return chain.entries;
}

/**
 * The client's graph as GET would have answered at `at` (null when it did not exist then), and its
 * linked clients' verified entries up to then, in one round trip — only entries whose chain
 * verifies up to that instant (never a silently altered client). Also used by the asOf
 * completeness read (clients.completeness.ts).
 */
export async function recordedAsOf(
  request: ApiRequest,
  id: string,
  at: string,
): Promise<{ graph: ClientGraph | null; linked: Map<string, HistoryEntry[]> }> {
  const record = await readWithKey(request, recordAsOfRead(request.db, request.tenant, id, at));
  const own = await verifiedOrBroken(id, record.own, record);
  const byClient = new Map<string, StoredRow[][]>();
  for (const parts of record.linked) {
    const theirs = byClient.get(parts[0]!.clientId) ?? [];
    theirs.push(parts);
    byClient.set(parts[0]!.clientId, theirs);
  }
  const linked = new Map<string, HistoryEntry[]>();
  for (const [clientId, entries] of byClient) linked.set(clientId, await verifiedOrBroken(clientId, entries, record));
  return { graph: graphAsOf(id, own, linked), linked };
}

async function clientAsOf(request: ApiRequest, id: string, at: string): Promise<Response> {
  const { graph } = await recordedAsOf(request, id, at);
  if (!graph) throw clientNotFound(id);
  return json(fullClient(graph, new Date(at)));
}

export default operation({
  method: "GET",
  path: "/clients/{id}",
  permissions: ["clients:read"],
  params: clientIdParams,
  query: getClientQuery,
  // asOf needs clients:history too, also when the query is refused: the key's 403 comes before the query's 400.
  async checkQuery(raw, request) {
    if (raw.asOf !== undefined) requirePermission(request, "clients:history");
    return [];
  },
  async handler(request, { params, query }) {
    if (query.asOf !== undefined) {
      requirePermission(request, "clients:history");
      return clientAsOf(request, params.id, query.asOf);
    }
    const graph = await readWithKey(request, clientGraphRead(request.db, request.tenant, params.id));
    if (!graph) throw clientNotFound(params.id);
    // Serialized once: the answer's text is what its ETag hashes.
    const text = JSON.stringify(fullClient(graph, new Date()));
    return new Response(text, { headers: { "content-type": JSON_CONTENT_TYPE, etag: await etagOfJson(text) } });
  },
  doc: {
    operationId: "getClient",
    summary: "Get a client",
    description:
      "The full client with its addresses, contact methods, bank accounts, documents and links (API.md §7). With `asOf`, the full " +
      "client exactly as this call would have answered at that instant (`age` for that date), rebuilt from the client's history — " +
      "also for a deleted client — and then without ETag (API.md §11).",
    response: {
      description: "The full client.",
      schema: clientResponse,
      // Not on an asOf read (the description says so): an ETag names the current representation.
      headers: z.object({ ETag: etagHeader.optional() }),
    },
    errors: {
      BAD_REQUEST: `A malformed id, an invalid or unknown query parameter, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      FORBIDDEN: "The API key lacks clients:read, or clients:history for an asOf read.",
      NOT_FOUND: "No such client for this tenant (with asOf: the client did not exist at that instant).",
      HISTORY_BROKEN:
        "asOf only: the history of the client (or of a client it linked to) does not verify up to that instant; `brokenAt` and `clientId` say where.",
    },
  },
});
