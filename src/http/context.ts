import type { IRequestStrict } from "itty-router";
import type { Db } from "../db/database";
import type { Environment } from "../env";
import type { Permission } from "./keys";

/** What the pipeline learns about a request before a route handler runs. */
export interface ApiRequest extends IRequestStrict {
  requestId: string;
  origin: string;
  /** Set by `withEnvironment`. */
  environment: Environment;
  /** The request's D1 session (every query of `db` runs in it); its bookmark is the response's X-Consistency-Token. */
  session?: D1DatabaseSession;
  db: Db;
  /** Set by `withApiKey`. */
  tenantId: string;
  permissions: readonly Permission[];
}

/** Options the Worker is built with; tests use them to wrap the D1 bindings in the guard. */
export interface WorkerOptions {
  wrapDatabase?: (binding: D1Database, request: Request) => D1Database;
  /** Where unexpected errors go (defaults to console.error). */
  logError?: (message: string, details: Record<string, unknown>) => void;
}
