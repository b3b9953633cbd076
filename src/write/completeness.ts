// The cron's part of the completeness column (API.md §16, migration 0011): clients whose column is
// unknown (stored before the migration) and clients a counted document of which has expired since
// the column was computed, at most COMPLETENESS_CLIENTS_PER_RUN of each per run and shard,
// one batch (2 statements) each. Like the history backfill (write/backfill.ts), a write outside
// write/runner.ts: it changes no client's data — the column is derived from the graph and is in no
// answer, no history entry and no event — so there is nothing to record.
import { recomputeDueCompleteness } from "../db/completeness";
import { openDb, runBatch } from "../db/database";
import { databaseOf, placesOf, type Env } from "../env";

/** Rows the run changed per shard of each environment ("test/0", …; D1's rows written, index entries included). */
export async function completenessEnvironments(env: Env, now = new Date()): Promise<Record<string, number>> {
  const today = now.toISOString().slice(0, 10);
  const runs: Record<string, number> = {};
  for (const { environment, shard } of placesOf(env)) {
    // One shard's failure (a tenant being moved refuses its writes) does not stop the others'.
    try {
      const db = openDb(databaseOf(env, environment, shard));
      const results = (await runBatch(db, recomputeDueCompleteness(db, today))) as { meta?: { changes?: number } }[];
      runs[`${environment}/${shard}`] = results.reduce((n, r) => n + (r.meta?.changes ?? 0), 0);
    } catch (error) {
      console.error("completeness recompute failed on a shard; the next run tries again", JSON.stringify({ environment, shard, error: String(error) }));
    }
  }
  return runs;
}
