// Webhook signing secrets at rest (API.md §12): sealed with AES-256-GCM under a key named by a key
// id, stored as `v1.<keyId>.<base64 iv>.<base64 ciphertext+tag>`. The keys come from two Worker
// settings: WEBHOOK_SECRET_KEYS, a secret holding JSON {"<keyId>": "<base64 of 32 bytes>", …}, and
// WEBHOOK_SECRET_KEY_ID, the id new secrets are sealed with. Old ids keep opening what they sealed
// (rotation: add a key, make it current, run `npm run webhook-secrets -- rotate`, then drop the old).
// The endpoint's id is the AES-GCM additional data: a sealed secret copied onto another endpoint's
// row does not open. A row written before encryption holds the plain `whsec_…`, which is read as
// plain until `npm run webhook-secrets -- encrypt` seals it.
//
// Imports nothing: scripts/webhook-secrets.ts runs this same file in Node (WebCrypto there too).

const VERSION = "v1";
const PLAIN_PREFIX = "whsec_";
/** A key id: short, and without the `.` that separates the stored parts. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const KEY_BYTES = 32;

/** Where the keys come from (a Worker's Env, or process.env for the commands). */
export interface SecretKeySettings {
  WEBHOOK_SECRET_KEYS?: string;
  WEBHOOK_SECRET_KEY_ID?: string;
}

/** The keys are missing or malformed, the key id is unknown, or a sealed secret does not open. Never carries key material or a secret. */
export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

/** WebCrypto's key type (named so, because Node's type definitions have no global CryptoKey). */
type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface Keyring {
  /** The key id new secrets are sealed with. */
  currentId: string;
  keys: ReadonlyMap<string, AesKey>;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function unbase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const cache = new Map<string, Promise<Keyring>>();

/** The keyring of these settings (imported once per isolate and settings). Throws SecretBoxError when they are missing or malformed. */
export function keyringOf(settings: SecretKeySettings): Promise<Keyring> {
  const raw = settings.WEBHOOK_SECRET_KEYS;
  const currentId = settings.WEBHOOK_SECRET_KEY_ID;
  const cacheKey = `${currentId}\n${raw}`;
  let keyring = cache.get(cacheKey);
  if (!keyring) {
    keyring = importKeyring(raw, currentId);
    // A failure is not kept: the next call says it again (and a fixed setting is a new cache key anyway).
    keyring.catch(() => cache.delete(cacheKey));
    cache.set(cacheKey, keyring);
  }
  return keyring;
}

async function importKeyring(raw: string | undefined, currentId: string | undefined): Promise<Keyring> {
  if (raw === undefined || raw.trim() === "") throw new SecretBoxError("WEBHOOK_SECRET_KEYS is not set");
  if (currentId === undefined || currentId.trim() === "") throw new SecretBoxError("WEBHOOK_SECRET_KEY_ID is not set");
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SecretBoxError("WEBHOOK_SECRET_KEYS is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SecretBoxError('WEBHOOK_SECRET_KEYS must be a JSON object {"<keyId>": "<base64 of 32 bytes>"}');
  }
  const keys = new Map<string, AesKey>();
  for (const [id, value] of Object.entries(parsed)) {
    if (!KEY_ID_PATTERN.test(id)) throw new SecretBoxError(`WEBHOOK_SECRET_KEYS: key id "${id.slice(0, 40)}" must match ${KEY_ID_PATTERN}`);
    const bytes = typeof value === "string" ? unbase64(value) : null;
    if (!bytes || bytes.length !== KEY_BYTES) throw new SecretBoxError(`WEBHOOK_SECRET_KEYS: key "${id}" must be base64 of ${KEY_BYTES} bytes`);
    keys.set(id, await crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
  }
  if (!keys.has(currentId)) throw new SecretBoxError(`WEBHOOK_SECRET_KEY_ID "${currentId.slice(0, 40)}" names no key of WEBHOOK_SECRET_KEYS`);
  return { currentId, keys };
}

/** A new key for WEBHOOK_SECRET_KEYS: base64 of 32 random bytes. */
export function newKeyMaterial(): string {
  return base64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

const additionalData = (endpointId: string) => new TextEncoder().encode(`webhook_endpoints:${endpointId}`);

/** Whether a stored value is a plain secret (written before encryption). */
export function isPlain(stored: string): boolean {
  return stored.startsWith(PLAIN_PREFIX);
}

/** The key id a stored value is sealed under; null for a plain one. Throws on anything else. */
export function keyIdOf(stored: string): string | null {
  if (isPlain(stored)) return null;
  const parts = stored.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION || !KEY_ID_PATTERN.test(parts[1]!)) throw new SecretBoxError("the stored secret is neither sealed (v1.…) nor plain (whsec_…)");
  return parts[1]!;
}

/** Seals an endpoint's secret under the current key. */
export async function seal(secret: string, keyring: Keyring, endpointId: string): Promise<{ sealed: string; keyId: string }> {
  const key = keyring.keys.get(keyring.currentId)!;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(endpointId) }, key, new TextEncoder().encode(secret));
  return { sealed: `${VERSION}.${keyring.currentId}.${base64(iv)}.${base64(new Uint8Array(ciphertext))}`, keyId: keyring.currentId };
}

/** The plain secret of a stored value (sealed or, written before encryption, plain). Fails closed: SecretBoxError on an unknown key id or any change to the value. */
export async function open(stored: string, keyring: Keyring, endpointId: string): Promise<string> {
  const keyId = keyIdOf(stored);
  if (keyId === null) return stored;
  const key = keyring.keys.get(keyId);
  if (!key) throw new SecretBoxError(`the secret is sealed under key id "${keyId}", which WEBHOOK_SECRET_KEYS does not hold`);
  const [, , ivText, ciphertextText] = stored.split(".");
  const iv = unbase64(ivText!);
  const ciphertext = unbase64(ciphertextText!);
  if (!iv || iv.length !== IV_BYTES || !ciphertext) throw new SecretBoxError(`the secret sealed under key id "${keyId}" is malformed`);
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: additionalData(endpointId) }, key, ciphertext);
  } catch {
    throw new SecretBoxError(`the secret sealed under key id "${keyId}" does not open (altered, moved from another endpoint, or another key under that id)`);
  }
  return new TextDecoder().decode(plain);
}

/** The value to store instead, when a stored one is plain or sealed under another key than the current one; null when it is already sealed under the current key. */
export async function resealed(stored: string, keyring: Keyring, endpointId: string): Promise<{ sealed: string; keyId: string; from: string | null } | null> {
  const from = keyIdOf(stored);
  if (from === keyring.currentId) return null;
  const plain = await open(stored, keyring, endpointId);
  return { ...(await seal(plain, keyring, endpointId)), from };
}
