// The opaque cursors of the paged reads: GET /clients and GET /clients/{id}/history. A cursor is
// its position (base64url JSON) and a MAC over the position and the query it was issued to (the
// tenant, and the filter or the client), so that a cursor the service did not issue to this query —
// forged, edited, truncated, another tenant's, or another kind's — is refused instead of being read
// as a position (API.md §7). The MAC protects integrity, not secrecy: a position only ever selects
// within the caller's own tenant.
import type { PagePosition } from "../db/clients-read";
import { CURSOR_FORMAT } from "../schemas/list-query";
import { base64url } from "../encoding";

/** One MAC key per kind of cursor, so that a cursor of one paged read is never one of another. */
const macKey = (label: string) =>
  crypto.subtle.importKey("raw", new TextEncoder().encode(label), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const LIST_KEY = macKey("clients-api list cursor v1");
const HISTORY_KEY = macKey("clients-api history cursor v1");

async function cursorMac(key: Promise<CryptoKey>, payload: string, scope: readonly string[]): Promise<string> {
  const signed = `${scope.join("\n")}\n${payload}`;
  const mac = await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(signed));
  return base64url(new Uint8Array(mac).subarray(0, 16));
}

async function signed(key: Promise<CryptoKey>, values: readonly unknown[], scope: readonly string[]): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(values)));
  return `${payload}.${await cursorMac(key, payload, scope)}`;
}

/** The values a cursor holds, NOT checked against its MAC (see `cursorPosition`). */
function payloadOf(value: string): unknown[] | null {
  const match = CURSOR_FORMAT.exec(value) && /^([^.]+)\.(.+)$/.exec(value);
  if (!match) return null;
  try {
    const parsed: unknown = JSON.parse(atob(match[1]!.replaceAll("-", "+").replaceAll("_", "/")));
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

async function issued(key: Promise<CryptoKey>, value: string, scope: readonly string[]): Promise<boolean> {
  const dot = value.indexOf(".");
  return dot > 0 && (await cursorMac(key, value.slice(0, dot), scope)) === value.slice(dot + 1);
}

// --- GET /clients --------------------------------------------------------------------------------

/** The query a list cursor belongs to. */
export interface CursorScope {
  tenantId: string;
  externalId: string | undefined;
  /** The `complete` filter (API.md §16); without it a cursor's MAC is what it was before the filter existed. */
  complete?: boolean | undefined;
}

const listScope = (scope: CursorScope) => [scope.tenantId, scope.externalId ?? "", ...(scope.complete === undefined ? [] : [`complete=${scope.complete}`])];

export function encodeCursor(position: PagePosition, scope: CursorScope): Promise<string> {
  return signed(LIST_KEY, [position.createdAt, position.id], listScope(scope));
}

/**
 * The position a cursor names, NOT checked against its MAC: a list reads from it in the same round
 * trip as the API key lookup, before the tenant the MAC names is known, and answers the page only
 * if `decodeCursor` then accepts the cursor (a position only selects within the caller's tenant).
 */
export function cursorPosition(value: string): PagePosition | null {
  const parsed = payloadOf(value);
  if (parsed && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
    return { createdAt: parsed[0], id: parsed[1] };
  }
  return null;
}

/** The position of a cursor this service issued for this tenant and filter, else null. */
export async function decodeCursor(value: string, scope: CursorScope): Promise<PagePosition | null> {
  const position = cursorPosition(value);
  return position && (await issued(LIST_KEY, value, listScope(scope))) ? position : null;
}

// --- GET /clients/{id}/history -------------------------------------------------------------------

/** The history a history cursor belongs to. */
export interface HistoryCursorScope {
  tenantId: string;
  clientId: string;
}

const historyScope = (scope: HistoryCursorScope) => [scope.tenantId, scope.clientId];

/** A cursor to the entries after `sequence`. */
export function encodeHistoryCursor(sequence: number, scope: HistoryCursorScope): Promise<string> {
  return signed(HISTORY_KEY, [sequence], historyScope(scope));
}

/** The sequence a history cursor names, NOT checked against its MAC (as `cursorPosition`). */
export function historyCursorPosition(value: string): number | null {
  const parsed = payloadOf(value);
  return parsed && parsed.length === 1 && Number.isSafeInteger(parsed[0]) && (parsed[0] as number) >= 0 ? (parsed[0] as number) : null;
}

/** The sequence of a cursor this service issued for this tenant's client's history, else null. */
export async function decodeHistoryCursor(value: string, scope: HistoryCursorScope): Promise<number | null> {
  const sequence = historyCursorPosition(value);
  return sequence !== null && (await issued(HISTORY_KEY, value, historyScope(scope))) ? sequence : null;
}
