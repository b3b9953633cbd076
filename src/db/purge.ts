// Retention (API.md §11, §15): a deleted client's history — its outbox rows, and its documents'
// files in R2 — is kept for the
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
  /** R2 objects erased under the client's prefix (its documents' files, API.md §15). */
  files: number;
}

/** What purge uses of an R2 bucket (the Worker's binding, or the local one of npm start). */
export interface FileBucket {
  list(options: { prefix: string; cursor?: string }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
  delete(keys: string[]): Promise<void>;
}

/**
 * The R2 prefix of every file of a client: `files/<tenant>/<client>/` (src/files/upload.ts
 * clientFilesPrefixOf builds the same; test/files/purge.test.ts checks they agree).
 */
export const clientFilesPrefix = (tenantId: string, clientId: string) => `files/${tenantId}/${clientId}/`;

/** Erases every object of a client's files; how many. */
export async function eraseClientFiles(bucket: FileBucket, tenantId: string, clientId: string): Promise<number> {
  let erased = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: clientFilesPrefix(tenantId, clientId), ...(cursor ? { cursor } : {}) });
    const keys = page.objects.map((o) => o.key);
    if (keys.length > 0) await bucket.delete(keys);
    erased += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return erased;
}

/** The tenant and id of the clients the next batch erases (the same query as the batch's). */
export function nextBatchStatement(cutoff: string, limit = PURGE_BATCH_CLIENTS): string {
  return (
    `SELECT d.tenant_id AS tenantId, d.client_id AS clientId FROM client_history d ` +
    `WHERE d.operation = 'delete' AND ${ownDeletion("d")} AND d.client_id IN (${expired(cutoff, limit)}) ORDER BY d.at, d.client_id`
  );
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
    files: 0,
  }));
}

/**
 * Erases every client deleted before `cutoff`, a batch at a time, until none is left; returns what
 * was erased. `execute` runs statements as one D1 batch and returns each one's rows. With `files`,
 * each batch's clients' files are erased first, then their history: a failure in between leaves
 * history naming a file already past retention, never a file that no record names (which no later
 * purge could find).
 */
export async function purgeExpired(
  execute: (statements: string[]) => Promise<Record<string, unknown>[][]>,
  cutoff: string,
  limit = PURGE_BATCH_CLIENTS,
  files?: FileBucket,
  /** Called after each batch (at most `limit` clients), with the clients erased so far: for progress. */
  onBatch?: (erasedSoFar: number, batch: number) => void,
): Promise<ErasedClient[]> {
  const erased: ErasedClient[] = [];
  for (let n = 1; ; n++) {
    const filesErased = new Map<string, number>();
    if (files) {
      const [next = []] = await execute([nextBatchStatement(cutoff, limit)]);
      for (const row of next) filesErased.set(String(row.clientId), await eraseClientFiles(files, String(row.tenantId), String(row.clientId)));
    }
    const batch = erasedBy(await execute(purgeBatchStatements(cutoff, limit))).map((c) => ({ ...c, files: filesErased.get(c.clientId) ?? 0 }));
    erased.push(...batch);
    onBatch?.(erased.length, n);
    if (batch.length < limit) return erased;
  }
}
