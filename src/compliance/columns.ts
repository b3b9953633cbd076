/**
 * The completeness columns of a client row being created by a write (API.md §16, migration 0011):
 * `false` until the same batch's last statement computes them from the rows it wrote
 * (db/completeness.ts; a created client is always a change that can affect its completeness). Not
 * NULL: NULL means "not computed yet" (clients stored before the migration), which would cost an
 * entry in the partial index the cron reads, written and removed again in the same batch.
 */
export const NEW_CLIENT_COMPLETENESS = { complete: false, completeUntil: null } as const;
