// A D1 binding that waits `rttMs` before sending each round trip (batch, run, all, first, raw,
// exec): what a request does with the database `rttMs` away, as from a Worker far from its D1
// primary or replica. Used by `npm run bench -- --rtt …` (between the real binding and the D1
// guard, so the guard's round-trip times include the wait), by the tests of concurrent writes, and
// by `npm start -- --var D1_ROUND_TRIP_DELAY_MS:80` (env.ts): a local server as far from its
// database as a Worker on another continent, to try concurrency as callers meet it. Never set in
// wrangler.toml.
//
// The whole round trip is waited before the call (a real network splits it around D1's work: the
// sum is the same, and nothing here overlaps two calls of one request).

const REAL = Symbol("undelayed D1 statement");

type Wait = () => Promise<void>;

class DelayedStatement {
  readonly [REAL]: D1PreparedStatement;
  constructor(
    real: D1PreparedStatement,
    private readonly wait: Wait,
  ) {
    this[REAL] = real;
  }

  bind(...values: unknown[]): D1PreparedStatement {
    return new DelayedStatement(this[REAL].bind(...values), this.wait) as unknown as D1PreparedStatement;
  }

  async first<T = unknown>(colName?: string): Promise<T | null> {
    await this.wait();
    return colName === undefined ? this[REAL].first<T>() : this[REAL].first<T>(colName);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    await this.wait();
    return this[REAL].run<T>();
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    await this.wait();
    return this[REAL].all<T>();
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    await this.wait();
    return this[REAL].raw<T>(options as { columnNames?: false });
  }
}

function real(statement: D1PreparedStatement, i: number): D1PreparedStatement {
  if (!(typeof statement === "object" && statement !== null && REAL in statement)) {
    throw new Error(`rtt delay: batch statement ${i} was not prepared through the delayed binding`);
  }
  return (statement as unknown as DelayedStatement)[REAL];
}

interface Connection {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

function delayedConnection(connection: Connection, wait: Wait) {
  return {
    prepare: (query: string) => new DelayedStatement(connection.prepare(query), wait) as unknown as D1PreparedStatement,
    batch: async <T = unknown>(statements: D1PreparedStatement[]) => {
      const unwrapped = statements.map(real);
      await wait();
      return connection.batch<T>(unwrapped);
    },
  };
}

/** `binding` with `rttMs` added to every round trip; the binding itself when `rttMs` is 0. */
export function withRoundTripDelay(binding: D1Database, rttMs: number): D1Database {
  if (rttMs <= 0) return binding;
  const wait: Wait = () => new Promise((resolve) => setTimeout(resolve, rttMs));
  return {
    ...delayedConnection(binding, wait),
    exec: async (query: string) => {
      await wait();
      return binding.exec(query);
    },
    withSession: (constraintOrBookmark?: string) => {
      const session = binding.withSession(constraintOrBookmark);
      return { ...delayedConnection(session, wait), getBookmark: () => session.getBookmark() } as unknown as D1DatabaseSession;
    },
    dump: () => binding.dump(),
  } as unknown as D1Database;
}
