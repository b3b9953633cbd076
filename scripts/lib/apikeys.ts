// API keys in a D1 database: shared by scripts/apikey.ts and scripts/start.ts.
//
// Locally the database is opened in this process (local-d1.ts), so the commands work while
// `npm start` serves it. Every write is read back afterwards: a command reports only what the
// database holds, and fails (exit 1) when its write did not take effect.
import { displayPrefix, generateKey, hashKey } from "../../src/http/keys.ts";
import type { FileBucket } from "../../src/db/purge.ts";
import { openLocalDatabases, type LocalDatabases } from "./local-d1.ts";
import { applyMigrations, CommandError, inlineParameters, remoteExecute, shardBinding, shardCountOf, sqlString, type BindingName, type EnvironmentName } from "./wrangler.ts";

export type Row = Record<string, unknown>;

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** One shard of an environment's databases (API.md §17), local or deployed. */
export interface KeyDatabase {
  environment: EnvironmentName;
  shard: number;
  /** "local DB_TEST_0" or "remote DB_TEST_0", for messages. */
  where: string;
  /** Runs the statements as one batch (one transaction); the rows of each. */
  execute(statements: string[]): Promise<Row[][]>;
  /** The same, with bound parameters (inlined as literals on a remote database). */
  executeBound(statements: readonly { sql: string; params?: readonly unknown[] }[]): Promise<Row[][]>;
  /** The environment's bucket of document files (API.md §15); local only (see scripts/purge.ts). */
  files?: FileBucket;
}

export interface NewKey {
  key: string;
  prefix: string;
  tenant: string;
  name: string | null;
  permissions: string[];
  createdAt: string;
}

/** Applies the migrations the local database lacks (wrangler, only then); a summary line. */
export async function migrateLocal(local: LocalDatabases, binding: BindingName): Promise<string> {
  const pending = await local.pendingMigrations(binding);
  return pending.length === 0 ? `${binding}: migrations up to date` : applyMigrations(binding, false);
}

export function localKeyDatabase(local: LocalDatabases, environment: EnvironmentName, shard = 0): KeyDatabase {
  const binding = shardBinding(environment, shard);
  return {
    environment,
    shard,
    where: `local ${binding}`,
    execute: (statements) => local.execute(binding, statements),
    executeBound: (statements) => local.execute(binding, statements),
    files: local.files(environment),
  };
}

function remoteKeyDatabase(environment: EnvironmentName, shard: number): KeyDatabase {
  const binding = shardBinding(environment, shard);
  return {
    environment,
    shard,
    where: `remote ${binding}`,
    async execute(statements) {
      try {
        return await remoteExecute(binding, statements.join(";\n"));
      } catch (error) {
        // Remote: `npm run deploy` applies the migrations.
        if (error instanceof CommandError && /no such table: api_keys/.test(error.message)) {
          throw new CommandError(`The remote ${binding} database has no api_keys table yet: run \`npm run deploy\` first.`);
        }
        throw error;
      }
    },
    executeBound(statements) {
      if (statements.length === 0) return Promise.resolve([]);
      return this.execute(statements.map((s) => inlineParameters(s.sql, s.params)));
    },
  };
}

/**
 * Opens every shard of one environment's databases for `run` (in shard order) and closes them
 * after. Local: the migrations each lacks are applied first (a summary goes to `log`).
 */
export async function withShardDatabases<T>(
  environment: EnvironmentName,
  remote: boolean,
  log: (line: string) => void,
  run: (dbs: KeyDatabase[]) => Promise<T>,
): Promise<T> {
  const shards = Array.from({ length: shardCountOf(environment) }, (_, shard) => shard);
  if (remote) return run(shards.map((shard) => remoteKeyDatabase(environment, shard)));
  const local = await openLocalDatabases();
  try {
    for (const shard of shards) {
      let summary;
      try {
        summary = await migrateLocal(local, shardBinding(environment, shard));
      } catch (error) {
        throw new CommandError(`Nothing was changed: ${reason(error)}. Try again.`);
      }
      if (!summary.endsWith("up to date")) log(summary);
    }
    return await run(shards.map((shard) => localKeyDatabase(local, environment, shard)));
  } finally {
    await local.close();
  }
}

/** `run` on one shard of an environment (0 unless named), opened as withShardDatabases does. */
export function withKeyDatabase<T>(
  environment: EnvironmentName,
  remote: boolean,
  log: (line: string) => void,
  run: (db: KeyDatabase) => Promise<T>,
  shard = 0,
): Promise<T> {
  return withShardDatabases(environment, remote, log, (dbs) => {
    const db = dbs[shard];
    if (db === undefined) throw new CommandError(`There is no ${environment} shard ${shard}: wrangler.toml lists ${dbs.length} (${dbs.map((d) => d.shard).join(", ")}).`);
    return run(db);
  });
}

/**
 * The shard a tenant's new key goes to (API.md §17): the tenant's own when it has keys there (a
 * tenant lives in one shard), else the one asked for, else the emptiest (fewest clients and
 * history rows; the lowest on a tie).
 */
