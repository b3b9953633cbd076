/**
 * The completeness columns of a client row being created (API.md §16, migration 0011): unknown,
 * until the write batch's last statement computes them from the rows it wrote (db/completeness.ts).
 */
export const UNKNOWN_COMPLETENESS = { complete: null, completeUntil: null } as const;
