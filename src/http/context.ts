import type { IRequestStrict } from "itty-router";
import type { Db, Tenant } from "../db/database";
import type { Environment } from "../env";
import type { EventMessage } from "../events/messages";
import type { Permission } from "./keys";
import type { ClientLocks } from "../write/client-lock";

/** What the pipeline learns about a request before a route handler runs. */
export interface ApiRequest extends IRequestStrict {
  requestId: string;
  origin: string;
  /** Set by `withEnvironment`. */
  environment: Environment;
  /** Set by `withApiKey`: the shard of the environment that holds the key's tenant (API.md §17). */
  shard: number;
  /** The request's D1 session (every query of `db` runs in it); its bookmark is the response's X-Consistency-Token. */
  session?: D1DatabaseSession;
  db: Db;
  /** Set by `withEnvironment`: the environment's bucket of document files (API.md §15). */
  files: R2Bucket;
  /**
   * Opens a session at the primary of ANOTHER environment's database (and its bucket), through
   * env.ts `databaseOf`/`filesOf` and the same wrapping as the request's own: only copy-to-live
   * (API.md §16) uses it, for live.
   */
  openEnvironment?: (environment: Environment, key: { text: string; hash: string }) => { db: Db; session: D1DatabaseSession; files: R2Bucket; shard: number } | null;
  /** Set by `withApiKey`: the key's hash and the permissions the route needs, not yet looked up. */
  apiKey: { hash: string; needed: readonly Permission[] };
  /**
   * What the route's first read is scoped by: before the key is checked, the key row's tenant as a
   * subquery (http/auth.ts readWithKey); after, the tenant id.
   */
  tenant: Tenant;
  /** Set once the key row is checked (in the route's first read): until then, not to be used. */
  tenantId: string;
  permissions: readonly Permission[];
  /** Set once the key row is checked: what history entries name the key by (API.md §11 actor). */
  keyLabel: { prefix: string; name: string | null };
  /** X-On-Behalf-Of (http/actor.ts): the caller's own user behind a keyed request, or null. */
  onBehalfOf: string | null;
  /**
   * Work that outlives the response (the events a committed write sends: events/publish.ts): the
   * invocation's context, the events queue, and where its failures are logged; and the clients'
   * write locks (write/client-lock.ts), which writes that lost a chain race take turns with.
   */
  background?: { ctx: ExecutionContext; queue: Queue<EventMessage>; log: NonNullable<WorkerOptions["logError"]>; locks?: ClientLocks };
}

/** Options the Worker is built with; tests use them to wrap the D1 bindings in the guard. */
export interface WorkerOptions {
  wrapDatabase?: (binding: D1Database, request: Request) => D1Database;
  /** Where unexpected errors go (defaults to console.error). */
  logError?: (message: string, details: Record<string, unknown>) => void;
}
