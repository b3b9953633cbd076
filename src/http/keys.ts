// API keys: format, hashing and display prefix. No imports, so scripts/apikey.ts shares this file.

export const KEY_PATTERN = /^sk_(test|live)_[A-Za-z0-9_-]{43,}$/;
export const PERMISSIONS = ["clients:read", "clients:create", "clients:update", "clients:delete"] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const TENANT_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** A new key: `sk_<env>_` + 32 random bytes, base64url. */
export function generateKey(environment: "test" | "live"): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const random = btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `sk_${environment}_${random}`;
}

/** What is stored and shown: the environment prefix and the first 8 random characters. */
export function displayPrefix(key: string): string {
  const environmentPrefix = key.startsWith("sk_live_") ? "sk_live_" : "sk_test_";
  return key.slice(0, environmentPrefix.length + 8);
}

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
