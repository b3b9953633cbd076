// API keys: format, hashing and display prefix. scripts/ (Node) import this file as is: its only
// import is another import-free module, named with its .ts extension.
import { base64url, sha256Hex } from "../encoding.ts";

export const KEY_PATTERN = /^sk_(test|live)_[A-Za-z0-9_-]{43,}$/;
/**
 * A key of shard n ≥ 1 (API.md §17) says so in its text: sk_<env>_s<n>_ + 43 random characters; a
 * key of shard 0 has no segment (every key made before shards). Unambiguous by length: random
 * parts are exactly 43 characters. The text is not trusted: the key is looked up in that shard.
 */
const SHARD_KEY = /^sk_(?:test|live)_s([1-9]\d?)_[A-Za-z0-9_-]{43}$/;
const SHARD_PREFIX = /^sk_(?:test|live)_s([1-9]\d?)_[A-Za-z0-9_-]{8}$/;
export const PERMISSIONS = [
  "clients:read",
  "clients:create",
  "clients:update",
  "clients:delete",
  "clients:history",
  "webhooks:manage",
  // API.md §14: the tenant's duplicate rules (GET/PUT /settings/duplicates).
  "settings:manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const TENANT_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** A new key of a shard: `sk_<env>_` (+ `s<n>_` past shard 0) + 32 random bytes, base64url. */
export function generateKey(environment: "test" | "live", shard = 0): string {
  if (!Number.isInteger(shard) || shard < 0 || shard > 99) throw new Error(`no shard ${shard}`);
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `sk_${environment}_${shard === 0 ? "" : `s${shard}_`}${base64url(bytes)}`;
}

/** The shard a key (or a display prefix) names. */
export function shardOfKey(key: string): number {
  const match = SHARD_KEY.exec(key) ?? SHARD_PREFIX.exec(key);
  return match ? Number(match[1]) : 0;
}

/** What is stored and shown: the environment prefix, the shard segment if any, and the first 8 random characters. */
export function displayPrefix(key: string): string {
  const environmentPrefix = key.startsWith("sk_live_") ? "sk_live_" : "sk_test_";
  const shard = shardOfKey(key);
  return key.slice(0, environmentPrefix.length + (shard === 0 ? 0 : `s${shard}_`.length) + 8);
}

/** What api_keys stores of a key: its SHA-256, hex. */
export const hashKey = (key: string): Promise<string> => sha256Hex(key);
