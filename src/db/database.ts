import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { retryWhileBusy } from "./busy";

export type Db = DrizzleD1Database & { $client: D1Database };
export type Statement = BatchItem<"sqlite">;
/**
 * The tenant a statement is scoped to: its id, or, in a route's first read, the API key row's
 * tenant as a subquery (db/api-keys.ts keyTenant), NULL for a refused key.
 */
export type Tenant = string | SQL;

export function openDb(binding: D1Database): Db {
  return drizzle(binding);
}

/**
 * Waits before each new attempt of a batch that found the database locked (busy.ts): about 0.8 s
 * in all, far longer than `npm run apikey` holds the local database's lock.
 */
const BUSY_RETRY_DELAYS_MS = [10, 25, 50, 100, 200, 400];

/**
 * Runs statements as ONE D1 batch: one round trip, one transaction, all or nothing.
 * Every read and write of the API goes through here (drizzle's batch wants a non-empty tuple).
 * A batch that found the database locked did not run, and is run again (busy.ts).
 */
export async function runBatch<T extends readonly Statement[]>(db: Db, statements: T): Promise<unknown[]> {
  if (statements.length === 0) return [];
  return retryWhileBusy(() => db.batch(statements as unknown as [Statement, ...Statement[]]), BUSY_RETRY_DELAYS_MS);
}

/**
 * A SELECT whose rows come back as D1 gives them (objects keyed by column name), for a statement
 * whose rows the caller decodes itself: drizzle's own mapping of a wide result runs an entity check
 * and a decoder per cell (about a third of a maximal client's GET in the Node profile).
 * drizzle's D1 batch binds `_prepare().stmt`, which its raw query (`db.all`) lacks when the SQL has
 * parameters (drizzle-orm#2277, open): the statement is prepared here, its SQL built once.
 */
export function rowsStatement(db: Db, query: SQL): Statement {
  const raw = db.all<Record<string, unknown>>(query);
  const built = raw.getQuery();
  return Object.assign(raw, { getQuery: () => built, stmt: db.$client.prepare(built.sql) });
}

/** The statements of one read round trip, and what their results (in order) mean. */
export interface Read<T> {
  statements: Statement[];
  parse(results: readonly unknown[]): T;
}

/** Two reads as one: their statements in one round trip, and both their results. */
export function bothReads<A, B>(first: Read<A>, second: Read<B>): Read<[A, B]> {
  const split = first.statements.length;
  return {
    statements: [...first.statements, ...second.statements],
    parse: (results) => [first.parse(results.slice(0, split)), second.parse(results.slice(split))],
  };
}

/** Runs a read as ONE D1 batch. */
export async function runRead<T>(db: Db, read: Read<T>): Promise<T> {
  return read.parse(await runBatch(db, read.statements));
}

/**
 * The tenant check on a row that an index on its own key finds (id, client_id, parent). The unary
 * `+` keeps SQLite from choosing a tenant_id-prefixed index instead, which would read every row the
 * tenant has: the tenant condition confirms the row, it must not select it.
 */
export function tenantFilter(column: SQLiteColumn, tenantId: Tenant): SQL {
  return sql`+${column} = ${tenantId}`;
}
