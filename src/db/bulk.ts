// Bulk writers: a whole list travels as ONE JSON parameter and is expanded with json_each, so a
// 250-row write is one statement (D1 allows 100 bound parameters per statement) and the statement
// count does not grow with the row count. Lists are split only by size: no bound value may exceed
// 2 MB on D1.
import { and, getTableColumns, getTableName, inArray, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { tenantFilter, type Db, type Statement } from "./database";

/** Largest JSON parameter we send, in UTF-8 bytes (D1's limit is 2,000,000; leave headroom). */
export const MAX_JSON_PARAM_BYTES = 1_900_000;

type Row<T extends SQLiteTable> = T["$inferInsert"];

/**
 * A row as D1 stores it, keyed by column name (json columns as their JSON text, booleans as 0/1);
 * `keys` picks some of its properties (camelCase), else all of them.
 */
export function driverRow<T extends SQLiteTable>(table: T, row: Row<T>, keys?: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = row as Record<string, unknown>;
  if (keys) {
    const columns = columnsOf(table, keys);
    for (let i = 0; i < columns.length; i++) put(out, columns[i]!, values[keys[i]!]);
  } else {
    for (const [key, column] of allColumns(table)) put(out, column, values[key]);
  }
  return out;
}

function put(out: Record<string, unknown>, column: SQLiteColumn, value: unknown): void {
  out[column.name] = value === null || value === undefined ? null : column.mapToDriverValue(value);
}

/** Each table's columns by property key, listed once per table (driverRow maps thousands of rows). */
const ALL_COLUMNS = new WeakMap<SQLiteTable, [string, SQLiteColumn][]>();
function allColumns(table: SQLiteTable): [string, SQLiteColumn][] {
  let columns = ALL_COLUMNS.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>);
    ALL_COLUMNS.set(table, columns);
  }
  return columns;
}

const encoder = new TextEncoder();
/** Scratch space to count UTF-8 bytes in without allocating (a string of n units takes ≤ 3n bytes). */
const scratch = new Uint8Array(1 << 20);

/** UTF-8 bytes of a string. */
function utf8Bytes(text: string): number {
  return text.length * 3 <= scratch.length ? encoder.encodeInto(text, scratch).written : encoder.encode(text).length;
}

/** Splits rows into JSON arrays of at most MAX_JSON_PARAM_BYTES each. */
export function jsonChunks(rows: readonly Record<string, unknown>[], maxBytes = MAX_JSON_PARAM_BYTES): string[] {
  return countedJsonChunks(rows, maxBytes).map((chunk) => chunk.json);
}

/** `jsonChunks`, with the number of rows and the UTF-8 size of each chunk. */
export function countedJsonChunks(
  rows: readonly Record<string, unknown>[],
  maxBytes = MAX_JSON_PARAM_BYTES,
): { json: string; count: number; bytes: number }[] {
  const chunks: { json: string; count: number; bytes: number }[] = [];
  let parts: string[] = [];
  let size = 2;
  const flush = () => chunks.push({ json: `[${parts.join(",")}]`, count: parts.length, bytes: size });
  for (const row of rows) {
    const json = JSON.stringify(row);
    const bytes = utf8Bytes(json) + 1;
    if (bytes + 2 > maxBytes) throw new Error(`a row of ${bytes} bytes cannot fit one JSON parameter`);
    if (size + bytes > maxBytes && parts.length > 0) {
      flush();
      parts = [];
      size = 2;
    }
    parts.push(json);
    size += bytes;
  }
  if (parts.length > 0) flush();
  return chunks;
}

function columnsOf(table: SQLiteTable, keys?: readonly string[]): SQLiteColumn[] {
  const all = getTableColumns(table) as Record<string, SQLiteColumn>;
  return (keys ?? Object.keys(all)).map((k) => {
    const column = all[k];
    if (!column) throw new Error(`no column ${k} in ${getTableName(table)}`);
    return column;
  });
}

const fromJson = (column: SQLiteColumn) => sql.raw(`j.value ->> '${column.name}'`);

// Built with drizzle's query builders (not db.run(sql)): raw SQL with parameters cannot go in a
// drizzle batch (drizzle-orm #2277).

/** Columns (or expressions on the written row) a writer returns, one result row per written row. */
export type Returning = Record<string, SQLiteColumn | SQL>;

/** INSERT … SELECT FROM json_each(?): one statement per size chunk. */
export function insertRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  rows: readonly Row<T>[],
  options: { returning?: Returning; onConflictDoNothing?: boolean; where?: SQL } = {},
): Statement[] {
  if (rows.length === 0) return [];
  const values = sql.join(columnsOf(table).map(fromJson), sql`, `);
  // `where` may name the row being inserted as `j.value ->> '<column>'`.
  const where = options.where ?? sql`true`;
  return jsonChunks(rows.map((r) => driverRow(table, r))).map((json) => {
    const insert = db.insert(table).select(sql`SELECT ${values} FROM json_each(${json}) AS j WHERE ${where}`);
    const guarded = options.onConflictDoNothing ? insert.onConflictDoNothing() : insert;
    return options.returning ? guarded.returning(options.returning) : guarded;
  });
}

/**
 * UPDATE … FROM json_each(?): sets `keys` of each row found by id within the tenant, and adds one
 * to each column of `increment` (relative: to whatever the row holds then). Rows carry their full
 * new state; only rows that really changed should be passed (a diff, not a rewrite).
 */
export function updateRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  tenantId: string,
  rows: readonly Row<T>[],
  keys: readonly string[],
  options: { increment?: readonly string[]; returning?: Returning } = {},
): Statement[] {
  if (rows.length === 0) return [];
  const [idColumn, tenantColumn] = columnsOf(table, ["id", "tenantId"]) as [SQLiteColumn, SQLiteColumn];
  const all = getTableColumns(table) as Record<string, SQLiteColumn>;
  const increment = options.increment ?? [];
  const set = Object.fromEntries([
    ...keys.map((k) => [k, fromJson(all[k]!)]),
    ...columnsOf(table, increment).map((column, i) => [increment[i], sql`${column} + 1`]),
  ]);
  return jsonChunks(rows.map((r) => driverRow(table, r))).map((json) => {
    const update = db
      .update(table)
      .set(set as never)
      .from(sql`json_each(${json}) AS j`)
      .where(and(tenantFilter(tenantColumn, tenantId), sql`${idColumn} = j.value ->> 'id'`));
    return options.returning ? update.returning(options.returning) : update;
  });
}

/** DELETE … WHERE id IN json_each(?), within the tenant. Ids are small: one statement per chunk. */
export function deleteRows(db: Db, table: SQLiteTable, tenantId: string, ids: readonly string[]): Statement[] {
  if (ids.length === 0) return [];
  const [idColumn, tenantColumn] = columnsOf(table, ["id", "tenantId"]) as [SQLiteColumn, SQLiteColumn];
  return jsonChunks(ids.map((id) => ({ id }))).map((json) =>
    db
      .delete(table)
      .where(and(tenantFilter(tenantColumn, tenantId), inArray(idColumn, sql`(SELECT value ->> 'id' FROM json_each(${json}))`))),
  );
}
