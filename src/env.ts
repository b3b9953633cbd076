import { withRoundTripDelay } from "./db/round-trip-delay";
import type { EventMessage } from "./events/messages";
import type { ClientLocks } from "./write/client-lock";

/**
 * The Worker's bindings (wrangler.toml). Each environment's D1 shards (API.md §17): DB_TEST_0,
 * DB_TEST_1, … (one each by default); one rate limiter for reads, one for writes; the queue that
 * carries change events (API.md §12) to the consumer.
 */
export interface Env {
  DB_TEST_0: D1Database;
  DB_LIVE_0: D1Database;
  /** Further shards, numbered without gaps (shardCount stops at the first missing one). */
  [shard: `DB_${"TEST" | "LIVE"}_${number}`]: D1Database | undefined;
  /** The document files of each environment (API.md §15): R2, one bucket per environment. */
  FILES_TEST: R2Bucket;
  FILES_LIVE: R2Bucket;
  /**
   * Presigned uploads (API.md §15, src/files/presign.ts): R2's S3 API credentials, Worker secrets
   * (`wrangler secret put`; an R2 API token's access key id and secret, and the account id), and
   * the buckets' names as the S3 API knows them (wrangler.toml [vars], the r2_buckets' names).
   */
  R2_ACCOUNT_ID?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  FILES_TEST_BUCKET?: string;
  FILES_LIVE_BUCKET?: string;
  RATE_LIMIT_READS: RateLimit;
  RATE_LIMIT_WRITES: RateLimit;
  EVENTS_QUEUE: Queue<EventMessage>;
  /** One lock per client, taken by writes that lost a race for its history chain (write/client-lock.ts). */
  CLIENT_WRITE_LOCKS: ClientLocks;
  /**
   * Local measurement only (`npm start -- --var D1_ROUND_TRIP_DELAY_MS:80`): every D1 round trip
   * waits this long first (db/round-trip-delay.ts). Unset in wrangler.toml, so never deployed.
   */
  D1_ROUND_TRIP_DELAY_MS?: string;
  /**
   * Secret (`wrangler secret put WEBHOOK_SECRET_KEYS`): JSON {"<keyId>": "<base64 of 32 bytes>", …},
   * the AES-GCM keys webhook secrets are sealed with at rest (events/secret-box.ts). Locally
   * `npm start` writes one to .dev.vars; the tests get a test-only one from vitest.config.ts.
   */
  WEBHOOK_SECRET_KEYS?: string;
  /** The key id of WEBHOOK_SECRET_KEYS new secrets are sealed with (the others still open: rotation). */
  WEBHOOK_SECRET_KEY_ID?: string;
}

export const ENVIRONMENTS = ["test", "live"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Shards per environment at most: a key's text names its shard in one or two digits (http/keys.ts). */
export const MAX_SHARDS = 100;

/** The binding of an environment's shard: DB_TEST_0, DB_LIVE_1, … */
export const shardBinding = (environment: Environment, shard: number) => `DB_${environment === "test" ? "TEST" : "LIVE"}_${shard}` as const;

/** How many shards an environment has: its bindings DB_<ENV>_0, _1, … up to the first missing. */
export function shardCount(env: Env, environment: Environment): number {
  let n = 0;
  while (n < MAX_SHARDS && env[shardBinding(environment, n)] !== undefined) n++;
  return n;
}

/** Where a tenant's data is: its environment and, in it, its shard (API.md §17). */
export interface Place {
  environment: Environment;
  shard: number;
}

/** Every shard of every environment (what the cron sweeps). */
export function placesOf(env: Env): Place[] {
  return ENVIRONMENTS.flatMap((environment) => Array.from({ length: shardCount(env, environment) }, (_, shard) => ({ environment, shard })));
}

/**
 * THE one place a database is found: the D1 binding of an environment's shard. Every request, the
 * queue consumer and the cron reach D1 through it.
 */
export function databaseOf(env: Env, environment: Environment, shard = 0): D1Database {
  const binding = env[shardBinding(environment, shard)];
  if (binding === undefined) throw new Error(`no D1 binding ${shardBinding(environment, shard)}`);
  const delay = Number(env.D1_ROUND_TRIP_DELAY_MS ?? 0);
  return delay > 0 ? withRoundTripDelay(binding, delay) : binding;
}

/** The R2 bucket of an environment's document files (API.md §15): one per environment, all shards (keys name the tenant). */
export function filesOf(env: Env, environment: Environment): R2Bucket {
  return environment === "test" ? env.FILES_TEST : env.FILES_LIVE;
}
