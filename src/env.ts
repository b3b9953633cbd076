/** The Worker's bindings (wrangler.toml). One D1 database per environment. */
export interface Env {
  DB_TEST: D1Database;
  DB_LIVE: D1Database;
}

export const ENVIRONMENTS = ["test", "live"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function databaseOf(env: Env, environment: Environment): D1Database {
  return environment === "test" ? env.DB_TEST : env.DB_LIVE;
}
