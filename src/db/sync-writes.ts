// The write round trip of a sync: the plan as ONE D1 batch. Its first statements re-check what the
// plan was made from and abort the whole batch when that moved (no lost update); the write path
// (src/write/) then reads and plans again.
//
// Two modes. "relaxed" (the default) guards only what the plan depends on — the rows it rewrites or
// deletes, the set of a list that replaceMode empties, the primary rows of a list where it writes a
// primary — so concurrent syncs of one client that touch different records all succeed. "strict"
// (Idempotency-Key, If-Match: the answer must be exactly the planned state) guards the version of
// every client of the graph, so any concurrent change of the graph refuses the batch.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ChildRow } from "../schemas/child";
import { CLIENT_FIELDS } from "../schemas/client";
import { CHILD_KINDS } from "../schemas/kinds";
import type { SyncRequest } from "../schemas/requests";
import type { Loaded } from "../sync/load";
import type { Plan } from "../sync/plan";
import { deleteRows, insertRows, updateRows } from "./bulk";
import { tenantFilter, type Db, type Statement } from "./database";
import { guardStatements, type Precondition } from "./guards";
import { clientLinks, clients, contactMethods, type ClientRow } from "./schema";
import { CHILD_TABLES } from "./child-tables";

export type WriteMode = "strict" | "relaxed";

export interface SyncWrite {
  statements: Statement[];
  /**
   * From the batch's results for `statements`: true when nothing but this batch changed the graph
   * since the read, so the plan's answer is the client as the batch left it.
   */
  answerIsExact(results: readonly unknown[]): boolean;
}

/** A client update sets its own fields and updatedAt (and its version moves by one). */
const CLIENT_UPDATE_KEYS = [...CLIENT_FIELDS, "updatedAt"];
const LINK_KEYS = ["relationshipType", "metadata"];

const byId = <T extends { id: string }>(rows: Iterable<T>) => new Map([...rows].map((r) => [r.id, r]));

/** Every client the read saw, by id: the synced one, its linked clients, those the request names. */
function clientsRead(loaded: Loaded): Map<string, ClientRow> {
  const graph = loaded.graph;
  return byId([...(graph ? [graph.client, ...graph.linkedClients.values()] : []), ...loaded.namedClients]);
}

/** The stored rows (as read) of `ids`; every id the plan names was read. */
/** A row holding a primary slot (API.md §4.6); documents have none. */
const isPrimaryRow = (row: ChildRow): boolean => "isPrimary" in row && row.isPrimary === true;

function asRead<T extends { id: string }>(stored: Map<string, T>, ids: Iterable<string>): T[] {
  return [...ids].map((id) => stored.get(id)!);
}

function relaxedPreconditions(plan: Plan, loaded: Loaded, request: SyncRequest): Precondition[] {
  const graph = loaded.graph;
  const read = clientsRead(loaded);
  const out: Precondition[] = [
    { kind: "rows", table: clients, keys: CLIENT_FIELDS, rows: asRead(read, plan.clients.update.map((c) => c.id)) },
  ];
  if (!graph) return out;
  for (const kind of CHILD_KINDS) {
    const changes = plan.children[kind.list];
    const stored = graph[kind.list] as ChildRow[];
    const storedById = byId(stored);
    const content = asRead(storedById, changes.update.map((r) => r.id));
    // A primary written here demoted the primaries the read saw: no other primary may appear meanwhile.
    if ([...changes.insert, ...changes.update].some(isPrimaryRow)) {
      const primaries = stored.filter(isPrimaryRow);
      content.push(...primaries);
      out.push({ kind: "count", table: CHILD_TABLES[kind.list], ownerKey: "clientId", primaryOnly: true, count: primaries.length });
    }
    out.push({ kind: "rows", table: CHILD_TABLES[kind.list], keys: kind.fields, rows: content });
    if (request.replaceMode && request[kind.list] !== undefined) {
      // replaceMode deleted whatever the read saw untargeted: the list must hold exactly those rows.
      out.push({ kind: "count", table: CHILD_TABLES[kind.list], ownerKey: "clientId", primaryOnly: false, count: stored.length });
      out.push({ kind: "rows", table: CHILD_TABLES[kind.list], keys: ["clientId"], rows: stored });
    } else {
      // An item deletes the row its id or externalId named.
      out.push({ kind: "rows", table: CHILD_TABLES[kind.list], keys: ["externalId"], rows: asRead(storedById, changes.delete) });
    }
  }
  const links = byId(graph.links);
  out.push({ kind: "rows", table: clientLinks, keys: LINK_KEYS, rows: asRead(links, plan.links.update.map((l) => l.id)) });
  if (request.replaceMode && request.linkedClients !== undefined) {
    out.push({ kind: "count", table: clientLinks, ownerKey: "parentClientId", primaryOnly: false, count: graph.links.length });
    out.push({ kind: "rows", table: clientLinks, keys: ["parentClientId"], rows: graph.links });
  } else {
    out.push({ kind: "rows", table: clientLinks, keys: [], rows: asRead(links, plan.links.delete) });
  }
  return out;
}

function strictPreconditions(plan: Plan, loaded: Loaded): Precondition[] {
  const linked = [...(loaded.graph?.linkedClients.values() ?? [])];
  return [{ kind: "rows", table: clients, keys: ["version"], rows: [...plan.guards, ...linked] }];
}

