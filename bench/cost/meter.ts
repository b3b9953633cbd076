// The D1 meter of the cost runner: a D1Database look-alike around the real binding that records, per
// request, every statement (SQL, bound values, round trip), round trips, batch sizes, and the rows
// read and written that D1 reports in each result's `meta`. Unlike the test suite's guard
// (test/support/d1-guard.ts) it enforces nothing: a workload over a limit is measured, not failed.

export interface MeteredStatement {
  sql: string;
  params: unknown[];
  roundTrip: number;
  /** Position inside its batch (0 for single calls). */
  index: number;
  rowsRead: number | null;
  rowsWritten: number | null;
}

export interface MeterRecord {
  label: string;
  statements: MeteredStatement[];
  roundTrips: number;
  batchSizes: number[];
  /** Wall time of each round trip (ms), as the Worker waits for it. */
  roundTripMs: number[];
  rowsRead: number;
  rowsWritten: number;
  /** Statements D1 returned no meta for (raw/first/exec calls). */
  unmetered: number;
}

const newRecord = (label: string): MeterRecord => ({
  label,
  statements: [],
  roundTrips: 0,
  batchSizes: [],
  roundTripMs: [],
  rowsRead: 0,
  rowsWritten: 0,
  unmetered: 0,
});

const REAL = Symbol("real statement");

interface Meta {
  rows_read?: number;
  rows_written?: number;
}

class Statement {
  readonly [REAL]: D1PreparedStatement;
  constructor(
    readonly connection: Connection,
    readonly sql: string,
    readonly params: unknown[],
    real: D1PreparedStatement,
  ) {
    this[REAL] = real;
  }
  bind(...values: unknown[]): D1PreparedStatement {
    return new Statement(this.connection, this.sql, values, this[REAL].bind(...values)) as unknown as D1PreparedStatement;
  }
  async first<T = unknown>(column?: string): Promise<T | null> {
    const result = await this.connection.run([this], (s) => s[0]!.all());
    const row = (result.results[0] ?? null) as Record<string, unknown> | null;
    return (column === undefined || row === null ? row : row[column]) as T | null;
  }
  all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.connection.run([this], (s) => s[0]!.all<T>());
  }
  run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.connection.run([this], (s) => s[0]!.run<T>());
  }
  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    return this.connection.run([this], (s) => s[0]!.raw(options as { columnNames?: false }) as Promise<T[]>);
  }
}

class Connection {
  constructor(
    readonly binding: D1Database,
    readonly record: MeterRecord,
  ) {}

  prepare(sql: string): D1PreparedStatement {
    return new Statement(this, sql, [], this.binding.prepare(sql)) as unknown as D1PreparedStatement;
  }

  async run<R>(statements: Statement[], call: (real: D1PreparedStatement[]) => Promise<R>, batch = false): Promise<R> {
    const roundTrip = this.record.roundTrips++;
    const entries = statements.map((s, index): MeteredStatement => ({ sql: s.sql, params: s.params, roundTrip, index, rowsRead: null, rowsWritten: null }));
    this.record.statements.push(...entries);
    const started = performance.now();
    const result = await call(statements.map((s) => s[REAL]));
    this.record.roundTripMs[roundTrip] = performance.now() - started;
    const results = batch ? (result as unknown[]) : [result];
    entries.forEach((entry, i) => {
      const meta = (results[i] as { meta?: Meta } | undefined)?.meta;
      if (!meta || typeof meta.rows_read !== "number") {
        this.record.unmetered++;
        return;
      }
      entry.rowsRead = meta.rows_read;
      entry.rowsWritten = meta.rows_written ?? 0;
      this.record.rowsRead += entry.rowsRead;
      this.record.rowsWritten += entry.rowsWritten;
    });
    return result;
  }

  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const own = statements as unknown as Statement[];
    for (const s of own) if (!(REAL in s)) throw new Error("meter: a batch statement was not prepared through the meter");
    this.record.batchSizes.push(own.length);
    return this.run(own, (real) => this.binding.batch<T>(real), true);
  }
}

class MeteredDatabase extends Connection {
  async exec(query: string): Promise<D1ExecResult> {
    this.record.roundTrips++;
    this.record.unmetered++;
    return this.binding.exec(query);
  }
  withSession(): never {
    throw new Error("meter: withSession is not metered");
  }
  dump(): Promise<ArrayBuffer> {
    return this.binding.dump();
  }
}

export class Meter {
  readonly records: MeterRecord[] = [];
  /** Shaped for createApp({ wrapDatabase }): one record per request. */
  wrap = (binding: D1Database, request?: Request): D1Database => {
    const record = newRecord(request ? `${request.method} ${new URL(request.url).pathname}` : "(direct)");
    this.records.push(record);
    return new MeteredDatabase(binding, record) as unknown as D1Database;
  };
  get last(): MeterRecord | undefined {
    return this.records.at(-1);
  }
}
