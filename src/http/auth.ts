// X-Environment selects the environment, the key's text its shard there (API.md §17: no round trip
// to find it; a key whose tenant moved is followed once, then remembered), and the request's D1 session on it starts where
// X-Consistency-Token or the method says (consistency.ts); the Bearer key is checked against that database's own
// api_keys table (only SHA-256 hashes are stored), which gives the tenant and the permissions.
// The key is looked up in the route's first read batch, not a round trip of its own (API.md §13):
// withApiKey checks what needs no database; readWithKey runs the route's first read with the key
// lookup first, every other statement scoped by the key row's tenant (so a refused key reads
// nothing), then refuses the key exactly as a lookup of its own would have. Nothing is cached.
import { apiKeyByHash, keyTenant, type ApiKeyRow } from "../db/api-keys";
import { openDb, runBatch, type Read } from "../db/database";
import { databaseOf, ENVIRONMENTS, filesOf, shardCount, type Env, type Environment } from "../env";
import { sessionStartOf } from "./consistency";
import type { ApiRequest, WorkerOptions } from "./context";
import { ApiError, badRequest } from "./errors";
import { hashKey, KEY_PATTERN, shardOfKey, type Permission } from "./keys";

/** X-Environment: which database holds the key and the data (400 when missing or unknown). */
export function withEnvironment(request: ApiRequest) {
  const header = request.headers.get("x-environment");
  if (header === null) throw badRequest("Missing X-Environment header: send X-Environment: test or live");
  if (!(ENVIRONMENTS as readonly string[]).includes(header)) {
    throw badRequest(`Invalid X-Environment header "${header.slice(0, 20)}": it must be test or live`);
  }
  request.environment = header as Environment;
}

/**
 * The request's D1 session on its environment's database, started where X-Consistency-Token or the
 * method says. Runs after withApiKey: a caller without a usable key learns that first (401), and a
 * malformed token is a 400 for one with a key — either way before any round trip.
 */
export function withDatabaseSession(options: WorkerOptions) {
  return (request: ApiRequest, env: Env) => {
    const environment = request.environment;
    const start = sessionStartOf(request);
    const binding = databaseOf(env, environment, request.shard);
    const session = (options.wrapDatabase ? options.wrapDatabase(binding, request) : binding).withSession(start);
    request.session = session;
    request.files = filesOf(env, environment);
    // Another environment's database, on the shard of the key given for it (null: no such shard).
    request.openEnvironment = (other, key) => {
      const shard = shardOf(env, other, key.text, key.hash);
      if (shard === null) return null;
      const otherBinding = databaseOf(env, other, shard);
      const otherSession = (options.wrapDatabase ? options.wrapDatabase(otherBinding, request) : otherBinding).withSession("first-primary");
      return { db: openDb(otherSession as unknown as D1Database), session: otherSession, files: filesOf(env, other), shard };
    };
    // drizzle needs only prepare() and batch(), which a session has.
    request.db = openDb(session as unknown as D1Database);
  };
}

const unauthorized = (detail: string) =>
  new ApiError("UNAUTHORIZED", detail, undefined, { "www-authenticate": 'Bearer realm="clients-api"' });

/**
 * Keys whose tenant moved to another shard than their text names (scripts/lib/tenant-move.ts), as
 * this isolate learned them (key hash → shard): each is followed once per isolate, then goes
 * straight there. Bounded: forgetting only costs one more follow.
 */
const movedKeys = new Map<string, number>();
const MOVED_KEYS_MAX = 10_000;

/** The shard a key's tenant is on (as far as this isolate knows), or null when the environment has no such shard. */
function shardOf(env: Env, environment: Environment, key: string, hash: string): number | null {
  const shard = movedKeys.get(hash) ?? shardOfKey(key);
  return shard < shardCount(env, environment) ? shard : null;
}

/**
 * Thrown by the key check when the key's row in its shard says the tenant moved (before anything of
 * the request was read or written): the app runs the request again on that shard (app.ts).
 */
export class TenantMoved extends Error {
  constructor(readonly shard: number) {
    super(`tenant moved to shard ${shard}`);
  }
}

/**
 * Checks the key's format and environment, finds its shard, and notes its hash and the
 * permissions the route needs; the key itself is looked up by the route's first read (readWithKey).
 */
