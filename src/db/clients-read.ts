// The reads of GET /clients/{id} and GET /clients: whole client graphs, each in ONE round trip,
// shared with the API key lookup (http/auth.ts readWithKey), so each is a `Read`.
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Db, Read, Tenant } from "./database";
import { assembleGraphs, graphStatements, selectClientById } from "./graph";
import type { ClientGraph } from "./mappers";
import { clients } from "./schema";

/** The client's graph, or null when the tenant has no such client. */
export function clientGraphRead(db: Db, tenantId: Tenant, id: string): Read<ClientGraph | null> {
  return {
    statements: graphStatements(db, tenantId, selectClientById(db, tenantId, id)),
    parse: (results) => assembleGraphs(results)[0] ?? null,
  };
}


/** Where a page starts: after this client in (createdAt, id) order. */
export interface PagePosition {
  createdAt: string;
  id: string;
}

export interface PageQuery {
  limit: number;
  after: PagePosition | null;
  externalId: string | undefined;
  /** Only complete (true) or incomplete (false) clients (API.md §16), through clients_tenant_complete_created. */
  complete?: boolean | undefined;
}

export interface ClientPage {
  graphs: ClientGraph[];
  hasMore: boolean;
}

/**
 * One page of the tenant's clients in (createdAt, id) order, and whether more follow: the graphs of
 * `limit` clients and a probe for one more, in one batch.
 */
export function clientPageRead(db: Db, tenantId: Tenant, query: PageQuery): Read<ClientPage> {
  const conditions: SQL[] = [eq(clients.tenantId, tenantId)];
  if (query.externalId !== undefined) conditions.push(eq(clients.externalId, query.externalId));
  if (query.complete !== undefined) conditions.push(eq(clients.complete, query.complete));
  if (query.after) conditions.push(sql`(${clients.createdAt}, ${clients.id}) > (${query.after.createdAt}, ${query.after.id})`);
  const page = (n: number, offset = 0) =>
    db
      .select({ id: clients.id })
      .from(clients)
      .where(and(...conditions))
      .orderBy(asc(clients.createdAt), asc(clients.id))
      .limit(n)
      .offset(offset);
  return {
    statements: [...graphStatements(db, tenantId, page(query.limit)), page(1, query.limit)],
    parse: (results) => ({ graphs: assembleGraphs(results.slice(0, -1)), hasMore: (results.at(-1) as unknown[]).length > 0 }),
  };
}
