import { withRoundTripDelay } from "./db/round-trip-delay";
import type { EventMessage } from "./events/messages";
import type { ClientLocks } from "./write/client-lock";

/**
 * The Worker's bindings (wrangler.toml). One D1 database per environment; one rate limiter for
 * reads, one for writes; the queue that carries change events (API.md §12) to the consumer.
 */
export interface Env {
  DB_TEST: D1Database;
  DB_LIVE: D1Database;
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

export function databaseOf(env: Env, environment: Environment): D1Database {
  const binding = environment === "test" ? env.DB_TEST : env.DB_LIVE;
  const delay = Number(env.D1_ROUND_TRIP_DELAY_MS ?? 0);
  return delay > 0 ? withRoundTripDelay(binding, delay) : binding;
}

/** The R2 bucket of an environment's document files (API.md §15): looked up with its database. */
export function filesOf(env: Env, environment: Environment): R2Bucket {
  return environment === "test" ? env.FILES_TEST : env.FILES_LIVE;
}
