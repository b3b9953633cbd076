// API keys: format, hashing and display prefix. scripts/ (Node) import this file as is: its only
// import is another import-free module, named with its .ts extension.
import { base64url, sha256Hex } from "../encoding.ts";

export const KEY_PATTERN = /^sk_(test|live)_[A-Za-z0-9_-]{43,}$/;
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

/** A new key: `sk_<env>_` + 32 random bytes, base64url. */
export function generateKey(environment: "test" | "live"): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `sk_${environment}_${base64url(bytes)}`;
}

/** What is stored and shown: the environment prefix and the first 8 random characters. */
export function displayPrefix(key: string): string {
  const environmentPrefix = key.startsWith("sk_live_") ? "sk_live_" : "sk_test_";
  return key.slice(0, environmentPrefix.length + 8);
}

/** What api_keys stores of a key: its SHA-256, hex. */
export const hashKey = (key: string): Promise<string> => sha256Hex(key);
