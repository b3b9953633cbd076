// The clients table, for the write operations: which externalIds are taken, whether a client
// exists, creating clients in bulk, and deleting a client with everything that hangs from it.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Head } from "../history/entry";
import type { IncomingLinks } from "../history/drafts";
import { deleteRows, insertRows } from "./bulk";
import { assembleGraphs, graphStatements, selectClientById } from "./graph";
import { headsOf, headsStatement } from "./history";
import type { ClientGraph } from "./mappers";
import { tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { guardStatements } from "./guards";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents, type ClientLinkRow, type ClientRow } from "./schema";

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

/** What a DELETE reads of the client: its graph, the links to it with their parents, and the history heads of them all. */
export interface ClientDeletion {
  graph: ClientGraph;
  incoming: IncomingLinks;
  heads: Map<string, Head>;
}

/** The tenant's client `id` as a DELETE must know it (one round trip), or null when there is none. */
export function clientDeletionRead(db: Db, tenantId: Tenant, id: string): Read<ClientDeletion | null> {
  const parentIds = sql`(SELECT parent_client_id FROM client_links WHERE child_client_id = ${id} AND +tenant_id = ${tenantId})`;
  const graph = graphStatements(db, tenantId, selectClientById(db, tenantId, id));
  return {
    statements: [
      ...graph,
      db
        .select()
        .from(clientLinks)
        .where(and(tenantFilter(clientLinks.tenantId, tenantId), eq(clientLinks.childClientId, id))),
      db
        .select()
        .from(clients)
        .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, parentIds))),
      headsStatement(db, sql`(SELECT id FROM clients WHERE +tenant_id = ${tenantId} AND (id = ${id} OR id IN ${parentIds}))`),
    ],
    parse(results) {
      const found = assembleGraphs(results.slice(0, graph.length))[0];
      if (!found) return null;
      const [links, parents, heads] = results.slice(graph.length) as [ClientLinkRow[], ClientRow[], unknown];
      return { graph: found, incoming: { links, parents }, heads: headsOf(heads) };
    },
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
 * Deletes a client, its children and every link touching it — the links as read: a link made to it
 * since then makes the client's own DELETE fail on its foreign key, and the write is read again.
 * Clients it was linked to stay; those that linked to it lose a link, so their versions move.
 */
export function deleteClientGraph(db: Db, tenantId: string, deletion: ClientDeletion): Statement[] {
  const id = deletion.graph.client.id;
  const ofClient = (table: typeof addresses | typeof contactMethods | typeof bankAccounts | typeof documents) =>
    db.delete(table).where(and(tenantFilter(table.tenantId, tenantId), eq(table.clientId, id)));
  const links = [...deletion.graph.links, ...deletion.incoming.links].map((link) => link.id);
  const parents = deletion.incoming.parents.map((parent) => parent.id);
  return [
    ...(parents.length > 0
      ? [
          db
            .update(clients)
            .set({ version: sql`${clients.version} + 1` })
            .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, sql`(SELECT value FROM json_each(${JSON.stringify(parents)}))`))),
        ]
      : []),
    ...deleteRows(db, clientLinks, tenantId, links),
    ofClient(addresses),
    ofClient(contactMethods),
    ofClient(bankAccounts),
    ofClient(documents),
    db.delete(clients).where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, id))),
  ];
}
