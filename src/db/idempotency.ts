// The idempotency_keys table: one stored answer per (tenant, key), in parts of at most PART_BYTES
// (http/idempotency.ts says what a record is and when it is complete).
import { and, asc, count, eq, getTableColumns, lt, sql } from "drizzle-orm";
import { runBatch, type Db, type Statement, type Tenant } from "./database";
import { idempotencyKeys } from "./schema";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Parts per INSERT: each row binds one value per column, and a statement binds at most 100. */
const PARTS_PER_INSERT = Math.floor(100 / Object.keys(getTableColumns(idempotencyKeys)).length);

const ofKey = (tenantId: Tenant, key: string) => and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key));

/** The rows stored under a key, in part order. */
export function recordRows(db: Db, tenantId: Tenant, key: string) {
  return db.select().from(idempotencyKeys).where(ofKey(tenantId, key)).orderBy(asc(idempotencyKeys.part));
}

/** `recordRows` as a round trip of its own. */
export async function readRecordRows(db: Db, tenantId: Tenant, key: string): Promise<IdempotencyRow[]> {
  const [rows] = (await runBatch(db, [recordRows(db, tenantId, key)])) as [IdempotencyRow[]];
  return rows;
}

/** The rows of one record: as few INSERTs as the parameter limit allows. */
export function insertRecordRows(db: Db, rows: readonly IdempotencyRow[]): Statement[] {
  const inserts: Statement[] = [];
  for (let i = 0; i < rows.length; i += PARTS_PER_INSERT) {
    inserts.push(db.insert(idempotencyKeys).values(rows.slice(i, i + PARTS_PER_INSERT)));
  }
  return inserts;
}

/**
 * Deletes whole records created before `expired`: those holding any of the `rowLimit` oldest expired
 * rows, all their parts (the limit may cut across a record without splitting it).
 */
export function purgeExpiredRecords(db: Db, expired: string, rowLimit: number) {
  const oldest = db
    .select({ tenantId: idempotencyKeys.tenantId, key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, expired))
    .orderBy(asc(idempotencyKeys.createdAt))
    .limit(rowLimit);
  return db
    .delete(idempotencyKeys)
    .where(and(lt(idempotencyKeys.createdAt, expired), sql`(${idempotencyKeys.tenantId}, ${idempotencyKeys.key}) IN ${oldest}`));
}

/**
 * Deletes the rows of a key unless they form a complete record (part 0 declares how many rows there
 * are). Decided in SQL, inside the write batch: a complete record a concurrent request stored
 * meanwhile stays.
 */
export function dropIncompleteRecord(db: Db, tenantId: string, key: string) {
  const rowCount = db.select({ n: count() }).from(idempotencyKeys).where(ofKey(tenantId, key));
  const declared = db
    .select({ parts: idempotencyKeys.parts })
    .from(idempotencyKeys)
    .where(and(ofKey(tenantId, key), eq(idempotencyKeys.part, 0)));
  return db.delete(idempotencyKeys).where(and(ofKey(tenantId, key), sql`${rowCount} IS NOT ${declared}`));
}
