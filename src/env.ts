import type { EventMessage } from "./events/messages";

/**
 * The Worker's bindings (wrangler.toml). One D1 database per environment; one rate limiter for
 * reads, one for writes; the queue that carries change events (API.md §12) to the consumer.
 */
export interface Env {
  DB_TEST: D1Database;
  DB_LIVE: D1Database;
  RATE_LIMIT_READS: RateLimit;
  RATE_LIMIT_WRITES: RateLimit;
  EVENTS_QUEUE: Queue<EventMessage>;
}

export const ENVIRONMENTS = ["test", "live"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function databaseOf(env: Env, environment: Environment): D1Database {
  return environment === "test" ? env.DB_TEST : env.DB_LIVE;
}
