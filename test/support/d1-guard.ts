// The D1 guard: a D1Database look-alike that wraps a real binding, to (a) record what a request
// does to D1 — every statement, round trips (and their wall time), rows read/written from D1's own
// `meta` — and (b) enforce the production limits that local D1 does not all enforce (API.md §9,
// d1-platform.md A.1). The tests use both; the benchmark's cost runner (bench/cost) uses it as its
// recorder, with `enforceLimits: false`: a workload over a limit is measured there, not failed.
//
// A violation is recorded, and (enforcing) thrown as an Error whose message starts with
// "D1 guard:", so the request fails and the harness fails the test. `failStatement` injects faults:
// a statement it selects is replaced by one that fails at run time inside D1, so a batch aborts.

/** Production D1 limits (developers.cloudflare.com/d1/platform/limits). */
export const D1_LIMITS = {
  /** Bound parameters per statement. */
  maxParams: 100,
  /** Bytes of SQL text per statement (each statement of a batch). */
  maxSqlBytes: 100_000,
  /** Arguments of one SQL function call (local workerd allows 127). */
  maxFunctionArgs: 32,
  /** Bytes of one string or BLOB value (local workerd allows 4 MiB). */
  maxValueBytes: 2_000_000,
  /** Bytes of one row: the values one row of an INSERT … VALUES binds, together. */
  maxRowBytes: 2_000_000,
  /** D1 statements in one request (Free plan per-invocation query limit; not enforced locally). */
  maxStatementsPerRequest: 50,
} as const;

/** A statement that fails at run time (malformed JSON), after the statements before it ran. */
export const FAILING_SQL = "SELECT json('not json') AS injected_fault";

export type CallKind = "batch" | "first" | "all" | "run" | "raw" | "exec";

/** One statement as it was executed. */
export interface StatementRecord {
  sql: string;
  /** Number of bound parameters. */
  params: number;
  /** The bound values themselves, when the guard keeps them (`keepValues`; the bench explains plans with them). */
  values?: readonly unknown[];
  kind: CallKind;
  /** Where the D1 session that carried it started (its withSession argument); null outside a session. */
  session: string | null;
  /** Index of the round trip (within its request) that carried it. */
  roundTrip: number;
  /** Position inside its batch (0 for single calls). */
  index: number;
  /** From D1's `meta`; null when D1 gave none (`first`/`raw`/`exec`, or the call failed). */
  rowsRead: number | null;
  rowsWritten: number | null;
  /** True when `failStatement` replaced it by FAILING_SQL. */
  injectedFault: boolean;
}

export interface Violation {
  limit: keyof typeof D1_LIMITS;
  message: string;
  sql: string;
}

/** Everything one request (one `wrap` call) did to D1. */
export interface RequestRecord {
  /** What was wrapped: "<METHOD> <path>" of the request, or the label given to `wrap`. */
  label: string;
  statements: StatementRecord[];
  /** Each batch/first/all/run/raw/exec call is one round trip. */
  roundTrips: number;
  statementCount: number;
  rowsRead: number;
  rowsWritten: number;
  /** Statements whose rows could not be counted (no `meta`): `first`, `raw`, `exec`. */
  unmeteredStatements: number;
  /** Statement count of each batch, in order. */
  batchSizes: number[];
  /** Each D1 session opened (withSession), as where it started: "first-primary", "first-unconstrained" or a bookmark. */
  sessions: string[];
  /** Wall time of each round trip (ms), as the Worker waits for it (workerd's clock moves on I/O). */
  roundTripMs: number[];
  violations: Violation[];
}

export interface D1GuardOptions {
  /** Throw on a broken limit (default). false only records it: the bench measures such a request. */
  enforceLimits?: boolean;
  /** Keep every statement's bound values in its record (default false: tests bind megabytes). */
  keepValues?: boolean;
}

/** What `failStatement` is asked about each statement before it is sent. */
export interface StatementInfo {
  sql: string;
  params: readonly unknown[];
  kind: CallKind;
  /** Position inside its batch (0 for single calls). */
  index: number;
  /** Number of statements of the call (1 for single calls). */
  of: number;
  record: RequestRecord;
}

export function emptyRecord(label = "(no database access)"): RequestRecord {
  return {
    label,
    statements: [],
    roundTrips: 0,
    statementCount: 0,
    rowsRead: 0,
    rowsWritten: 0,
    unmeteredStatements: 0,
    batchSizes: [],
    sessions: [],
    roundTripMs: [],
    violations: [],
  };
}