/** The clients the answer shows that existed when read: the synced one and its linked clients. */
function shownClients(plan: Plan, loaded: Loaded): string[] {
  const deleted = new Set(plan.links.delete);
  const created = new Set(plan.clients.insert.map((c) => c.id));
  const kept = (loaded.graph?.links ?? []).filter((l) => !deleted.has(l.id));
  const linked = [...kept, ...plan.links.insert].map((l) => l.childClientId);
  return [...new Set([...(loaded.graph ? [loaded.graph.client.id] : []), ...linked])].filter((id) => !created.has(id));
}

interface ReturnedClient {
  id: string;
  version: number;
  watch: string | null;
}

export function syncWrite(db: Db, tenantId: string, plan: Plan, loaded: Loaded, request: SyncRequest, mode: WriteMode): SyncWrite {
  const graph = loaded.graph;
  const preconditions = mode === "strict" ? strictPreconditions(plan, loaded) : relaxedPreconditions(plan, loaded, request);
  const statements = guardStatements(db, tenantId, graph?.client.id ?? null, preconditions);

  // Clients; versions move by one, relative to what the row holds. In relaxed mode the client
  // updates return (id, version), and one statement also the versions of the clients the answer
  // shows that the batch does not write (`watch`): so the batch itself tells whether another
  // request changed the graph between the read and this write (the plan's answer is then stale).
  const read = clientsRead(loaded);
  const bump = graph !== null && plan.bumpVersion;
  const written = [...plan.clients.update.map((c) => c.id), ...(bump ? [plan.clientId] : [])];
  const watched = shownClients(plan, loaded).filter((id) => !written.includes(id));
  const expected = new Map([
    ...written.map((id): [string, number] => [id, read.get(id)!.version + 1]),
    ...watched.map((id): [string, number] => [id, read.get(id)?.version ?? -1]),
  ]);
  const checking = mode === "relaxed" && expected.size > 0;
  // The watch rides on one row: the bump's, else the first updated client's, else the first inserted.
  const host = bump ? plan.clientId : (plan.clients.update[0]?.id ?? plan.clients.insert[0]?.id);
  const returning = {
    id: clients.id,
    version: clients.version,
    watch:
      watched.length > 0
        ? sql<string | null>`CASE WHEN ${clients.id} = ${host} THEN (SELECT json_group_object(w.id, w.version) FROM ${clients} AS w WHERE w.id IN (SELECT value FROM json_each(${JSON.stringify(watched)})) AND +w.tenant_id = ${tenantId}) END`
        : sql<null>`NULL`,
  };
  const returningOf = (hosts: boolean) => (checking && hosts ? { returning } : {});
  const clientStatements = { from: statements.length, to: 0 };
  // Parents before the rows that reference them; deletes before inserts (externalIds free up).
  const insertHostsWatch = !bump && plan.clients.update.length === 0 && watched.length > 0;
  statements.push(...insertRows(db, clients, plan.clients.insert, returningOf(insertHostsWatch)));
  statements.push(...updateRows(db, clients, tenantId, plan.clients.update, CLIENT_UPDATE_KEYS, { increment: ["version"], ...returningOf(true) }));
  if (bump) {
    const statement = db
      .update(clients)
      .set({ version: sql`${clients.version} + 1` })
      .where(and(tenantFilter(clients.tenantId, tenantId), eq(clients.id, plan.clientId)));
    statements.push(checking ? statement.returning(returning) : statement);
  }
  clientStatements.to = statements.length;
  statements.push(...deleteRows(db, clientLinks, tenantId, plan.links.delete));
  for (const kind of CHILD_KINDS) statements.push(...deleteRows(db, CHILD_TABLES[kind.list], tenantId, plan.children[kind.list].delete));
  for (const kind of CHILD_KINDS) {
    const release = plan.children[kind.list].release;
    if (release.length === 0) continue;
    const table = CHILD_TABLES[kind.list] as typeof contactMethods;
    statements.push(
      db
        .update(table)
        .set({ externalId: null })
        .where(and(tenantFilter(table.tenantId, tenantId), inArray(table.id, sql`(SELECT value FROM json_each(${JSON.stringify(release)}))`))),
    );
  }
  for (const kind of CHILD_KINDS) {
    const changes = plan.children[kind.list];
    statements.push(...insertRows(db, CHILD_TABLES[kind.list], changes.insert.map((row) => ({ ...row, tenantId }))));
    statements.push(...updateRows(db, CHILD_TABLES[kind.list], tenantId, changes.update, [...kind.fields, "updatedAt"]));
  }
  statements.push(...insertRows(db, clientLinks, plan.links.insert));
  statements.push(...updateRows(db, clientLinks, tenantId, plan.links.update, [...LINK_KEYS, "updatedAt"]));

  return {
    statements,
    answerIsExact(results) {
      if (!checking) return true;
      const seen = new Map<string, number>();
      for (const rows of results.slice(clientStatements.from, clientStatements.to)) {
        if (!Array.isArray(rows)) continue; // an insert that returns nothing
        for (const row of rows as ReturnedClient[]) {
          seen.set(row.id, row.version);
          if (row.watch !== null) for (const [id, version] of Object.entries(JSON.parse(row.watch) as Record<string, number>)) seen.set(id, version);
        }
      }
      return [...expected].every(([id, version]) => seen.get(id) === version);
    },
  };
}
