// GET /clients/search (API.md §14): the candidates of a name search, in ONE statement — per
// blocking key (src/lookup/names.ts), an index seek on (tenant_id, 'nameBlock', key) reading at
// most CANDIDATES_PER_BLOCK live keys, and each candidate's client row. Rows read are bounded by
// MAX_SEARCH_ROWS_READ whatever the tenant's size.
import { sql } from "drizzle-orm";
import type { Db, Read, Tenant } from "./database";
import { clientLookupKeys, clients } from "./schema";

/** Keys read per blocking key (a word's half shared by more clients than this misses some of them). */
export const CANDIDATES_PER_BLOCK = 40;
/** Blocking keys a query looks up at most (8 words × their halves at three lengths, deduplicated). */
export const MAX_QUERY_BLOCKS = 48;
/** The documented bound: per block its keys, their clients, and the seek's end. */
export const MAX_SEARCH_ROWS_READ = MAX_QUERY_BLOCKS * (2 * CANDIDATES_PER_BLOCK + 1) + MAX_QUERY_BLOCKS;

export interface Candidate {
  clientId: string;
  folded: string;
  name: string;
  middleName: string | null;
  lastName: string | null;
  type: string;
}

export function searchRead(db: Db, tenant: Tenant, blocks: readonly string[], type: string | null): Read<Candidate[]> {
  const statement = db
    .select({
      candidates: sql<string>`(SELECT json_group_array(json_array(c.id, k.key, c.name, c.middle_name, c.last_name, c.type))
        FROM (SELECT k.client_id, k.key FROM ${clientLookupKeys} k INDEXED BY client_lookup_keys_lookup
          WHERE k.tenant_id = ${tenant} AND k.kind = 'nameBlock' AND k.normalized = q.value AND k.deleted_at IS NULL LIMIT ${CANDIDATES_PER_BLOCK}) k
        JOIN ${clients} c ON c.id = k.client_id WHERE (${type} IS NULL OR c.type = ${type}))`,
    })
    .from(sql`json_each(${JSON.stringify(blocks.slice(0, MAX_QUERY_BLOCKS))}) q`);
  return {
    statements: [statement],
    parse: ([rows]) => {
      const seen = new Map<string, Candidate>();
      for (const row of rows as { candidates: string }[]) {
        for (const [clientId, folded, name, middleName, lastName, t] of JSON.parse(row.candidates) as [string, string, string, string | null, string | null, string][]) {
          if (!seen.has(clientId)) seen.set(clientId, { clientId, folded, name, middleName, lastName, type: t });
        }
      }
      return [...seen.values()];
    },
  };
}
