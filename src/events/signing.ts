// Standard Webhooks (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of random
// bytes; a message is signed as HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` with
// the decoded bytes, and sent as `webhook-signature: v1,<base64 signature>`.

const SECRET_PREFIX = "whsec_";
/** Bytes of a new secret (the specification asks for 24 to 64). */
const SECRET_BYTES = 32;

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A new endpoint secret. */
export function newSecret(): string {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  return SECRET_PREFIX + base64(bytes);
}

function secretBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
}

/** The `webhook-signature` header of a message. */
export async function signature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${base64(new Uint8Array(mac))}`;
}

/** The Standard Webhooks headers of one delivery attempt (the timestamp is the attempt's, in seconds). */
export async function webhookHeaders(secret: string, id: string, body: string, now = Date.now()): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  return {
    "content-type": "application/json",
    "user-agent": "clients-api-webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signature(secret, id, timestamp, body),
  };
}