export function withApiKey(...needed: Permission[]) {
  return async (request: ApiRequest, env: Env) => {
    const header = request.headers.get("authorization");
    if (header === null) throw unauthorized("Missing Authorization header: send Authorization: Bearer <api key>");
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized("Authorization header must be: Bearer <api key>");
    const key = match[1]!;
    const keyMatch = KEY_PATTERN.exec(key);
    if (!keyMatch) throw unauthorized("Malformed API key: keys look like sk_test_… or sk_live_…");
    if (keyMatch[1] !== request.environment) {
      throw unauthorized(
        `This is a ${keyMatch[1]} key (sk_${keyMatch[1]}_…), but X-Environment is ${request.environment}: use a sk_${request.environment}_ key`,
      );
    }
    const hash = await hashKey(key);
    const shard = shardOf(env, request.environment, key, hash);
    // A shard this Worker does not have holds no key.
    if (shard === null) throw unauthorized("Unknown API key");
    request.shard = shard;
    request.apiKey = { hash, needed };
    request.tenant = keyTenant(hash, needed);
  };
}

const keyChecked = (request: ApiRequest) => typeof request.tenant === "string";

/**
 * One more permission the key must grant, because of what this request asks for (GET /clients/{id}
 * with `asOf` needs clients:history): required by the route's first read like the route's own.
 */
export function requirePermission(request: ApiRequest, permission: Permission): void {
  if (request.apiKey.needed.includes(permission)) return;
  if (keyChecked(request)) {
    if (!request.permissions.includes(permission)) throw new ApiError("FORBIDDEN", `API key lacks permission: ${request.environment}:${permission}`);
    return;
  }
  const needed = [...request.apiKey.needed, permission];
  request.apiKey = { hash: request.apiKey.hash, needed };
  request.tenant = keyTenant(request.apiKey.hash, needed);
}

/** Refuses a key row as the route would (401 before 403), or makes its tenant the request's. */
function acceptKey(request: ApiRequest, row: ApiKeyRow | undefined): void {
  if (!row) throw unauthorized("Unknown API key");
  if (row.movedTo !== null && row.movedTo !== request.shard) {
    if (movedKeys.size >= MOVED_KEYS_MAX) movedKeys.clear();
    movedKeys.set(request.apiKey.hash, row.movedTo);
    throw new TenantMoved(row.movedTo);
  }
  if (row.revokedAt !== null) throw unauthorized("This API key has been revoked");
  const missing = request.apiKey.needed.find((p) => !row.permissions.includes(p));
  if (missing) throw new ApiError("FORBIDDEN", `API key lacks permission: ${request.environment}:${missing}`);
  request.tenantId = row.tenantId;
  request.tenant = row.tenantId;
  request.permissions = row.permissions as Permission[];
  request.keyLabel = { prefix: row.prefix, name: row.name };
}

/**
 * The route's first read round trip, with the key lookup first in the same batch: the read's
 * statements are built from `request.tenant`, so until the key is checked they read nothing of a
 * key that is unknown, revoked or without the permissions. Once checked (a write's retry), the
 * read runs alone.
 */
export async function readWithKey<T>(request: ApiRequest, read: Read<T>): Promise<T> {
  if (keyChecked(request)) return read.parse(await runBatch(request.db, read.statements));
  const [keyRows, ...results] = await runBatch(request.db, [apiKeyByHash(request.db, request.apiKey.hash), ...read.statements]);
  acceptKey(request, (keyRows as ApiKeyRow[])[0]);
  return read.parse(results);
}

/** The key checked on its own (one round trip), unless the route's first read has checked it. */
export async function checkKey(request: ApiRequest): Promise<void> {
  if (!keyChecked(request)) await readWithKey(request, { statements: [], parse: () => undefined });
}

/**
 * Runs a keyed route's input parsing and handler. A problem found before the key was checked (a
 * malformed query, path or body) is answered after the key's own: 401 before 403 before the route's.
 */
export async function keyCheckedFirst(request: ApiRequest, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    // A 401/403 is the key's own answer (its check refused it): not checked again.
    const keyAnswer = error instanceof ApiError && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN");
    if (error instanceof ApiError && !keyAnswer && request.apiKey && !keyChecked(request)) await checkKey(request);
    throw error;
  }
}