// ------------------------------------------------------------------------------------------------
// Static checks of one statement
// ------------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

export function byteLength(value: unknown): number {
  if (typeof value === "string") return encoder.encode(value).length;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return value.length; // D1 accepts byte arrays as BLOBs
  return 0;
}

/** Words that may be followed by "(" without being a function call. */
const NOT_A_CALL = new Set(
  (
    "IN VALUES EXISTS AS ON USING INTO TABLE KEY REFERENCES CHECK UNIQUE OVER FILTER SELECT FROM WHERE AND OR " +
    "NOT WHEN THEN ELSE CASE JOIN SET CONFLICT DEFAULT BY LIMIT OFFSET IS LIKE GLOB MATCH REGEXP BETWEEN ESCAPE " +
    "DISTINCT ALL RETURNING HAVING WITH RECURSIVE UNION EXCEPT INTERSECT PARTITION WINDOW ROWS RANGE GROUPS " +
    "PRECEDING FOLLOWING END DO UPDATE INSERT REPLACE DELETE CREATE INDEX VIEW TRIGGER GENERATED ALWAYS STORED " +
    "VIRTUAL PRIMARY FOREIGN CONSTRAINT COLLATE ASC DESC NULLS ISNULL NOTNULL"
  ).split(" "),
);
/** After these words an identifier is a table name, even when "(" follows (a column list). */
const TABLE_NAME_AFTER = new Set(["INTO", "UPDATE", "TABLE", "REFERENCES", "EXISTS", "VIEW", "TRIGGER"]);

type Token =
  | { kind: "word"; text: string; quoted: boolean; at: number }
  | { kind: "punct"; text: string; at: number };

/** Tokens of a SQL text: words (identifiers/keywords), and punctuation; strings and comments dropped. */
export function tokenize(sqlText: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sqlText.length;
  while (i < n) {
    const c = sqlText[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && sqlText[i + 1] === "-") {
      while (i < n && sqlText[i] !== "\n") i++;
    } else if (c === "/" && sqlText[i + 1] === "*") {
      const end = sqlText.indexOf("*/", i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === "'") {
      // string literal; '' is an escaped quote
      i++;
      while (i < n) {
        if (sqlText[i] === "'") {
          if (sqlText[i + 1] === "'") i += 2;
          else break;
        } else i++;
      }
      i++;
      tokens.push({ kind: "punct", text: "'…'", at: i });
    } else if (c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      const start = i;
      i++;
      while (i < n) {
        if (sqlText[i] === close) {
          if (close !== "]" && sqlText[i + 1] === close) i += 2;
          else break;
        } else i++;
      }
      i++;
      tokens.push({ kind: "word", text: sqlText.slice(start + 1, i - 1), quoted: true, at: start });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sqlText[i]!)) i++;
      tokens.push({ kind: "word", text: sqlText.slice(start, i), quoted: false, at: start });
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[0-9A-Za-z_.]/.test(sqlText[i]!)) i++;
      tokens.push({ kind: "punct", text: "0", at: i });
    } else if (c === "?" || c === ":" || c === "@" || c === "$") {
      i++;
      while (i < n && /[0-9A-Za-z_]/.test(sqlText[i]!)) i++;
      tokens.push({ kind: "punct", text: "?", at: i });
    } else {
      tokens.push({ kind: "punct", text: c, at: i });
      i++;
    }
  }
  return tokens;
}

export interface FunctionCall {
  name: string;
  args: number;
}

