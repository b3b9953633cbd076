// The queue of clients waiting for their creation entry (migration 0008, db/schema.ts
// historyBackfill): the next slice of it, with the graphs and chain heads of its clients, in one
// read; and, in the write batch, the removal of the rows done.
import { asc, inArray, sql } from "drizzle-orm";
import type { Db, Read, Statement } from "./database";
import { assembleGraphs, graphStatements, GRAPH_STATEMENT_COUNT } from "./graph";
import { headsOf, headsStatement } from "./history";
import type { ClientGraph } from "./mappers";
import { historyBackfill } from "./schema";
import type { Head } from "../history/entry";

export interface BackfillSlice {
  /** The clients taken off the queue this time (one tenant's, at most the limit). */
  queued: { clientId: string; tenantId: string }[];
  /** The graphs of those still stored. */
  graphs: ClientGraph[];
  /** The chain heads of those that have an entry already (changed since the migration). */
  heads: Map<string, Head>;
}

/** The first tenant on the queue, and up to `limit` of its clients, in client order: one index range each. */
export function backfillSliceRead(db: Db, limit: number): Read<BackfillSlice> {
  const tenant = sql`(SELECT q.tenant_id FROM history_backfill q ORDER BY q.tenant_id LIMIT 1)`;
  const ids = sql`(SELECT q.client_id FROM history_backfill q WHERE q.tenant_id = ${tenant} ORDER BY q.client_id LIMIT ${limit})`;
  return {
    statements: [
      db.select().from(historyBackfill).where(sql`${historyBackfill.clientId} IN ${ids}`).orderBy(asc(historyBackfill.clientId)),
      ...graphStatements(db, tenant, ids),
      headsStatement(db, ids),
    ],
    parse: (results) => ({
      queued: results[0] as BackfillSlice["queued"],
      graphs: assembleGraphs(results.slice(1, 1 + GRAPH_STATEMENT_COUNT)),
      heads: headsOf(results[1 + GRAPH_STATEMENT_COUNT]),
    }),
  };
}

/** The queue rows of these clients removed (in the batch that writes their entries). */
export function backfillDone(db: Db, clientIds: readonly string[]): Statement {
  return db.delete(historyBackfill).where(inArray(historyBackfill.clientId, sql`(SELECT value FROM json_each(${JSON.stringify(clientIds)}))`));
}

