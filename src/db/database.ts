import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";

export type Db = DrizzleD1Database;
export type Statement = BatchItem<"sqlite">;

export function openDb(binding: D1Database): Db {
  return drizzle(binding);
}

/**
 * Runs statements as ONE D1 batch: one round trip, one transaction, all or nothing.
 * Every read and write of the API goes through here (drizzle's batch wants a non-empty tuple).
 */
export async function runBatch<T extends readonly Statement[]>(db: Db, statements: T): Promise<unknown[]> {
  if (statements.length === 0) return [];
  return db.batch(statements as unknown as [Statement, ...Statement[]]);
}

/**
 * The tenant check on a row that an index on its own key finds (id, client_id, parent). The unary
 * `+` keeps SQLite from choosing a tenant_id-prefixed index instead, which would read every row the
 * tenant has: the tenant condition confirms the row, it must not select it.
 */
export function tenantFilter(column: SQLiteColumn, tenantId: string): SQL {
  return sql`+${column} = ${tenantId}`;
}
