// The local D1 databases (those `npm start` serves), opened in this process with wrangler's
// getPlatformProxy on the same state directory as `wrangler dev`: the same SQLite files.
//
// Why not `wrangler d1 execute --local`: while the server runs, the two processes share those
// files, and SQLite refuses a write while the other holds the lock (busy.ts). Each wrangler
// process costs seconds and gets one try; here a batch that found the database busy is retried
// within milliseconds, for up to 15 s, and each try holds the lock only for the batch itself.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { isBusyDatabaseError, retryWhileBusy } from "../../src/db/busy.ts";
import type { FileBucket } from "../../src/db/purge.ts";
import { CommandError, configPath, localStateDir, projectRoot, type BindingName, type EnvironmentName } from "./wrangler.ts";

/** What these scripts use of a D1 binding. */
interface D1Binding {
  prepare(sql: string): { bind(...values: unknown[]): unknown };
  batch(statements: unknown[]): Promise<{ results?: Record<string, unknown>[] }[]>;
}

/**
 * How long a command waits for a database another process holds locked: 15 s, or
 * CLIENTS_API_BUSY_TIMEOUT_MS (the tests shorten it). Tries after 25 ms, doubling to every 500 ms.
 */
const BUSY_TIMEOUT_MS = Number(process.env.CLIENTS_API_BUSY_TIMEOUT_MS) || 15_000;
const BUSY_RETRY_DELAYS_MS: number[] = [];
for (let waited = 0, delay = 25; waited < BUSY_TIMEOUT_MS; waited += delay, delay = Math.min(delay * 2, 500)) {
  BUSY_RETRY_DELAYS_MS.push(delay);
}

/** migrations_dir of both databases in wrangler.toml, and wrangler's default migrations table. */
const MIGRATIONS_DIR = join(projectRoot, "migrations");
const MIGRATIONS_TABLE = "d1_migrations";

export interface LocalDatabases {
  /** Runs the statements (SQL, or SQL with bound parameters) as one batch (one transaction) and returns the rows of each. */
  execute(binding: BindingName, statements: readonly (string | { sql: string; params?: readonly unknown[] })[]): Promise<Record<string, unknown>[][]>;
  /** Names of the migration files not yet applied to the database (all of them on a new one). */
  pendingMigrations(binding: BindingName): Promise<string[]>;
  /** The local R2 bucket of an environment's document files (API.md §15), as npm start serves it. */
  files(environment: EnvironmentName): FileBucket;
  close(): Promise<void>;
}

export async function openLocalDatabases(): Promise<LocalDatabases> {
  // As for the wrangler commands (wrangler.ts): no metrics, no request.cf download.
  process.env.WRANGLER_SEND_METRICS ??= "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  const { getPlatformProxy } = await import("wrangler");
  // workerd logs each SQLITE_BUSY it answers as an error; those are retried here, so they are
  // noise. Every other line is shown.
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    if (!args.some((a) => typeof a === "string" && a.includes("SQLITE_BUSY"))) consoleError(...args);
  };
  // Opening the proxy announces the .dev.vars it read (npm start's local webhook key): these
  // commands use only the databases, so the line is noise (npm start's first line is its curl).
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => {
    if (!args.some((a) => typeof a === "string" && /Using (secrets|vars) defined in/.test(a))) consoleLog(...args);
  };
  let proxy;
  try {
    proxy = await getPlatformProxy<Record<BindingName, D1Binding> & Record<"FILES_TEST" | "FILES_LIVE", FileBucket>>({
      configPath,
      persist: { path: join(localStateDir, "v3") },
      remoteBindings: false,
    });
  } catch (error) {
    console.error = consoleError;
    throw error;
  } finally {
    console.log = consoleLog;
  }
  const { env } = proxy;

  async function execute(binding: BindingName, statements: readonly (string | { sql: string; params?: readonly unknown[] })[]): Promise<Record<string, unknown>[][]> {
    const db = env[binding];
    if (db === undefined) throw new CommandError(`wrangler.toml has no D1 binding ${binding}`);
    if (statements.length === 0) return [];
    try {
      const prepared = () => statements.map((s) => (typeof s === "string" ? db.prepare(s) : db.prepare(s.sql).bind(...(s.params ?? []))));
      const results = await retryWhileBusy(() => db.batch(prepared()), BUSY_RETRY_DELAYS_MS);
      return results.map((r) => r.results ?? []);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(/^D1_ERROR: /, "") : String(error);
      if (isBusyDatabaseError(error)) {
        throw new CommandError(`the local ${binding} database (${localStateDir}) stayed locked by another process for ${BUSY_TIMEOUT_MS / 1000} s`);
      }
      throw new CommandError(`${binding}: ${message}`);
    }
  }

  async function pendingMigrations(binding: BindingName): Promise<string[]> {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith(".sql"))
      .sort();
    let applied: Set<string>;
    try {
      const [rows = []] = await execute(binding, [`SELECT name FROM ${MIGRATIONS_TABLE}`]);
      applied = new Set(rows.map((r) => String(r.name)));
    } catch (error) {
      if (error instanceof CommandError && /no such table/.test(error.message)) return files;
      throw error;
    }
    return files.filter((f) => !applied.has(f));
  }

  return {
    execute,
    pendingMigrations,
    files: (environment) => (environment === "test" ? env.FILES_TEST : env.FILES_LIVE),
    async close() {
      try {
        await proxy.dispose();
      } finally {
        console.error = consoleError;
      }
    },
  };
}
