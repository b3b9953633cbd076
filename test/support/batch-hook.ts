// Tests that play something between a request's D1 batches (another writer, a locked database)
// intercept batch(). The app runs its queries in a D1 session (src/http/consistency.ts), so the
// sessions the binding opens are intercepted as well as the binding itself.

/** Where an intercepted batch would have run: the binding, or one of its sessions. */
export interface BatchConnection {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

/** Runs (or not) one batch in place of `connection.batch(statements)`. */
export type BatchInterceptor = (statements: D1PreparedStatement[], connection: BatchConnection) => Promise<D1Result[]>;

function intercepted<T extends object>(target: T, intercept: BatchInterceptor): T {
  return new Proxy(target, {
    get(real, property) {
      if (property === "batch") return (statements: D1PreparedStatement[]) => intercept(statements, real as unknown as BatchConnection);
      if (property === "withSession") {
        return (start?: string) => intercepted((real as unknown as D1Database).withSession(start), intercept);
      }
      const value = Reflect.get(real, property, real);
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}

/** The binding with every batch, its own and its sessions', passed through `intercept`. */
export function interceptBatches(binding: D1Database, intercept: BatchInterceptor): D1Database {
  return intercepted(binding, intercept);
}
