// GET /clients?limit=&cursor=&externalId=: full clients ordered by createdAt, then id, with an
// opaque keyset cursor (so inserts between pages never repeat or skip a client).
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { runBatch } from "../db/database";
import { assembleGraphs, graphStatements } from "../db/graph";
import { fullClient } from "../db/mappers";
import { clients } from "../db/schema";
import type { ApiRequest } from "../http/context";
import { badRequest, type FieldError } from "../http/errors";
import { json } from "../http/pipeline";

const QUERY_KEYS = ["limit", "cursor", "externalId"];

interface Cursor {
  createdAt: string;
  id: string;
}

// A cursor is its position (base64url JSON) and a MAC over the position, the tenant and the filter,
// so that a cursor the service did not issue to this query — forged, edited, truncated, or another
// tenant's — is refused instead of being read as a position (API.md §7). The MAC protects integrity,
// not secrecy: a position only ever selects within the caller's own tenant.
const CURSOR_MAC_KEY = crypto.subtle.importKey(
  "raw",
  new TextEncoder().encode("clients-api list cursor v1"),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign", "verify"],
);

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

interface CursorScope {
  tenantId: string;
  externalId: string | undefined;
}

async function cursorMac(payload: string, scope: CursorScope): Promise<string> {
  const signed = `${scope.tenantId}\n${scope.externalId ?? ""}\n${payload}`;
  const mac = await crypto.subtle.sign("HMAC", await CURSOR_MAC_KEY, new TextEncoder().encode(signed));
  return base64url(new Uint8Array(mac).subarray(0, 16));
}

export async function encodeCursor(c: Cursor, scope: CursorScope): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify([c.createdAt, c.id])));
  return `${payload}.${await cursorMac(payload, scope)}`;
}

/** The position of a cursor this service issued for this tenant and filter, else null. */
export async function decodeCursor(value: string, scope: CursorScope): Promise<Cursor | null> {
  const match = /^([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{22})$/.exec(value);
  if (!match || (await cursorMac(match[1]!, scope)) !== match[2]) return null;
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

async function parseQuery(request: ApiRequest) {
  const errors: FieldError[] = [];
  const query = request.query;
  for (const key of Object.keys(query)) {
    if (!QUERY_KEYS.includes(key)) errors.push({ pointer: `/${key}`, code: "unrecognized_keys", detail: `Unknown query parameter "${key}"` });
    else if (Array.isArray(query[key])) errors.push({ pointer: `/${key}`, code: "invalid_type", detail: `Query parameter "${key}" was given more than once` });
  }
  const single = (key: string) => (typeof query[key] === "string" ? (query[key] as string) : undefined);
  let limit = 20;
  const limitText = single("limit");
  if (limitText !== undefined) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= 200)) errors.push({ pointer: "/limit", code: "invalid_value", detail: "limit must be an integer from 1 to 200" });
  }
  const externalId = single("externalId");
  const cursorText = single("cursor");
  const cursor = cursorText === undefined ? null : await decodeCursor(cursorText, { tenantId: request.tenantId, externalId });
  if (cursorText !== undefined && !cursor) {
    errors.push({ pointer: "/cursor", code: "invalid_value", detail: "Invalid cursor: pass back the nextCursor of the previous page, with the same query, exactly as received" });
  }
  if (externalId !== undefined && (externalId.trim() === "" || externalId.length > 255)) {
    errors.push({ pointer: "/externalId", code: "invalid_value", detail: "externalId must be 1–255 characters" });
  }
  if (errors.length > 0) throw badRequest("Invalid query parameters", errors);
  return { limit, cursor, externalId };
}

export async function listClients(request: ApiRequest) {
  const { limit, cursor, externalId } = await parseQuery(request);
  const { db, tenantId } = request;
  const conditions: SQL[] = [eq(clients.tenantId, tenantId)];
  if (externalId !== undefined) conditions.push(eq(clients.externalId, externalId));
  if (cursor) conditions.push(sql`(${clients.createdAt}, ${clients.id}) > (${cursor.createdAt}, ${cursor.id})`);
  const page = (n: number, offset = 0) =>
    db
      .select({ id: clients.id })
      .from(clients)
      .where(and(...conditions))
      .orderBy(asc(clients.createdAt), asc(clients.id))
      .limit(n)
      .offset(offset);
  const results = await runBatch(db, [...graphStatements(db, tenantId, page(limit)), page(1, limit)]);
  const graphs = assembleGraphs(results.slice(0, -1));
  const hasMore = (results.at(-1) as unknown[]).length > 0;
  const today = new Date();
  const last = graphs.at(-1)?.client;
  return json({
    data: graphs.map((g) => fullClient(g, today)),
    pagination: { hasMore, nextCursor: hasMore && last ? await encodeCursor(last, { tenantId, externalId }) : null },
  });
}