/** Every SQL function call of a statement, with its number of top-level arguments. */
export function functionCalls(sqlText: string): FunctionCall[] {
  const tokens = tokenize(sqlText);
  const calls: FunctionCall[] = [];
  for (let t = 0; t < tokens.length - 1; t++) {
    const token = tokens[t]!;
    if (token.kind !== "word" || token.quoted || tokens[t + 1]!.text !== "(") continue;
    const upper = token.text.toUpperCase();
    if (NOT_A_CALL.has(upper)) continue;
    // A table name (possibly schema-qualified) after INSERT INTO / UPDATE / TABLE / REFERENCES …
    let before = t - 1;
    while (before >= 1 && tokens[before]!.text === "." && tokens[before - 1]!.kind === "word") before -= 2;
    const previous = tokens[before];
    if (previous && previous.kind === "word" && !previous.quoted && TABLE_NAME_AFTER.has(previous.text.toUpperCase())) {
      continue;
    }
    // … or after ON in CREATE INDEX.
    if (previous?.kind === "word" && previous.text.toUpperCase() === "ON" && tokens[0]?.text.toUpperCase() === "CREATE") {
      continue;
    }
    let depth = 0;
    let commas = 0;
    let empty = true;
    for (let u = t + 2; u < tokens.length; u++) {
      const inner = tokens[u]!;
      if (inner.text === "(") depth++;
      else if (inner.text === ")") {
        if (depth === 0) break;
        depth--;
      } else if (inner.text === "," && depth === 0) commas++;
      if (!(inner.text === ")" && depth === 0)) empty = false;
    }
    const args = empty ? 0 : commas + 1;
    calls.push({ name: token.text, args });
  }
  return calls;
}

/**
 * The bound bytes of each row an `INSERT INTO t (c1, …, cn) VALUES (…), (…)` statement writes, when
 * every row binds one parameter per column (as drizzle's inserts do); else null. Inserts that take
 * their rows from one JSON parameter (json_each) are covered by the per-value limit.
 */
export function insertRowBytes(sqlText: string, params: readonly unknown[]): number[] | null {
  const match = /^\s*insert\s+into\s+\S+\s*\(([^)]*)\)\s*values\s*\(/i.exec(sqlText);
  if (!match) return null;
  const columns = match[1]!.split(",").length;
  if (params.length === 0 || params.length % columns !== 0) return null;
  const rows: number[] = [];
  for (let i = 0; i < params.length; i += columns) {
    let total = 0;
    for (let c = 0; c < columns; c++) total += byteLength(params[i + c]);
    rows.push(total);
  }
  return rows;
}

/** The limits one statement breaks, as violation messages (empty when it is fine). */
export function checkStatement(sqlText: string, params: readonly unknown[]): Omit<Violation, "sql">[] {
  const found: Omit<Violation, "sql">[] = [];
  if (params.length > D1_LIMITS.maxParams) {
    found.push({
      limit: "maxParams",
      message: `D1 guard: ${params.length} bound parameters in one statement (D1 allows ${D1_LIMITS.maxParams})`,
    });
  }
  const sqlBytes = encoder.encode(sqlText).length;
  if (sqlBytes > D1_LIMITS.maxSqlBytes) {
    found.push({
      limit: "maxSqlBytes",
      message: `D1 guard: statement of ${sqlBytes} bytes of SQL (D1 allows ${D1_LIMITS.maxSqlBytes})`,
    });
  }
  for (const call of functionCalls(sqlText)) {
    if (call.args > D1_LIMITS.maxFunctionArgs) {
      found.push({
        limit: "maxFunctionArgs",
        message: `D1 guard: ${call.name}() called with ${call.args} arguments (D1 allows ${D1_LIMITS.maxFunctionArgs})`,
      });
    }
  }
  (insertRowBytes(sqlText, params) ?? []).forEach((bytes, row) => {
    if (bytes > D1_LIMITS.maxRowBytes) {
      found.push({ limit: "maxRowBytes", message: `D1 guard: row ${row + 1} of an INSERT binds ${bytes} bytes (D1 allows ${D1_LIMITS.maxRowBytes} per row)` });
    }
  });
  params.forEach((value, index) => {
    const bytes = byteLength(value);
    if (bytes > D1_LIMITS.maxValueBytes) {
      found.push({
        limit: "maxValueBytes",
        message: `D1 guard: bound parameter ${index + 1} is ${bytes} bytes (D1 allows ${D1_LIMITS.maxValueBytes})`,
      });
    }
  });
  return found;
}

// ------------------------------------------------------------------------------------------------
// The wrapper
// ------------------------------------------------------------------------------------------------

const REAL = Symbol("real D1 statement");

interface Executor {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

class GuardedStatement {
  readonly [REAL]: D1PreparedStatement;
  constructor(
    private readonly connection: GuardedConnection,
    readonly sql: string,
    readonly params: readonly unknown[],
    real: D1PreparedStatement,
  ) {
    this[REAL] = real;
  }

  bind(...values: unknown[]): D1PreparedStatement {
    return new GuardedStatement(this.connection, this.sql, values, this[REAL].bind(...values)) as unknown as D1PreparedStatement;
  }

