// The api_keys table of an environment's database: only SHA-256 hashes of the keys are stored.
// A request's key is looked up in its route's first read batch (API.md §13): the lookup statement
// rides first, and every other statement of that batch is scoped by `keyTenant`, so that an
// unknown or revoked key, or one without the permissions, reads nothing of any tenant.
import { eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "./database";
export type { Tenant } from "./database";
import { apiKeys, type ApiKeyRow } from "./schema";

/** The key stored under this hash, revoked or not (api_keys_key_hash, a unique index). */
export function apiKeyByHash(db: Db, keyHash: string) {
  return db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
}

/**
 * The tenant of the key stored under this hash when it is unrevoked and grants every permission
 * `needed`, else NULL — which equals no tenant_id, so a statement scoped by it reads nothing.
 * Not correlated with the outer statement: SQLite evaluates it once, through the unique index.
 */
export function keyTenant(keyHash: string, needed: readonly string[]): SQL {
  const grants = needed.map((p) => sql` AND EXISTS (SELECT 1 FROM json_each(k.permissions) WHERE value = ${p})`);
  // A key whose tenant moved to another shard (moved_to) reads nothing here: it is followed there.
  return sql`(SELECT k.tenant_id FROM api_keys k WHERE k.key_hash = ${keyHash} AND k.revoked_at IS NULL AND k.moved_to IS NULL${sql.join(grants)})`;
}

export type { ApiKeyRow };