export async function placeTenant(dbs: readonly KeyDatabase[], tenant: string, requested?: number): Promise<KeyDatabase> {
  const homes: KeyDatabase[] = [];
  for (const db of dbs) {
    const [[row] = []] = await db.execute([`SELECT count(*) AS n FROM api_keys WHERE tenant_id = ${sqlString(tenant)} AND moved_to IS NULL`]);
    if (Number(row?.n ?? 0) > 0) homes.push(db);
  }
  if (requested !== undefined && dbs[requested] === undefined) {
    throw new CommandError(`There is no ${dbs[0]?.environment} shard ${requested}: wrangler.toml lists ${dbs.length} (${dbs.map((d) => d.shard).join(", ")}).`);
  }
  if (homes.length > 1) {
    throw new CommandError(`Tenant "${tenant}" is being moved (it has keys on shards ${homes.map((d) => d.shard).join(" and ")}): finish the move with npm run tenant -- move first.`);
  }
  const home = homes[0];
  if (home !== undefined) {
    if (requested !== undefined && requested !== home.shard) {
      throw new CommandError(`Tenant "${tenant}" lives on shard ${home.shard}: its keys go there (npm run tenant -- move moves it to shard ${requested}).`);
    }
    return home;
  }
  if (requested !== undefined) return dbs[requested]!;
  let emptiest = dbs[0]!;
  let fewest = Infinity;
  for (const db of dbs) {
    const [[row] = []] = await db.execute(["SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM client_history) AS n"]);
    const rows = Number(row?.n ?? 0);
    if (rows < fewest) [emptiest, fewest] = [db, rows];
  }
  return emptiest;
}

/** Creates a key; it is read back before this returns. */
export async function createKey(
  db: KeyDatabase,
  options: { tenant: string; name: string | null; permissions: string[] },
): Promise<NewKey> {
  // The display prefix is unique in the table; a clash (8 random base64url characters) is retried.
  for (let attempt = 1; ; attempt++) {
    const key = generateKey(db.environment, db.shard);
    const prefix = displayPrefix(key);
    const id = crypto.randomUUID();
    const keyHash = await hashKey(key);
    const createdAt = new Date().toISOString();
    const values = [id, options.tenant, options.name, prefix, keyHash, JSON.stringify(options.permissions), createdAt];
    try {
      await db.execute([
        "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, permissions, created_at, revoked_at) VALUES (" +
          values.map(sqlString).join(", ") +
          ", NULL)",
      ]);
    } catch (error) {
      if (attempt < 3 && error instanceof CommandError && /UNIQUE constraint failed/.test(error.message)) continue;
      throw new CommandError(`No key was created: ${reason(error)}. Try again.`);
    }
    let stored: Row[];
    try {
      [stored = []] = await db.execute([`SELECT key_hash, revoked_at FROM api_keys WHERE id = ${sqlString(id)}`]);
    } catch (error) {
      throw new CommandError(
        `Key ${prefix} was stored, but reading it back failed (${reason(error)}), so it is not shown: ` +
          `revoke it (npm run apikey -- revoke --env ${db.environment} --prefix ${prefix}) and create another.`,
      );
    }
    if (stored[0]?.key_hash !== keyHash || stored[0]?.revoked_at !== null) {
      throw new CommandError(`The new key was not found in ${db.where} when read back: no key was created.`);
    }
    return { key, prefix, tenant: options.tenant, name: options.name, permissions: options.permissions, createdAt };
  }
}

export interface KeyRow {
  prefix: string;
  tenant_id: string;
  name: string | null;
  permissions: string;
  created_at: string;
  revoked_at: string | null;
}

/** The keys of the database (one tenant's, if given), oldest first. Never the hashes. */
export async function listKeys(db: KeyDatabase, tenant?: string): Promise<KeyRow[]> {
  // A key whose tenant moved away is listed where the tenant lives now (moved_to: a forwarding row).
  const [rows = []] = await db.execute([
    "SELECT prefix, tenant_id, name, permissions, created_at, revoked_at FROM api_keys WHERE moved_to IS NULL" +
      (tenant === undefined ? "" : ` AND tenant_id = ${sqlString(tenant)}`) +
      " ORDER BY created_at, prefix",
  ]);
  return rows as unknown as KeyRow[];
}

export interface Revocation {
  outcome: "revoked" | "already revoked";
  tenant: string;
  revokedAt: string;
}

/** The shard holding the key of this display prefix (its tenant's shard now); the prefix's own shard when none does. */
export async function shardOfPrefix(dbs: readonly KeyDatabase[], prefix: string, named: number): Promise<KeyDatabase> {
  for (const db of dbs) {
    const [[row] = []] = await db.execute([`SELECT 1 AS found FROM api_keys WHERE prefix = ${sqlString(prefix)} AND moved_to IS NULL`]);
    if (row !== undefined) return db;
  }
  return dbs[named] ?? dbs[0]!;
}

/**
 * Revokes the key with this display prefix. Read back after the write: it returns only once the
 * database holds the key as revoked, and throws if it does not (the key would still work).
 */
export async function revokeKey(db: KeyDatabase, prefix: string): Promise<Revocation> {
  const revokedAt = new Date().toISOString();
  let updated: Row[];
  try {
    [updated = []] = await db.execute([
      `UPDATE api_keys SET revoked_at = ${sqlString(revokedAt)} WHERE prefix = ${sqlString(prefix)} AND revoked_at IS NULL AND moved_to IS NULL RETURNING tenant_id`,
    ]);
  } catch (error) {
    throw new CommandError(`${prefix} was not revoked, and still works: ${reason(error)}. Try again.`);
  }
  let current: Row[];
  try {
    [current = []] = await db.execute([`SELECT tenant_id, revoked_at FROM api_keys WHERE prefix = ${sqlString(prefix)} AND moved_to IS NULL`]);
  } catch (error) {
    throw new CommandError(`Reading ${prefix} back after revoking it failed (${reason(error)}): check with npm run apikey -- list.`);
  }
  const row = current[0];
  if (row === undefined) throw new CommandError(`No ${db.environment} key with prefix ${prefix} (${db.where}).`);
  if (row.revoked_at === null) {
    throw new CommandError(`Revoking ${prefix} did not take effect (${db.where} still holds it as valid): the key still works. Run the command again.`);
  }
  return { outcome: updated.length > 0 ? "revoked" : "already revoked", tenant: String(row.tenant_id), revokedAt: String(row.revoked_at) };
}
