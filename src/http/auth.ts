// X-Environment selects the database, and the request's D1 session on it starts where
// X-Consistency-Token or the method says (consistency.ts); the Bearer key is checked against that database's own
// api_keys table (only SHA-256 hashes are stored), which gives the tenant and the permissions.
import { findApiKey } from "../db/api-keys";
import { openDb } from "../db/database";
import { databaseOf, ENVIRONMENTS, type Env, type Environment } from "../env";
import { sessionStartOf } from "./consistency";
import type { ApiRequest, WorkerOptions } from "./context";
import { ApiError, badRequest } from "./errors";
import { hashKey, KEY_PATTERN, type Permission } from "./keys";

export function withEnvironment(options: WorkerOptions) {
  return (request: ApiRequest, env: Env) => {
    const header = request.headers.get("x-environment");
    if (header === null) throw badRequest("Missing X-Environment header: send X-Environment: test or live");
    if (!(ENVIRONMENTS as readonly string[]).includes(header)) {
      throw badRequest(`Invalid X-Environment header "${header.slice(0, 20)}": it must be test or live`);
    }
    const environment = header as Environment;
    const start = sessionStartOf(request); // a malformed X-Consistency-Token is a 400, before the key
    const binding = databaseOf(env, environment);
    const session = (options.wrapDatabase ? options.wrapDatabase(binding, request) : binding).withSession(start);
    request.environment = environment;
    request.session = session;
    // drizzle needs only prepare() and batch(), which a session has.
    request.db = openDb(session as unknown as D1Database);
  };
}

const unauthorized = (detail: string) =>
  new ApiError("UNAUTHORIZED", detail, undefined, { "www-authenticate": 'Bearer realm="clients-api"' });

/** Authenticates the key and checks it has every permission the route needs. */
export function withApiKey(...needed: Permission[]) {
  return async (request: ApiRequest) => {
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
    const row = await findApiKey(request.db, await hashKey(key));
    if (!row) throw unauthorized("Unknown API key");
    if (row.revokedAt !== null) throw unauthorized("This API key has been revoked");
    const missing = needed.find((p) => !row.permissions.includes(p));
    if (missing) {
      throw new ApiError("FORBIDDEN", `API key lacks permission: ${request.environment}:${missing}`);
    }
    request.tenantId = row.tenantId;
    request.permissions = row.permissions as Permission[];
  };
}
