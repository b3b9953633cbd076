// Writing API keys into a D1 database through wrangler: shared by scripts/apikey.ts and scripts/start.ts.
import { displayPrefix, generateKey, hashKey } from "../../src/http/keys.ts";
import { applyMigrations, BINDINGS, CommandError, d1Execute, sqlString, type EnvironmentName } from "./wrangler.ts";

export interface NewKey {
  key: string;
  prefix: string;
  tenant: string;
  name: string | null;
  permissions: string[];
  createdAt: string;
}

/** Makes sure the local database has the schema (no-op when up to date). Remote: `npm run deploy` does it. */
export async function prepare(binding: string, remote: boolean, log: (line: string) => void): Promise<void> {
  if (remote) return;
  const summary = await applyMigrations(binding, false);
  if (!summary.endsWith("up to date")) log(summary);
}

export function isMissingTable(error: unknown): boolean {
  return error instanceof CommandError && /no such table: api_keys/.test(error.message);
}

export const missingTableHint = (binding: string) =>
  new CommandError(`The remote ${binding} database has no api_keys table yet: run \`npm run deploy\` first.`);

/** Creates a key in one environment's database. Used by `create` and by scripts/start.ts. */
export async function createKey(
  options: {
    environment: EnvironmentName;
    tenant: string;
    name: string | null;
    permissions: string[];
    remote: boolean;
    /** false when the caller has just applied the migrations itself */
    migrate?: boolean;
  },
  log: (line: string) => void = (line) => console.error(line),
): Promise<NewKey> {
  const binding = BINDINGS[options.environment];
  if (options.migrate !== false) await prepare(binding, options.remote, log);
  // The display prefix is unique in the table; a clash (8 random base64url characters) is retried.
  for (let attempt = 1; ; attempt++) {
    const key = generateKey(options.environment);
    const prefix = displayPrefix(key);
    const createdAt = new Date().toISOString();
    const sql =
      "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, permissions, created_at, revoked_at) VALUES (" +
      [
        sqlString(crypto.randomUUID()),
        sqlString(options.tenant),
        sqlString(options.name),
        sqlString(prefix),
        sqlString(await hashKey(key)),
        sqlString(JSON.stringify(options.permissions)),
        sqlString(createdAt),
        "NULL",
      ].join(", ") +
      ")";
    try {
      await d1Execute(binding, sql, options.remote);
    } catch (error) {
      if (options.remote && isMissingTable(error)) throw missingTableHint(binding);
      if (attempt < 3 && error instanceof CommandError && /UNIQUE constraint failed/.test(error.message)) continue;
      throw error;
    }
    return { key, prefix, tenant: options.tenant, name: options.name, permissions: options.permissions, createdAt };
  }
}

