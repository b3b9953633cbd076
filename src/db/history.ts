// The write side of the compliance record (API.md §11): the chain heads a write reads, and the
// entries (and their outbox rows, §12) it appends in the same batch as its change. A head read in
// the write's read round trip, and the entry inserted at head + 1 under the primary key
// (client_id, sequence, part): a rival that appended first makes this batch fail on that key, and
// the write is read and decided again — so a chain has no gap and no fork.
import { sql, type SQL } from "drizzle-orm";
import type { Head, SealedEntry } from "../history/entry";
import { insertRows } from "./bulk";
import type { Db, Statement, Tenant } from "./database";
import { clientHistory, clients, eventOutbox } from "./schema";

/** Characters of a body per row: with the row's other values, well under one JSON parameter (bulk.ts). */
export const BODY_PART_CHARS = 1_800_000;

/**
 * The head of each client's chain among `clientIds` (a subquery of ids, scoped to the tenant by
 * whoever builds it): two index seeks per client, whatever its history's length.
 */
export function headsStatement(db: Db, clientIds: SQL) {
  return db
    .select({ clientId: clientHistory.clientId, sequence: clientHistory.sequence, hash: clientHistory.hash, at: clientHistory.at })
    .from(clientHistory)
    .where(
      sql`${clientHistory.clientId} IN ${clientIds} AND ${clientHistory.part} = 0 AND ${clientHistory.sequence} = (SELECT max(m.sequence) FROM ${clientHistory} AS m WHERE m.client_id = ${clientHistory.clientId})`,
    );
}

/** `headsStatement`'s rows, by client. */
export function headsOf(rows: unknown): Map<string, Head> {
  return new Map((rows as Head[]).map((head) => [head.clientId, head]));
}

/** The versions of these clients (a subquery of ids, as for `headsStatement`): one index seek each. */
export function versionsStatement(db: Db, clientIds: SQL) {
  return db.select({ id: clients.id, version: clients.version }).from(clients).where(sql`${clients.id} IN ${clientIds}`);
}

/** `versionsStatement`'s rows, by client. */
export function versionsOf(rows: unknown): Map<string, number> {
  return new Map((rows as { id: string; version: number }[]).map((row) => [row.id, row.version]));
}

/** The ids of these clients in the tenant (for `headsStatement`). */
export function tenantClientIds(tenantId: Tenant, ids: readonly string[]): SQL {
  return sql`(SELECT id FROM clients WHERE +tenant_id = ${tenantId} AND id IN (SELECT value FROM json_each(${JSON.stringify(ids)})))`;
}

/** The event type of an entry (API.md §12). */
export function eventTypeOf(sealed: SealedEntry): "client.created" | "client.updated" | "client.deleted" {
  const own = sealed.entry.changes.find((c) => c.entity === "client" && c.id === sealed.entry.clientId);
  if (own?.action === "created") return "client.created";
  if (own?.action === "deleted") return "client.deleted";
  return "client.updated";
}

export interface AppendOptions {
  /**
   * Append an entry only if its client row exists once the batch's earlier statements ran (a
   * non-atomic batch skips, in SQL, the clients whose externalId a rival took): no entry without its change.
   */
  onlyIfClientExists?: boolean;
  /** The ids of the outbox rows (one per entry), made by the caller. */
  eventIds: readonly string[];
  /** No outbox rows: entries that record no change (src/write/backfill.ts). */
  withoutEvents?: boolean;
}

/**
 * The statements that append `entries` to their chains, and — only when the tenant has a webhook
 * endpoint, checked by the statement itself — one outbox row per entry.
 */
export function appendEntries(db: Db, tenantId: string, entries: readonly SealedEntry[], options: AppendOptions): Statement[] {
  if (entries.length === 0) return [];
  const rows = entries.flatMap(({ entry, body, linked }) => {
    const parts = Math.max(1, Math.ceil(body.length / BODY_PART_CHARS));
    return Array.from({ length: parts }, (_, part) => ({
      tenantId,
      clientId: entry.clientId,
      sequence: entry.sequence,
      part,
      parts: part === 0 ? parts : null,
      at: part === 0 ? entry.at : null,
      operation: part === 0 ? entry.operation : null,
      hash: part === 0 ? entry.hash : null,
      linked: part === 0 && linked.length > 0 ? JSON.stringify(linked) : null,
      body: body.slice(part * BODY_PART_CHARS, (part + 1) * BODY_PART_CHARS),
    }));
  });
  const clientExists = options.onlyIfClientExists ? sql`EXISTS (SELECT 1 FROM clients c WHERE c.id = j.value ->> 'client_id')` : undefined;
  const history = insertRows(db, clientHistory, rows, { where: clientExists });
  if (options.withoutEvents) return history;

  const events = entries.map((sealed, i) => ({
    id: options.eventIds[i]!,
    tenantId,
    clientId: sealed.entry.clientId,
    sequence: sealed.entry.sequence,
    type: eventTypeOf(sealed),
    createdAt: sealed.entry.at,
    queuedAt: null,
  }));
  // The entry must be there too (it may have been skipped, see onlyIfClientExists): no event without its change.
  const withEndpoint = sql`EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.tenant_id = ${tenantId}) AND EXISTS (SELECT 1 FROM client_history h WHERE h.client_id = j.value ->> 'client_id' AND h.sequence = j.value ->> 'sequence' AND h.part = 0)`;
  return [...history, ...insertRows(db, eventOutbox, events, { where: withEndpoint })];
}
