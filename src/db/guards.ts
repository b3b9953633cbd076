// Preconditions of a write batch. D1 has no interactive transactions, so a batch re-checks inside
// itself what its plan was made from: a guard statement inserts a row into write_guards — whose
// CHECK refuses every row — when a precondition no longer holds, and the whole batch rolls back
// (`isStaleGraph`). Rows are compared by content, NULL-safe (`IS`), as D1 stores them: a row that
// changed and changed back passes, since the plan made from it is still right.
import { getTableColumns, getTableName, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { countedJsonChunks, driverRow, MAX_JSON_PARAM_BYTES } from "./bulk";
import type { Db, Statement } from "./database";
import { writeGuards } from "./schema";

/** These rows (found by id, within the tenant) still exist and still hold what was read in `keys`. */
export interface RowsAsRead {
  table: SQLiteTable;
  keys: readonly string[];
  rows: readonly { id: string }[];
}

/** The owner (the synced client) still has `count` rows in `table` (only primary ones if `primaryOnly`). */
export interface CountAsRead {
  table: SQLiteTable;
  /** The column naming the owner: clientId, or parentClientId for links. */
  ownerKey: string;
  primaryOnly: boolean;
  count: number;
}

export type Precondition = ({ kind: "rows" } & RowsAsRead) | ({ kind: "count" } & CountAsRead);

/** Conditions per statement at most (each binds one parameter; D1 allows 100 per statement). */
const MAX_CONDITIONS = 90;

interface Condition {
  /** True when the precondition FAILS. */
  sql: SQL;
  bytes: number;
}

function column(table: SQLiteTable, key: string): string {
  const found = (getTableColumns(table) as Record<string, SQLiteColumn>)[key];
  if (!found) throw new Error(`no column ${key} in ${getTableName(table)}`);
  return found.name;
}

const quoted = (name: string) => `"${name}"`;

/** One condition per JSON chunk: fewer rows found with the read values than the chunk holds. */
function rowsConditions({ table, keys, rows }: RowsAsRead): Condition[] {
  if (rows.length === 0) return [];
  const names = keys.map((k) => column(table, k));
  const same = names.map((name) => ` AND t.${quoted(name)} IS j.value ->> '${name}'`).join("");
  const expected = [...new Map(rows.map((row) => [row.id, { id: row.id, ...driverRow(table, row as never, keys) }])).values()];
  const from = quoted(getTableName(table));
  return countedJsonChunks(expected).map(({ json, count, bytes }) => ({
    sql: sql`(SELECT count(*) FROM json_each(${json}) AS j JOIN ${sql.raw(from)} AS t ON t."id" = j.value ->> 'id' AND +t."tenant_id" = g.tenant${sql.raw(same)}) <> ${sql.raw(String(count))}`,
    bytes,
  }));
}

function countCondition({ table, ownerKey, primaryOnly, count }: CountAsRead): Condition {
  const primary = primaryOnly ? ` AND t.${quoted(column(table, "isPrimary"))} = 1` : "";
  return {
    sql: sql.raw(
      `(SELECT count(*) FROM ${quoted(getTableName(table))} AS t WHERE t.${quoted(column(table, ownerKey))} = g.owner AND +t."tenant_id" = g.tenant${primary}) <> ${count}`,
    ),
    bytes: 0,
  };
}

/**
 * The guard statements of `preconditions` (owner: the synced client's id, for the counts): as few
 * as the size of the values allows — one for a typical sync — each binding at most
 * MAX_JSON_PARAM_BYTES of JSON.
 */
export function guardStatements(db: Db, tenantId: string, owner: string | null, preconditions: readonly Precondition[]): Statement[] {
  const conditions = preconditions.flatMap((p) => (p.kind === "rows" ? rowsConditions(p) : [countCondition(p)]));
  const groups: Condition[][] = [];
  let bytes = 0;
  for (const condition of conditions) {
    const current = groups.at(-1);
    if (!current || bytes + condition.bytes > MAX_JSON_PARAM_BYTES || current.length >= MAX_CONDITIONS) {
      groups.push([condition]);
      bytes = condition.bytes;
    } else {
      current.push(condition);
      bytes += condition.bytes;
    }
  }
  return groups.map((group) =>
    db.insert(writeGuards).select(
      sql`SELECT 0 FROM (SELECT ${tenantId} AS tenant, ${owner} AS owner) AS g WHERE ${sql.join(
        group.map((c) => c.sql),
        sql` OR `,
      )}`,
    ),
  );
}
