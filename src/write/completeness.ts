// The cron's part of the completeness column (API.md §16, migration 0011): clients whose column is
// unknown (stored before the migration) and clients a counted document of which has expired since
// the column was computed, at most COMPLETENESS_CLIENTS_PER_RUN of each per run and environment,
// one batch (2 statements) each. Like the history backfill (write/backfill.ts), a write outside
// write/runner.ts: it changes no client's data — the column is derived from the graph and is in no
// answer, no history entry and no event — so there is nothing to record.
import { recomputeDueCompleteness } from "../db/completeness";
import { openDb, runBatch } from "../db/database";
import { databaseOf, ENVIRONMENTS, type Env, type Environment } from "../env";

/** Rows the run changed per environment (D1's rows written, index entries included). */
export async function completenessEnvironments(env: Env, now = new Date()): Promise<Record<Environment, number>> {
  const today = now.toISOString().slice(0, 10);
  const runs = {} as Record<Environment, number>;
  for (const environment of ENVIRONMENTS) {
    const db = openDb(databaseOf(env, environment));
    const results = (await runBatch(db, recomputeDueCompleteness(db, today))) as { meta?: { changes?: number } }[];
    runs[environment] = results.reduce((n, r) => n + (r.meta?.changes ?? 0), 0);
  }
  return runs;
}
