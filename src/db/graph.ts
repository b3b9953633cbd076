// Loading client graphs: every statement selects by an indexed key (client id, tenant + externalId,
// children by client_id, links by parent), so rows read depend on the graphs, not on the database.
import { and, asc, eq, inArray, type SQLWrapper } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { tenantFilter, type Db, type Statement, type Tenant } from "./database";
import type { ClientGraph } from "./mappers";
import {
  addresses,
  bankAccounts,
  clientLinks,
  clients,
  contactMethods,
  documents,
  type AddressRow,
  type BankAccountRow,
  type ClientLinkRow,
  type ClientRow,
  type ContactMethodRow,
  type DocumentRow,
} from "./schema";

/** Which clients to load: a subquery yielding client ids (already scoped to the tenant). */
export type ClientSelector = SQLWrapper;

export function selectClientById(db: Db, tenantId: Tenant, id: string) {
  return db
    .select({ id: clients.id })
    .from(clients)
    .where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, id)));
}

export function selectClientByExternalId(db: Db, tenantId: Tenant, externalId: string) {
  return db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.tenantId, tenantId), eq(clients.externalId, externalId)));
}

/** The statements that load the graphs of the selected clients; parse their results with `assembleGraphs`. */
export function graphStatements(db: Db, tenantId: Tenant, selector: ClientSelector): Statement[] {
  const children = <T extends typeof addresses | typeof contactMethods | typeof bankAccounts | typeof documents>(
    table: T,
  ) =>
    db
      .select()
      .from(table)
      .where(and(tenantFilter(table.tenantId, tenantId), inArray(table.clientId as SQLiteColumn, selector)))
      .orderBy(asc(table.createdAt), asc(table.id));
  const linkedIds = db
    .select({ id: clientLinks.childClientId })
    .from(clientLinks)
    .where(and(tenantFilter(clientLinks.tenantId, tenantId), inArray(clientLinks.parentClientId, selector)));
  return [
    db
      .select()
      .from(clients)
      .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, selector)))
      .orderBy(asc(clients.createdAt), asc(clients.id)),
    children(addresses),
    children(contactMethods),
    children(bankAccounts),
    children(documents),
    db
      .select()
      .from(clientLinks)
      .where(and(tenantFilter(clientLinks.tenantId, tenantId), inArray(clientLinks.parentClientId, selector))),
    db
      .select()
      .from(clients)
      .where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, linkedIds))),
    db
      .select()
      .from(contactMethods)
      .where(
        and(
          tenantFilter(contactMethods.tenantId, tenantId),
          inArray(contactMethods.clientId, linkedIds),
          inArray(contactMethods.type, ["email", "phone", "mobile"]),
        ),
      ),
  ];
}

export const GRAPH_STATEMENT_COUNT = 8;

/** Groups the results of `graphStatements` into one graph per client, in the clients' order. */
export function assembleGraphs(results: readonly unknown[]): ClientGraph[] {
  const [clientRows, addressRows, contactRows, bankRows, documentRows, linkRows, linkedRows, linkedContactRows] =
    results as [
      ClientRow[],
      AddressRow[],
      ContactMethodRow[],
      BankAccountRow[],
      DocumentRow[],
      ClientLinkRow[],
      ClientRow[],
      ContactMethodRow[],
    ];
  const linked = new Map(linkedRows.map((c) => [c.id, c]));
  const ofClient = <T extends { clientId: string }>(rows: T[], id: string) => rows.filter((r) => r.clientId === id);
  return clientRows.map((client) => {
    const links = linkRows.filter((l) => l.parentClientId === client.id);
    const linkedClients = new Map<string, ClientRow>();
    for (const link of links) {
      const row = linked.get(link.childClientId);
      if (row) linkedClients.set(row.id, row);
    }
    return {
      client,
      addresses: ofClient(addressRows, client.id),
      contactMethods: ofClient(contactRows, client.id),
      bankAccounts: ofClient(bankRows, client.id),
      documents: ofClient(documentRows, client.id),
      links,
      linkedClients,
      linkedContacts: linkedContactRows.filter((c) => linkedClients.has(c.clientId)),
    };
  });
}
