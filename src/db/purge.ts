// Retention (API.md §11): a deleted client's history — and its outbox rows — is kept for the
// retention period after its deletion (wrangler.toml [vars] HISTORY_RETENTION_YEARS), then erased
// for good by `npm run purge`. Nothing else is ever erased: clients never deleted, or deleted within
// retention, keep every entry.
//
// Plain SQL text with literals, no import: scripts/purge.ts runs it through `wrangler d1 execute
// --command` (which binds no parameters) or the local databases, and the Workers tests run the same
// text. The values inlined are an ISO timestamp this module formats and a row limit.

/** Clients erased per batch (one D1 transaction): bounded work, whatever the backlog. */
export const PURGE_BATCH_CLIENTS = 100;

/** The instant `years` calendar years (UTC) before `now`: a deletion before it is past retention. */
export function retentionCutoff(now: Date, years: number): string {
  if (!Number.isInteger(years) || years < 1) throw new Error(`retention must be a whole number of years, at least 1 (got ${years})`);
  const cutoff = new Date(now.getTime());
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  return cutoff.toISOString();
}

function literal(cutoff: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(cutoff)) throw new Error(`not an ISO timestamp: ${cutoff}`);
  return `'${cutoff}'`;
}

/**
 * A deletion entry that is the client's own: the last entry of its chain (a deleted client changes
 * no more), of a client whose row is gone. A DELETE also appends `delete` entries to the clients
 * that linked to the deleted one (their link removed): those clients live on, and keep their record.
 */
const ownDeletion = (alias: string) =>
  `NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = ${alias}.client_id) ` +
  `AND ${alias}.sequence = (SELECT max(m.sequence) FROM client_history m WHERE m.client_id = ${alias}.client_id)`;

/**
 * The clients of the next batch: deleted before the cutoff, found through the partial index
 * client_history_deletions (only deletion entries are in it), oldest deletion first. Every
 * statement of a batch names the same clients: the same deterministic query in one transaction.
 */
const expired = (cutoff: string, limit: number) =>
  `SELECT h.client_id FROM client_history h WHERE h.operation = 'delete' AND h.at < ${literal(cutoff)} AND ${ownDeletion("h")} ` +
  `ORDER BY h.at, h.client_id LIMIT ${Math.trunc(limit)}`;

/**
 * One batch (run as ONE D1 batch, in this order): what it erases — each client's tenant, deletion
 * time, entries (part-0 rows) and outbox rows — then the outbox rows, then the history rows.
 */
export function purgeBatchStatements(cutoff: string, limit = PURGE_BATCH_CLIENTS): string[] {
  const clients = expired(cutoff, limit);
  return [
    `SELECT d.tenant_id AS tenantId, d.client_id AS clientId, d.at AS deletedAt, ` +
      `(SELECT count(*) FROM client_history e WHERE e.client_id = d.client_id AND e.part = 0) AS entries, ` +
      `(SELECT count(*) FROM client_history r WHERE r.client_id = d.client_id) AS historyRows, ` +
      `(SELECT count(*) FROM event_outbox o WHERE o.client_id = d.client_id) AS events ` +
      `FROM client_history d WHERE d.operation = 'delete' AND ${ownDeletion("d")} AND d.client_id IN (${clients}) ORDER BY d.at, d.client_id`,
    `DELETE FROM event_outbox WHERE client_id IN (${clients})`,
    `DELETE FROM client_history WHERE client_id IN (${clients})`,
  ];
}

/** A client erased: its tenant, when it was deleted, and how much of its record went. */
export interface ErasedClient {
  tenantId: string;
  clientId: string;
  deletedAt: string;
  entries: number;
  /** client_history rows (an entry may take several). */
  rows: number;
  events: number;
}

/** What a batch erased, from its results (`purgeBatchStatements`' order). */
export function erasedBy(results: readonly Record<string, unknown>[][]): ErasedClient[] {
  return (results[0] ?? []).map((row) => ({
    tenantId: String(row.tenantId),
    clientId: String(row.clientId),
    deletedAt: String(row.deletedAt),
    entries: Number(row.entries),
    rows: Number(row.historyRows),
    events: Number(row.events),
  }));
}

/**
 * Erases every client deleted before `cutoff`, a batch at a time, until none is left; returns what
 * was erased. `execute` runs statements as one D1 batch and returns each one's rows.
 */
export async function purgeExpired(
  execute: (statements: string[]) => Promise<Record<string, unknown>[][]>,
  cutoff: string,
  limit = PURGE_BATCH_CLIENTS,
  /** Called after each batch (at most `limit` clients), with the clients erased so far: for progress. */
  onBatch?: (erasedSoFar: number, batch: number) => void,
): Promise<ErasedClient[]> {
  const erased: ErasedClient[] = [];
  for (let n = 1; ; n++) {
    const batch = erasedBy(await execute(purgeBatchStatements(cutoff, limit)));
    erased.push(...batch);
    onBatch?.(erased.length, n);
    if (batch.length < limit) return erased;
  }
}
