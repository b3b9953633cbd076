// The clients table, for the write operations: which externalIds are taken, whether a client
// exists, creating clients in bulk, and deleting a client with everything that hangs from it.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import { insertRows } from "./bulk";
import { tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { guardStatements } from "./guards";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents, type ClientRow } from "./schema";

/** The tenant's clients holding any of these externalIds (unique index on tenant + externalId). */
export function clientsByExternalId(db: Db, tenantId: Tenant, externalIds: readonly string[]) {
  return db
    .select({ id: clients.id, externalId: clients.externalId })
    .from(clients)
    .where(
      and(
        eq(clients.tenantId, tenantId),
        inArray(clients.externalId, sql`(SELECT value FROM json_each(${JSON.stringify(externalIds)}))`),
      ),
    );
}

/** Which of these externalIds the tenant's clients hold (no statement when there are none). */
export function takenExternalIdsRead(db: Db, tenantId: Tenant, externalIds: readonly string[]): Read<Set<string>> {
  if (externalIds.length === 0) return { statements: [], parse: () => new Set() };
  return {
    statements: [clientsByExternalId(db, tenantId, externalIds)],
    parse: ([rows]) => new Set((rows as { externalId: string }[]).map((row) => row.externalId)),
  };
}

export interface ClientVersion {
  id: string;
  version: number;
}

/** The tenant's client `id` (its version), or null when there is none. */
export function clientVersionRead(db: Db, tenantId: Tenant, id: string): Read<ClientVersion | null> {
  return {
    statements: [
      db
        .select({ id: clients.id, version: clients.version })
        .from(clients)
        .where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, id))),
    ],
    parse: ([rows]) => (rows as ClientVersion[])[0] ?? null,
  };
}

/** A guard (guards.ts) that refuses the write batch unless the client still exists. */
export function clientStillExists(db: Db, tenantId: string, id: string): Statement[] {
  return guardStatements(db, tenantId, id, [{ kind: "rows", table: clients, keys: [], rows: [{ id }] }]);
}

/** New clients, as few INSERTs as the size of the rows allows. */
export function insertClients(db: Db, rows: readonly ClientRow[]): Statement[] {
  return insertRows(db, clients, rows);
}

/**
 * New clients, skipping (not failing on) those whose externalId is taken by then; each statement
 * returns the ids it inserted, in no particular order (match them by id).
 */
export function insertClientsSkippingTaken(db: Db, rows: readonly ClientRow[]): Statement[] {
  return insertRows(db, clients, rows, { onConflictDoNothing: true, returning: { id: clients.id } });
}

/** The ids of the rows `insertClientsSkippingTaken` inserted, from its results. */
export function insertedIds(results: readonly unknown[]): Set<string> {
  return new Set((results as { id: string }[][]).flat().map((row) => row.id));
}

/**
 * Deletes a client, its children and every link touching it. Clients it was linked to stay; those
 * that linked to it lose a link, so their versions move.
 */
export function deleteClientGraph(db: Db, tenantId: string, id: string): Statement[] {
  const ofClient = (table: typeof addresses | typeof contactMethods | typeof bankAccounts | typeof documents) =>
    db.delete(table).where(and(tenantFilter(table.tenantId, tenantId), eq(table.clientId, id)));
  const parents = db
    .select({ id: clientLinks.parentClientId })
    .from(clientLinks)
    .where(and(tenantFilter(clientLinks.tenantId, tenantId), eq(clientLinks.childClientId, id)));
  return [
    db
      .update(clients)
      .set({ version: sql`${clients.version} + 1` })
      .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, parents))),
    db
      .delete(clientLinks)
      .where(and(tenantFilter(clientLinks.tenantId, tenantId), or(eq(clientLinks.parentClientId, id), eq(clientLinks.childClientId, id)))),
    ofClient(addresses),
    ofClient(contactMethods),
    ofClient(bankAccounts),
    ofClient(documents),
    db.delete(clients).where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, id))),
  ];
}
