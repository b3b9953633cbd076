// The read side of the compliance record (API.md §11): a page of a client's history, the whole
// chain (to verify it), and the entries an as-of read replays. Each is ONE `Read`, run in the same
// round trip as the API key lookup (http/auth.ts readWithKey).
//
// Every statement finds its rows through the primary key (client_id, sequence, part) — the client's
// own entries, or those of the clients its entries link to — so rows read depend on that client's
// history, never on the database; the tenant is a check on the rows found (`+tenant_id`), never what
// selects them.
import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import type { StoredRow } from "../history/entry";
export type { StoredRow };
import { tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { clientHistory, clients } from "./schema";

/** A stored part row of an entry, with the columns verification compares. */

const partColumns = {
  clientId: clientHistory.clientId,
  sequence: clientHistory.sequence,
  part: clientHistory.part,
  parts: clientHistory.parts,
  at: clientHistory.at,
  operation: clientHistory.operation,
  linked: clientHistory.linked,
  hash: clientHistory.hash,
  body: clientHistory.body,
};

const ofClient = (tenantId: Tenant, clientId: string) =>
  and(eq(clientHistory.clientId, clientId), tenantFilter(clientHistory.tenantId, tenantId));

/**
 * Whether the tenant has, or had, this client: an entry of its history, or its live row (a client
 * stored before history was kept has none). Two single-row index lookups.
 */
function knownStatements(db: Db, tenantId: Tenant, clientId: string): Statement[] {
  return [
    db.select({ sequence: clientHistory.sequence }).from(clientHistory).where(ofClient(tenantId, clientId)).limit(1),
    db.select({ version: clients.version }).from(clients).where(and(eq(clients.id, clientId), tenantFilter(clients.tenantId, tenantId))),
  ];
}

const knownOf = (results: readonly unknown[]) => (results[0] as unknown[]).length > 0 || (results[1] as unknown[]).length > 0;

/** Stored rows grouped by entry (rows ordered by client, sequence, part). */
export function groupParts<T extends { clientId: string; sequence: number }>(rows: readonly T[]): T[][] {
  const entries: T[][] = [];
  for (const row of rows) {
    const last = entries.at(-1)?.[0];
    if (last && last.clientId === row.clientId && last.sequence === row.sequence) entries.at(-1)!.push(row);
    else entries.push([row]);
  }
  return entries;
}

export interface HistoryPage {
  /** False when the tenant has no such client and never had. */
  known: boolean;
  /** The page's entries, each as its stored part rows. */
  entries: StoredRow[][];
  hasMore: boolean;
}

/** `limit` entries after sequence `after` (0: from the start), and whether more follow. */
export function historyPageRead(db: Db, tenantId: Tenant, clientId: string, page: { limit: number; after: number }): Read<HistoryPage> {
  const starts = (n: number, offset = 0) =>
    db
      .select({ sequence: clientHistory.sequence })
      .from(clientHistory)
      .where(and(ofClient(tenantId, clientId), eq(clientHistory.part, 0), gt(clientHistory.sequence, page.after)))
      .orderBy(asc(clientHistory.sequence))
      .limit(n)
      .offset(offset);
  const rows = db
    .select(partColumns)
    .from(clientHistory)
    .where(and(ofClient(tenantId, clientId), sql`${clientHistory.sequence} IN ${starts(page.limit)}`))
    .orderBy(asc(clientHistory.sequence), asc(clientHistory.part));
  return {
    statements: [...knownStatements(db, tenantId, clientId), rows, starts(1, page.limit)],
    parse: (results) => ({
      known: knownOf(results),
      entries: groupParts(results[2] as StoredRow[]),
      hasMore: (results[3] as unknown[]).length > 0,
    }),
  };
}

export interface WholeHistory {
  known: boolean;
  /** The client's row (its version), null when it is deleted or never was. */
  live: { version: number } | null;
  /** Every stored row of the client's history, ordered by sequence, then part. */
  rows: StoredRow[];
}

/** Every row of the client's history (verification walks the whole chain). */
export function wholeHistoryRead(db: Db, tenantId: Tenant, clientId: string): Read<WholeHistory> {
  return {
    statements: [
      ...knownStatements(db, tenantId, clientId),
      db
        .select(partColumns)
        .from(clientHistory)
        .where(ofClient(tenantId, clientId))
        .orderBy(asc(clientHistory.sequence), asc(clientHistory.part)),
    ],
    parse: (results) => ({ known: knownOf(results), live: (results[1] as { version: number }[])[0] ?? null, rows: results[2] as StoredRow[] }),
  };
}

export interface RecordAsOf {
  /** The client's entries made at or before the instant, as their stored parts. */
  own: StoredRow[][];
  /** The entries, made at or before the instant, of every client those entries link to. */
  linked: StoredRow[][];
  /**
   * Of each of these clients (itself and those linked), the first entry made after the instant, as
   * its stored parts: it must follow the last entry read (its sequence, its previousHash).
   */
  nextAfter: Map<string, StoredRow[]>;
  /** Of each of these clients still stored, its version (a chain read to its end must end there). */
  live: Map<string, number>;
}

/** Rows of entries made at or before `at` (its part 0 says when: one primary key lookup per row). */
const madeBy = (at: string): SQL =>
  sql`EXISTS (SELECT 1 FROM client_history p WHERE p.client_id = ${clientHistory.clientId} AND p.sequence = ${clientHistory.sequence} AND p.part = 0 AND p.at <= ${at})`;

/**
 * What an as-of read replays: the client's entries up to `at`, and those of every client its
 * entries up to `at` linked to (found through their `linked` column: a linked client's fields,
 * email and phone are shown as they were then, too).
 */
export function recordAsOfRead(db: Db, tenantId: Tenant, clientId: string, at: string): Read<RecordAsOf> {
  const linkedIds = sql`(SELECT j.value FROM client_history x, json_each(x.linked) j WHERE x.client_id = ${clientId} AND x.part = 0 AND x.linked IS NOT NULL AND +x.tenant_id = ${tenantId} AND x.at <= ${at})`;
  // The chains' ends, so that a chain cut short (entries removed from its end) is told from one
  // that ends at the instant: each chain's next entry, and each client's live version.
  const chains = sql`(SELECT ${clientId} UNION SELECT j.value FROM client_history x, json_each(x.linked) j WHERE x.client_id = ${clientId} AND x.part = 0 AND x.linked IS NOT NULL AND +x.tenant_id = ${tenantId} AND x.at <= ${at})`;
  return {
    statements: [
      db
        .select(partColumns)
        .from(clientHistory)
        .where(and(ofClient(tenantId, clientId), madeBy(at)))
        .orderBy(asc(clientHistory.sequence), asc(clientHistory.part)),
      db
        .select(partColumns)
        .from(clientHistory)
        .where(and(sql`${clientHistory.clientId} IN ${linkedIds}`, tenantFilter(clientHistory.tenantId, tenantId), madeBy(at)))
        .orderBy(asc(clientHistory.clientId), asc(clientHistory.sequence), asc(clientHistory.part)),
      db
        .select(partColumns)
        .from(clientHistory)
        .where(
          and(
            sql`(${clientHistory.clientId}, ${clientHistory.sequence}) IN (SELECT n.client_id, min(n.sequence) FROM client_history n WHERE n.client_id IN ${chains} AND n.part = 0 AND +n.tenant_id = ${tenantId} AND n.at > ${at} GROUP BY n.client_id)`,
            tenantFilter(clientHistory.tenantId, tenantId),
          ),
        )
        .orderBy(asc(clientHistory.clientId), asc(clientHistory.sequence), asc(clientHistory.part)),
      db
        .select({ id: clients.id, version: clients.version })
        .from(clients)
        .where(and(sql`${clients.id} IN ${chains}`, tenantFilter(clients.tenantId, tenantId))),
    ],
    parse: (results) => ({
      own: groupParts(results[0] as StoredRow[]),
      linked: groupParts(results[1] as StoredRow[]),
      nextAfter: new Map(groupParts(results[2] as StoredRow[]).map((parts) => [parts[0]!.clientId, parts])),
      live: new Map((results[3] as { id: string; version: number }[]).map((r) => [r.id, r.version])),
    }),
  };
}

/** The stored parts of one history entry (history/entry.ts entryOfParts decodes them). */
export function entryParts(db: Db, clientId: string, sequence: number) {
  return db
    .select({ sequence: clientHistory.sequence, part: clientHistory.part, hash: clientHistory.hash, body: clientHistory.body })
    .from(clientHistory)
    .where(and(eq(clientHistory.clientId, clientId), eq(clientHistory.sequence, sequence)))
    .orderBy(asc(clientHistory.part));
}
