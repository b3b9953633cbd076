// The api_keys table of an environment's database: only SHA-256 hashes of the keys are stored.
import { eq } from "drizzle-orm";
import { runBatch, type Db } from "./database";
import { apiKeys, type ApiKeyRow } from "./schema";

/** The key stored under this hash, revoked or not (one round trip). */
export async function findApiKey(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [rows] = (await runBatch(db, [db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash))])) as [ApiKeyRow[]];
  return rows[0];
}