  async first<T = unknown>(colName?: string): Promise<T | null> {
    // Through all() (same round trip) so that D1's meta counts the rows it read.
    const result = await this.connection.single(this, "first", (s) => s.all());
    const row = (result.results[0] ?? null) as Record<string, unknown> | null;
    if (colName === undefined) return row as T | null;
    if (row === null) return null;
    if (!(colName in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`);
    return row[colName] as T;
  }

  run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.connection.single(this, "run", (s) => s.run<T>());
  }

  all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    return this.connection.single(this, "all", (s) => s.all<T>());
  }

  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    // D1 returns no meta for raw(): its rows are not counted (see RequestRecord.unmeteredStatements).
    return this.connection.single(this, "raw", (s) => s.raw(options as { columnNames?: false }) as Promise<T[]>);
  }
}

function isGuarded(statement: unknown): statement is GuardedStatement {
  return typeof statement === "object" && statement !== null && REAL in statement;
}

function metaOf(result: unknown): { rowsRead: number | null; rowsWritten: number | null } {
  const meta = (result as { meta?: Partial<D1Meta> } | null)?.meta;
  if (!meta || typeof meta.rows_read !== "number") return { rowsRead: null, rowsWritten: null };
  return { rowsRead: meta.rows_read, rowsWritten: meta.rows_written ?? 0 };
}

/** A binding (or session) as seen by one request. */
class GuardedConnection {
  constructor(
    readonly guard: D1Guard,
    readonly executor: Executor,
    readonly record: RequestRecord,
    /** Where this connection's session started; null for the binding itself. */
    readonly session: string | null = null,
  ) {}

  prepare(query: string): D1PreparedStatement {
    return new GuardedStatement(this, query, [], this.executor.prepare(query)) as unknown as D1PreparedStatement;
  }

  /** Records the statements of one round trip, checks every limit, and picks the ones to fail. */
  admit(kind: CallKind, statements: readonly GuardedStatement[]): { records: StatementRecord[]; faulty: boolean[]; roundTrip: number } {
    const record = this.record;
    const roundTrip = record.roundTrips++;
    const records: StatementRecord[] = [];
    const faulty: boolean[] = [];
    const violations: Violation[] = [];
    statements.forEach((statement, index) => {
      const info: StatementInfo = { sql: statement.sql, params: statement.params, kind, index, of: statements.length, record };
      const fail = this.guard.failStatement?.(info) === true;
      faulty.push(fail);
      const entry: StatementRecord = {
        sql: statement.sql,
        params: statement.params.length,
        kind,
        session: this.session,
        roundTrip,
        index,
        rowsRead: null,
        rowsWritten: null,
        injectedFault: fail,
      };
      if (this.guard.keepValues) entry.values = statement.params;
      records.push(entry);
      record.statements.push(entry);
      record.statementCount++;
      for (const v of checkStatement(statement.sql, statement.params)) violations.push({ ...v, sql: statement.sql });
    });
    if (record.statementCount > D1_LIMITS.maxStatementsPerRequest) {
      violations.push({
        limit: "maxStatementsPerRequest",
        message: `D1 guard: ${record.statementCount} D1 statements in one request, more than ${D1_LIMITS.maxStatementsPerRequest} (${record.label})`,
        sql: statements.at(-1)?.sql ?? "",
      });
    }
    if (kind === "batch") record.batchSizes.push(statements.length);
    if (violations.length > 0) {
      record.violations.push(...violations);
      this.guard.violations.push(...violations);
      if (this.guard.enforceLimits) throw new Error(violations.map((v) => v.message).join("; "));
    }
    return { records, faulty, roundTrip };
  }

  private real(statement: GuardedStatement, faulty: boolean): D1PreparedStatement {
    return faulty ? this.executor.prepare(FAILING_SQL) : statement[REAL];
  }

  /** Runs one round trip, timing it. */
  async timed<R>(roundTrip: number, call: () => Promise<R>): Promise<R> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.record.roundTripMs[roundTrip] = performance.now() - started;
    }
  }

  async single<R>(statement: GuardedStatement, kind: CallKind, call: (s: D1PreparedStatement) => Promise<R>): Promise<R> {
    const { records, faulty, roundTrip } = this.admit(kind, [statement]);
    const result = await this.timed(roundTrip, () => call(this.real(statement, faulty[0]!)));
    const { rowsRead, rowsWritten } = metaOf(result);
    if (rowsRead === null) this.record.unmeteredStatements++;
    else this.count(records[0]!, rowsRead, rowsWritten ?? 0);
    return result;
  }

  private count(entry: StatementRecord, rowsRead: number, rowsWritten: number) {
    entry.rowsRead = rowsRead;
    entry.rowsWritten = rowsWritten;
    this.record.rowsRead += rowsRead;
    this.record.rowsWritten += rowsWritten;
  }

  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const guarded = statements.map((s, i) => {
      if (!isGuarded(s)) throw new Error(`D1 guard: batch statement ${i} was not prepared through the guarded binding`);
      return s;
    });
    const { records, faulty, roundTrip } = this.admit("batch", guarded);
    const results = await this.timed(roundTrip, () => this.executor.batch<T>(guarded.map((s, i) => this.real(s, faulty[i]!))));
    results.forEach((result, i) => {
      const { rowsRead, rowsWritten } = metaOf(result);
      if (rowsRead === null) this.record.unmeteredStatements++;
      else this.count(records[i]!, rowsRead, rowsWritten ?? 0);
    });
    return results;
  }
}

class GuardedDatabase extends GuardedConnection {
  constructor(
    guard: D1Guard,
    private readonly binding: D1Database,
    record: RequestRecord,
  ) {
    super(guard, binding, record);
  }

  async exec(query: string): Promise<D1ExecResult> {
    // exec() takes no parameters and gives no rows meta; each ;-separated statement is counted.
    const parts = query
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    const statements = parts.map((sqlText) => new GuardedStatement(this, sqlText, [], null as unknown as D1PreparedStatement));
    const { roundTrip } = this.admit("exec", statements); // exec cannot inject faults: failStatement's answer is ignored
    this.record.unmeteredStatements += statements.length;
    return this.timed(roundTrip, () => this.binding.exec(query));
  }

  withSession(constraintOrBookmark?: string): D1DatabaseSession {
    const session = this.binding.withSession(constraintOrBookmark);
    const start = constraintOrBookmark ?? "first-unconstrained"; // D1's default
    this.record.sessions.push(start);
    const connection = new GuardedConnection(this.guard, session, this.record, start);
    return {
      prepare: (query: string) => connection.prepare(query),
      batch: <T = unknown>(statements: D1PreparedStatement[]) => connection.batch<T>(statements),
      getBookmark: () => session.getBookmark(),
    } as unknown as D1DatabaseSession;
  }

  dump(): Promise<ArrayBuffer> {
    return this.binding.dump();
  }
}

export class D1Guard {
  readonly enforceLimits: boolean;
  readonly keepValues: boolean;
  constructor(options: D1GuardOptions = {}) {
    this.enforceLimits = options.enforceLimits ?? true;
    this.keepValues = options.keepValues ?? false;
  }

  /** One record per `wrap` call (per request), oldest first. */
  readonly records: RequestRecord[] = [];
  /** Every violation seen, across requests. */
  readonly violations: Violation[] = [];
  /** Fault injection: return true to make that statement fail inside D1 (its batch rolls back). */
  failStatement: ((info: StatementInfo) => boolean) | undefined = undefined;

  /**
   * Wraps a binding for one request and opens that request's record. Shaped for
   * `createApp({ wrapDatabase: guard.wrap })`.
   */
  wrap = (binding: D1Database, request?: Request | string): D1Database => {
    const label =
      typeof request === "string" ? request : request ? `${request.method} ${new URL(request.url).pathname}` : "(direct)";
    const record = emptyRecord(label);
    this.records.push(record);
    if (typeof request === "object") this.byRequest.set(request, [...(this.byRequest.get(request) ?? []), record]);
    return new GuardedDatabase(this, binding, record) as unknown as D1Database;
  };

  private readonly byRequest = new WeakMap<Request, RequestRecord[]>();

  /** The records opened for one request object (correct even when requests run in parallel). */
  recordsOf(request: Request): RequestRecord[] {
    return this.byRequest.get(request) ?? [];
  }

  /** The record of the last `wrap` call. */
  get last(): RequestRecord | undefined {
    return this.records.at(-1);
  }
}

export function createD1Guard(options?: D1GuardOptions): D1Guard {
  return new D1Guard(options);
}
