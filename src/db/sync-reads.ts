// The read round trip of a sync: ONE D1 batch that loads the client's graph and everything the plan
// must check — who holds the externalIds the items name, and the clients the links point to.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { ListName } from "../schemas/child";
import { CHILD_KINDS } from "../schemas/kinds";
import type { SyncRequest } from "../schemas/requests";
import type { ChildOwner, Loaded } from "../sync/load";
import { runRead, tenantFilter, type Db, type Read, type Statement, type Tenant } from "./database";
import { assembleGraphs, graphStatements, selectClientByExternalId, selectClientById } from "./graph";
import type { ClientGraph } from "./mappers";
import { clients, contactMethods, type ClientRow, type ContactMethodRow } from "./schema";
import { CHILD_TABLES } from "./child-tables";
import { headsOf, headsStatement } from "./history";
import type { Head } from "../history/entry";

const json = (values: readonly string[]) => sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;

function namedIds(request: SyncRequest) {
  const ids = new Set<string>();
  const externalIds = new Set<string>();
  for (const item of request.linkedClients ?? []) {
    if (item.clientId) ids.add(item.clientId);
    if (typeof item.child?.externalId === "string") externalIds.add(item.child.externalId);
  }
  if (typeof request.client?.externalId === "string") externalIds.add(request.client.externalId);
  return { ids: [...ids], externalIds: [...externalIds] };
}

/** The read of a sync: the statements, and the `Loaded` the planner gets from their results. */
export function syncRead(db: Db, tenantId: Tenant, request: SyncRequest): Read<Loaded> {
  const externalId = request.client?.externalId;
  const selector = request.clientId
    ? selectClientById(db, tenantId, request.clientId)
    : typeof externalId === "string"
      ? selectClientByExternalId(db, tenantId, externalId)
      : null;
  const statements: Statement[] = selector ? graphStatements(db, tenantId, selector) : [];
  const graphCount = statements.length;

  const ownerLists: ListName[] = [];
  for (const kind of CHILD_KINDS) {
    const wanted = (request[kind.list] ?? []).flatMap((item) =>
      typeof item.externalId === "string" ? [item.externalId] : [],
    );
    if (wanted.length === 0) continue;
    ownerLists.push(kind.list);
    const table = CHILD_TABLES[kind.list] as typeof contactMethods;
    statements.push(
      db
        .select({ id: table.id, clientId: table.clientId, externalId: table.externalId })
        .from(table)
        .where(and(eq(table.tenantId, tenantId), inArray(table.externalId as SQLiteColumn, json(wanted)))),
    );
  }

  const named = namedIds(request);
  const hasNamed = named.ids.length + named.externalIds.length > 0;
  if (hasNamed) {
    // Two statements (by id, by externalId), each on its own index.
    statements.push(
      db.select().from(clients).where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, json(named.ids)))),
      db
        .select()
        .from(clients)
        .where(and(eq(clients.tenantId, tenantId), inArray(clients.externalId, json(named.externalIds)))),
      db
        .select()
        .from(contactMethods)
        .where(
          and(
            tenantFilter(contactMethods.tenantId, tenantId),
            inArray(contactMethods.type, ["email", "phone", "mobile"]),
            inArray(
              contactMethods.clientId,
              sql`(SELECT id FROM clients WHERE +tenant_id = ${tenantId} AND id IN ${json(named.ids)} UNION SELECT id FROM clients WHERE tenant_id = ${tenantId} AND external_id IN ${json(named.externalIds)})`,
            ),
          ),
        ),
    );
  }

  return {
    statements,
    parse(results) {
      const graph = graphCount > 0 ? (assembleGraphs(results.slice(0, graphCount))[0] ?? null) : null;
      const childOwners = { addresses: [], contactMethods: [], bankAccounts: [], documents: [] } as Record<ListName, ChildOwner[]>;
      ownerLists.forEach((list, i) => {
        childOwners[list] = results[graphCount + i] as ChildOwner[];
      });
      const rest = results.slice(graphCount + ownerLists.length);
      const byId = new Map<string, ClientRow>();
      if (hasNamed) for (const row of [...(rest[0] as ClientRow[]), ...(rest[1] as ClientRow[])]) byId.set(row.id, row);
      return {
        graph,
        childOwners,
        namedClients: [...byId.values()],
        namedContacts: hasNamed ? (rest[2] as ContactMethodRow[]) : [],
      };
    },
  };
}

/**
 * The history heads (API.md §11) of every client a sync may record a change of: the synced client
 * and the clients it names (its links' targets). Read in the same round trip as `syncRead`.
 */
export function syncHeadsRead(db: Db, tenantId: Tenant, request: SyncRequest): Read<Map<string, Head>> {
  const named = namedIds(request);
  const ids = request.clientId ? [...named.ids, request.clientId] : named.ids;
  if (ids.length + named.externalIds.length === 0) return { statements: [], parse: () => new Map() };
  const clientIds = sql`(SELECT id FROM clients WHERE +tenant_id = ${tenantId} AND id IN ${json(ids)} UNION SELECT id FROM clients WHERE tenant_id = ${tenantId} AND external_id IN ${json(named.externalIds)})`;
  return { statements: [headsStatement(db, clientIds)], parse: ([rows]) => headsOf(rows) };
}

/** `syncRead` as a round trip of its own. */
export function loadForSync(db: Db, tenantId: Tenant, request: SyncRequest): Promise<Loaded> {
  return runRead(db, syncRead(db, tenantId, request));
}

/** The client as it is now (one round trip), or null when it no longer exists. */
export async function loadClient(db: Db, tenantId: Tenant, id: string): Promise<ClientGraph | null> {
  return runRead(db, {
    statements: graphStatements(db, tenantId, selectClientById(db, tenantId, id)),
    parse: (results) => assembleGraphs(results)[0] ?? null,
  });
}
