// GET /clients/search (API.md §14): likely matches by name, best first. The blocking keys of the
// query's words (src/lookup/names.ts) find the candidates in ONE round trip with the key check
// (db/search-read.ts, rows read bounded by MAX_SEARCH_ROWS_READ); the Worker scores them
// (Jaro–Winkler per word, order-insensitive). The keys are lookup keys of kind nameBlock, written
// by the write batch itself: a search sees every write that returned before it.
import { searchRead } from "../db/search-read";
import { readWithKey } from "../http/auth";
import { json } from "../http/pipeline";
import { foldName, nameScore, nameWords, queryBlocks } from "../lookup/names";
import { searchQuery, searchResponse } from "../schemas/search";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

/** Below this score a candidate is not a likely match (one typo in each word of a two-word name scores ≈ 0.9). */
const MIN_SCORE = 0.8;

export default operation({
  method: "GET",
  path: "/clients/search",
  permissions: ["clients:read"],
  query: searchQuery,
  async handler(request, { query }) {
    const words = nameWords(foldName(query.name));
    const blocks = [...new Set(words.flatMap(queryBlocks))];
    // A name of only suffixes and articles has no keys: nothing to find (the key is still checked).
    const read = blocks.length === 0 ? { statements: [], parse: () => [] } : searchRead(request.db, request.tenant, blocks, query.type ?? null);
    const candidates = await readWithKey(request, read);
    const scored = candidates
      .map((c) => ({
        clientId: c.clientId,
        name: [c.name, c.middleName, c.lastName].filter((p) => p !== null && p !== "").join(" "),
        type: c.type,
        score: nameScore(words, nameWords(c.folded)),
      }))
      .filter((c) => c.score >= MIN_SCORE)
      .sort((a, b) => b.score - a.score || (a.clientId < b.clientId ? -1 : 1))
      .slice(0, query.limit);
    return json({ data: scored });
  },
  doc: {
    operationId: "searchClients",
    summary: "Search clients by name",
    description:
      "Likely matches of a name, best first, with a score from 0 to 1 (API.md §14). Accents, case, word order and company " +
      "suffixes do not prevent a match, and one typo per word is tolerated. It sees every write that returned before it " +
      "(send the write's X-Consistency-Token from another region). One D1 round trip; rows read are bounded whatever the " +
      "number of clients.",
    response: { description: "The matches, best first.", schema: searchResponse },
    errors: { BAD_REQUEST: `A name missing, empty or over 300 characters, an unknown type, a limit outside 1–50, an unknown query parameter, ${ENVIRONMENT_PROBLEM}.`, ...KEY_ERRORS },
  },
});
