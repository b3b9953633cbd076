// The opaque cursor of GET /clients. A cursor is its position (base64url JSON) and a MAC over the
// position, the tenant and the filter, so that a cursor the service did not issue to this query —
// forged, edited, truncated, or another tenant's — is refused instead of being read as a position
// (API.md §7). The MAC protects integrity, not secrecy: a position only ever selects within the
// caller's own tenant.
import type { PagePosition } from "../db/clients-read";
import { CURSOR_FORMAT } from "../schemas/list-query";
import { base64url } from "../encoding";

const CURSOR_MAC_KEY = crypto.subtle.importKey(
  "raw",
  new TextEncoder().encode("clients-api list cursor v1"),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign", "verify"],
);


/** The query a cursor belongs to. */
export interface CursorScope {
  tenantId: string;
  externalId: string | undefined;
}

async function cursorMac(payload: string, scope: CursorScope): Promise<string> {
  const signed = `${scope.tenantId}\n${scope.externalId ?? ""}\n${payload}`;
  const mac = await crypto.subtle.sign("HMAC", await CURSOR_MAC_KEY, new TextEncoder().encode(signed));
  return base64url(new Uint8Array(mac).subarray(0, 16));
}

export async function encodeCursor(position: PagePosition, scope: CursorScope): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify([position.createdAt, position.id])));
  return `${payload}.${await cursorMac(payload, scope)}`;
}

/**
 * The position a cursor names, NOT checked against its MAC: a list reads from it in the same round
 * trip as the API key lookup, before the tenant the MAC names is known, and answers the page only
 * if `decodeCursor` then accepts the cursor (a position only selects within the caller's tenant).
 */
export function cursorPosition(value: string): PagePosition | null {
  const match = CURSOR_FORMAT.exec(value) && /^([^.]+)\.(.+)$/.exec(value);
  if (!match) return null;
  try {
    const parsed: unknown = JSON.parse(atob(match[1]!.replaceAll("-", "+").replaceAll("_", "/")));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // falls through to null
  }
  return null;
}

/** The position of a cursor this service issued for this tenant and filter, else null. */
export async function decodeCursor(value: string, scope: CursorScope): Promise<PagePosition | null> {
  const position = cursorPosition(value);
  if (!position || (await cursorMac(value.slice(0, value.indexOf(".")), scope)) !== value.slice(value.indexOf(".") + 1)) return null;
  return position;
}
