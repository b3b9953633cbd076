// Loading client graphs: every statement selects by an indexed key (client id, tenant + externalId,
// children by client_id, links by parent), so rows read depend on the graphs, not on the database.
import { and, eq, getTableColumns, getTableName, sql, type SQLWrapper } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { rowsStatement, tenantFilter, type Db, type Statement, type Tenant } from "./database";
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

/**
 * The graph's parts, as the arms of the one statement that loads them: its rows come back in one
 * column layout (`p`, the part's index; `c0`… its columns in the table's order, NULL past its last),
 * put back in `order` — the order each part had as a statement of its own — by `assembleGraphs`.
 */
const LINKS_OF_SELECTED = "x.parent_client_id IN (SELECT id FROM sel) AND +x.tenant_id = (SELECT tenant FROM t)";
const LINKED_IDS = `(SELECT y.child_client_id FROM client_links y WHERE ${LINKS_OF_SELECTED.replaceAll("x.", "y.")})`;
const GRAPH_PARTS = [
  { table: clients, from: "clients x WHERE x.id IN (SELECT id FROM sel) AND +x.tenant_id = (SELECT tenant FROM t)", order: ["created_at", "id"] },
  ...[addresses, contactMethods, bankAccounts, documents].map((table) => ({
    table,
    from: `${getTableName(table)} x WHERE x.client_id IN (SELECT id FROM sel) AND +x.tenant_id = (SELECT tenant FROM t)`,
    order: ["created_at", "id"],
  })),
  // The links (unique on parent, child) and the clients and contact methods they point to, each
  // through the links' own index: a materialized list of them would be read once more per use.
  { table: clientLinks, from: `client_links x WHERE ${LINKS_OF_SELECTED}`, order: ["parent_client_id", "child_client_id"] },
  { table: clients, from: `clients x WHERE x.id IN ${LINKED_IDS} AND +x.tenant_id = (SELECT tenant FROM t)`, order: ["id"] },
  {
    table: contactMethods,
    from: `contact_methods x WHERE x.client_id IN ${LINKED_IDS} AND +x.tenant_id = (SELECT tenant FROM t) AND x.type IN ('email', 'phone', 'mobile')`,
    order: ["client_id", "created_at", "id"],
  },
].map(({ table, from, order }) => ({ table, from, order, columns: Object.entries(getTableColumns(table)) as [string, SQLiteColumn][] }));

const WIDTH = Math.max(...GRAPH_PARTS.map((part) => part.columns.length));
const padded = (names: readonly string[], width: number, as: string) =>
  Array.from({ length: width }, (_, i) => `${i < names.length ? `x.${names[i]}` : "NULL"} AS ${as}${i}`).join(", ");

/** D1 allows 5 terms in a compound SELECT (SQLITE_LIMIT_COMPOUND_SELECT): more are nested, 4 a term. */
const COMPOUND_TERMS = 4;
function compound(arms: readonly string[]): string {
  if (arms.length <= COMPOUND_TERMS + 1) return arms.join(" UNION ALL ");
  const terms: string[] = [];
  for (let i = 0; i < arms.length; i += COMPOUND_TERMS) terms.push(`SELECT * FROM (${arms.slice(i, i + COMPOUND_TERMS).join(" UNION ALL ")})`);
  return compound(terms);
}

/** The statement's text after the tenant and before the selector, and after the selector: built once. */
const GRAPH_SQL_AFTER_TENANT = "), sel(id) AS MATERIALIZED (SELECT * FROM ";
const GRAPH_SQL_AFTER_SELECTOR =
  ") " +
  compound(
    GRAPH_PARTS.map(
      (part, p) =>
        `SELECT ${p} AS p, ${padded(part.columns.map(([, column]) => column.name), WIDTH, "c")} FROM ${part.from}`,
    ),
  );

/**
 * The statement that loads the graphs of the selected clients — one statement, so one built query
 * and one result however many parts; parse its results with `assembleGraphs`, which decodes its
 * rows (they come back as D1 gives them). The tenant and the selection are computed once
 * (MATERIALIZED), every part is found through its client's index. It starts with SELECT, as every
 * read does (the tests tell reads from writes by it).
 */
export function graphStatements(db: Db, tenantId: Tenant, selector: ClientSelector): Statement[] {
  return [
    rowsStatement(db, sql`SELECT * FROM (WITH t(tenant) AS MATERIALIZED (SELECT ${tenantId}${sql.raw(GRAPH_SQL_AFTER_TENANT)}${selector}${sql.raw(GRAPH_SQL_AFTER_SELECTOR)})`),
  ];
}

export const GRAPH_STATEMENT_COUNT = 1;

type GraphPart = (typeof GRAPH_PARTS)[number];

/** Where each part's `order` columns are in a row (`c<i>`). */
const ORDER_KEYS = GRAPH_PARTS.map((part) => part.order.map((name) => `c${part.columns.findIndex(([, column]) => column.name === name)}`));

/**
 * Rows of one part in its order. Sorted here, not by the statement: D1 counts every row an ORDER BY
 * sorts as read once more (a maximal client's graph read 4,030 rows sorted in SQL, 2,529 unsorted).
 * The keys are ids (UUIDs) and ISO instants, ASCII, where JavaScript's comparison of strings is
 * SQLite's BINARY one; each order ends with a unique key, so no two rows tie.
 */
function inOrder(rows: Record<string, unknown>[], keys: readonly string[]): Record<string, unknown>[] {
  return rows.sort((a, b) => {
    for (const key of keys) {
      const x = a[key] as string;
      const y = b[key] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** One part's rows as drizzle would have mapped them from a statement of their own. */
function partRows<T>(rows: Record<string, unknown>[], part: GraphPart, p: number): T[] {
  return inOrder(rows, ORDER_KEYS[p]!).map((row) => {
    const out: Record<string, unknown> = {};
    part.columns.forEach(([key, column], i) => {
      const value = row[`c${i}`];
      out[key] = value === null ? null : column.mapFromDriverValue(value);
    });
    return out as T;
  });
}

/** A graph's parts as the rows of each, in the order of `GRAPH_PARTS`. */
export type GraphPartRows = [
  ClientRow[],
  AddressRow[],
  ContactMethodRow[],
  BankAccountRow[],
  DocumentRow[],
  ClientLinkRow[],
  ClientRow[],
  ContactMethodRow[],
];

/** Groups the results of `graphStatements` into one graph per client, in the clients' order. */
export function assembleGraphs(results: readonly unknown[]): ClientGraph[] {
  const byPart: Record<string, unknown>[][] = GRAPH_PARTS.map(() => []);
  for (const row of results[0] as Record<string, unknown>[]) byPart[row.p as number]!.push(row);
  return graphsOf(GRAPH_PARTS.map((part, p) => partRows(byPart[p]!, part, p)) as GraphPartRows);
}

/** One graph per client of the parts' rows, in the clients' order. */
export function graphsOf([clientRows, addressRows, contactRows, bankRows, documentRows, linkRows, linkedRows, linkedContactRows]: GraphPartRows): ClientGraph[] {
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
