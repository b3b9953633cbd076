// A D1Database over node:sqlite, for the Node profile (bench/profile/profile.ts) only: the same SQL
// as D1 (both are SQLite), the binding's API as the app uses it (prepare/bind/first/all/raw/run,
// batch in one transaction, withSession). Not D1: no rows_read/rows_written, no limits, no network.
// `onCall` runs at every round trip (the memory pass samples the heap there).
import { DatabaseSync, type StatementSync } from "node:sqlite";

type Value = null | number | bigint | string | Uint8Array;

const toSqlite = (v: unknown): Value => {
  if (v === undefined) throw new Error("D1_TYPE_ERROR: undefined is not a supported type");
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return v as Value;
};

export function sqliteD1(db: DatabaseSync, onCall: () => void = () => {}): D1Database {
  const cache = new Map<string, StatementSync>();
  const compiled = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const meta = (changes = 0, lastRowId = 0) => ({ duration: 0, size_after: 0, rows_read: 0, rows_written: 0, last_row_id: lastRowId, changed_db: changes > 0, changes });
  class Stmt {
    constructor(readonly sql: string, readonly values: Value[] = []) {}
    bind(...values: unknown[]) {
      return new Stmt(this.sql, values.map(toSqlite));
    }
    exec(): D1Result<Record<string, unknown>> {
      const s = compiled(this.sql);
      if (s.columns().length === 0) {
        const r = s.run(...this.values);
        return { results: [], success: true, meta: meta(Number(r.changes), Number(r.lastInsertRowid)) } as D1Result<Record<string, unknown>>;
      }
      const rows = s.all(...this.values) as Record<string, unknown>[];
      return { results: rows.map((r) => ({ ...r })), success: true, meta: meta() } as D1Result<Record<string, unknown>>;
    }
    async first(column?: string) {
      onCall();
      const row = this.exec().results[0];
      return row === undefined ? null : column === undefined ? row : row[column];
    }
    async all() {
      onCall();
      return this.exec();
    }
    async run() {
      onCall();
      return this.exec();
    }
    async raw(options?: { columnNames?: boolean }) {
      onCall();
      const s = compiled(this.sql);
      s.setReturnArrays(true);
      try {
        const rows = s.columns().length === 0 ? (s.run(...this.values), []) : (s.all(...this.values) as unknown as unknown[][]);
        return options?.columnNames ? [s.columns().map((c) => c.name), ...rows] : rows;
      } finally {
        s.setReturnArrays(false);
      }
    }
  }
  const binding = {
    prepare: (sql: string) => new Stmt(sql),
    async batch(statements: Stmt[]) {
      onCall();
      db.exec("BEGIN");
      try {
        const out = statements.map((s) => s.exec());
        db.exec("COMMIT");
        return out;
      } catch (error) {
        db.exec("ROLLBACK");
        throw new Error(`D1_ERROR: ${(error as Error).message}`);
      }
    },
    async exec(sql: string) {
      db.exec(sql);
      return { count: 1, duration: 0 };
    },
    withSession: () => ({ ...binding, getBookmark: () => null }),
    dump: async () => new ArrayBuffer(0),
  };
  return binding as unknown as D1Database;
}
