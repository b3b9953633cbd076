// POST /clients/lookup (API.md §14): the keys that match each identifier, read through the index
// on (tenant_id, kind, normalized) in one statement for all of them (json_each over one JSON
// parameter): the rows read are the matches (and each match's client row), never the database.
import { sql } from "drizzle-orm";
import type { Db, Read, Tenant } from "./database";
import { clientLookupKeys, clients } from "./schema";

/** One identifier as the lookup asks for it: its index in the body, kind, normalized value, metadata key. */
export interface LookupQuery {
  index: number;
  kind: string;
  normalized: string;
  key: string | null;
}

export interface LookupMatch {
  index: number;
  clientId: string;
  childId: string | null;
  kind: string;
  deletedAt: string | null;
  name: string | null;
  type: string | null;
  isPrimary: boolean | null;
}


export function lookupRead(db: Db, tenant: Tenant, queries: readonly LookupQuery[], includeDeleted: boolean): Read<LookupMatch[]> {
  const json = JSON.stringify(queries.map((q) => ({ i: q.index, k: q.kind, n: q.normalized, m: q.key })));
  // CROSS JOIN keeps the identifiers the outer loop (SQLite does not reorder it), and INDEXED BY
  // makes the plan an index lookup per identifier or an error, never a scan of the keys.
  const statement = db
    .select({
      index: sql<number>`q.value ->> 'i'`,
      clientId: sql<string>`k.client_id`,
      childId: sql<string | null>`k.child_id`,
      kind: sql<string>`k.kind`,
      deletedAt: sql<string | null>`k.deleted_at`,
      deletedClient: sql<string | null>`k.deleted_client`,
      name: sql<string | null>`c.name`,
      type: sql<string | null>`c.type`,
      isPrimary: sql<number | null>`c.is_primary`,
    })
    .from(
      sql`json_each(${json}) q CROSS JOIN ${clientLookupKeys} k INDEXED BY client_lookup_keys_lookup
        ON k.tenant_id = ${tenant} AND k.kind = q.value ->> 'k' AND k.normalized = q.value ->> 'n'
        LEFT JOIN ${clients} c ON c.id = k.client_id AND k.deleted_at IS NULL`,
    )
    .where(sql`(q.value ->> 'm' IS NULL OR k.key = q.value ->> 'm') AND (k.deleted_at IS NULL OR ${includeDeleted ? 1 : 0})`)
    .orderBy(sql`q.key`, sql`k.deleted_at IS NOT NULL`, sql`k.client_id`, sql`k.child_id`);
  return {
    statements: [statement],
    parse: ([rows]) =>
      (rows as { index: number; clientId: string; childId: string | null; kind: string; deletedAt: string | null; deletedClient: string | null; name: string | null; type: string | null; isPrimary: number | null }[]).map(
        (row) => {
          const r = { ...row, deletedClient: row.deletedClient === null ? null : (JSON.parse(row.deletedClient) as { name: string; type: string; isPrimary: boolean }) };
          return {
          index: Number(r.index),
          clientId: r.clientId,
          childId: r.childId,
          kind: r.kind,
          deletedAt: r.deletedAt,
          name: r.name ?? r.deletedClient?.name ?? null,
          type: r.type ?? r.deletedClient?.type ?? null,
          isPrimary: r.isPrimary === null ? (r.deletedClient?.isPrimary ?? null) : r.isPrimary === 1,
          };
        },
      ),
  };
}
