// The creation entries of clients stored before history was kept (issue 20; migration 0008 lists
// them in history_backfill). Run by the cron (src/index.ts scheduled), a slice per environment and
// run, until the queue is empty; then each run reads one empty index range.
//
// The entry records what the client graph IS — every record `created`, from null — made at the
// latest `updatedAt` of the graph: the last moment these values are known to have been set, and
// they have held since (a client without entries has not changed since history began). An as-of
// read before that instant stays a 404: nothing is claimed about a time nobody recorded. The entry's
// operation is `backfill` and its actor names the migration, not an API key. It gets no outbox row:
// it is no change, and downstream systems already had these clients.
//
// This is the one write outside write/runner.ts, as the purge is: no request, no key, no
// idempotency. It keeps the runner's rule for the chain: the entry is inserted at sequence 1 under
// the primary key, so a sync that appended first makes this batch fail (and the client, now with a
// chain, is only taken off the queue next time), and a sync after it follows it.
import { backfillDone, backfillSliceRead } from "../db/backfill";
import { openDb, runBatch, runRead, type Db } from "../db/database";
import { appendEntries } from "../db/history";
import type { ClientGraph } from "../db/mappers";
import { LIST_ENTITY, recordChange } from "../history/drafts";
import { sealEntries, type Actor, type Change, type SealedEntry } from "../history/entry";
import { databaseOf, placesOf, type Env } from "../env";
import { newId } from "../ids";

/** Clients per run and environment: a slice's read and write stay far inside D1's limits. */
export const BACKFILL_CLIENTS_PER_RUN = 25;

export const BACKFILL_ACTOR: Actor = { keyPrefix: "backfill", keyName: "creation entries of clients stored before history (migration 0008)", onBehalfOf: null };

/** The graph as `created` changes: the client, each child, each link it holds. */
export function creationChanges(graph: ClientGraph): Change[] {
  const changes: Change[] = [recordChange("client", null, graph.client)!];
  for (const list of ["addresses", "contactMethods", "bankAccounts", "documents"] as const) {
    for (const row of graph[list]) changes.push(recordChange(LIST_ENTITY[list], null, row)!);
  }
  for (const link of graph.links) changes.push(recordChange("link", null, link)!);
  return changes;
}

/** The latest updatedAt of the graph's own records. */
export function creationInstant(graph: ClientGraph): string {
  let at = graph.client.updatedAt;
  for (const row of [...graph.addresses, ...graph.contactMethods, ...graph.bankAccounts, ...graph.documents, ...graph.links]) {
    if (row.updatedAt > at) at = row.updatedAt;
  }
  return at;
}

export interface BackfillRun {
  /** Creation entries written. */
  written: number;
  /** Clients taken off the queue without an entry: deleted, or given a chain by a change since. */
  skipped: number;
}

/** One slice of the queue: read (1 round trip), sealed, written with the queue rows removed (1 round trip). */
export async function backfillSlice(db: Db, limit = BACKFILL_CLIENTS_PER_RUN): Promise<BackfillRun> {
  const slice = await runRead(db, backfillSliceRead(db, limit));
  if (slice.queued.length === 0) return { written: 0, skipped: 0 };
  const tenantId = slice.queued[0]!.tenantId;
  const sealed: SealedEntry[] = [];
  for (const graph of slice.graphs) {
    if (slice.heads.has(graph.client.id)) continue;
    const context = { at: creationInstant(graph), requestId: "backfill", operation: "backfill" as const, actor: BACKFILL_ACTOR, newId };
    sealed.push(...(await sealEntries([{ clientId: graph.client.id, changes: creationChanges(graph) }], new Map(), context)));
  }
  const statements = [
    ...appendEntries(db, tenantId, sealed, { eventIds: [], withoutEvents: true }),
    backfillDone(db, slice.queued.map((q) => q.clientId)),
  ];
  await runBatch(db, statements);
  return { written: sealed.length, skipped: slice.queued.length - sealed.length };
}

/** One slice in each shard of each environment (the cron's part), keyed "test/0", "live/1", … */
export async function backfillEnvironments(env: Env): Promise<Record<string, BackfillRun>> {
  const runs: Record<string, BackfillRun> = {};
  for (const { environment, shard } of placesOf(env)) {
    // One shard's failure (a tenant being moved refuses its writes) does not stop the others'.
    try {
      runs[`${environment}/${shard}`] = await backfillSlice(openDb(databaseOf(env, environment, shard)));
    } catch (error) {
      console.error("history backfill failed on a shard; the next run tries again", JSON.stringify({ environment, shard, error: String(error) }));
    }
  }
  return runs;
}
