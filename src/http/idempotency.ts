// Idempotency-Key (API.md §8) for the two write endpoints. The first completed answer (a 200) is
// stored per (tenant, key) — per environment, since each environment is its own database — by the
// same D1 batch as the writes it describes: answer and effect commit together or not at all. A
// retry with the same body gets the stored bytes back; another body under the same key is a 422.
// Failed requests store nothing, so they may be retried.
import { and, asc, eq, lt, sql } from "drizzle-orm";
import { isUniqueViolation } from "../db/constraints";
import { runBatch, type Db, type Statement } from "../db/database";
import { idempotencyKeys } from "../db/schema";
import type { ApiRequest } from "./context";
import { ApiError, badRequest } from "./errors";

export const IDEMPOTENCY_HEADER = "idempotency-key";
/** Records are kept at least this long; older ones are purged a few at a time by later writes. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_PER_WRITE = 100;
/** UTF-16 code units per stored part: at most 3 UTF-8 bytes each, so a part stays under 1.9 MB. */
const PART_UNITS = 600_000;

/** A JSON answer as exact bytes, so that a replay is byte for byte the same. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function answer(stored: StoredAnswer, extraHeaders: Record<string, string> = {}): Response {
  return new Response(stored.body, {
    status: stored.status,
    headers: { "content-type": "application/json; charset=utf-8", ...stored.headers, ...extraHeaders },
  });
}

export interface Idempotency {
  /** The statement that reads the key's record: put it in the route's read batch. */
  lookup(): Statement;
  /** With the lookup's rows: the replay (or a 422) when the key was used before, else null. */
  replayOf(rows: unknown): Response | null;
  /** Statements that store `stored` under the key: put them first in the write batch. */
  record(stored: StoredAnswer): Statement[];
  /** After a write batch failed: the answer another request stored under this key meanwhile. */
  replayAfterRace(error: unknown): Promise<Response | null>;
}

type RecordRow = typeof idempotencyKeys.$inferSelect;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Splits a string into parts without cutting a surrogate pair in two. */
function parts(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + PART_UNITS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(start, end));
    start = end;
  }
  return out.length > 0 ? out : [""];
}

function lookupStatement(db: Db, tenantId: string, key: string) {
  return db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)))
    .orderBy(asc(idempotencyKeys.part));
}

function foundIn(rows: readonly RecordRow[]) {
  const first = rows[0];
  if (!first) return null;
  return { requestHash: first.requestHash, stored: { status: first.status, headers: first.headers, body: rows.map((r) => r.body).join("") } };
}

function replayOrReject(found: NonNullable<ReturnType<typeof foundIn>>, requestHash: string): Response {
  if (found.requestHash !== requestHash) {
    throw new ApiError(
      "UNPROCESSABLE_CONTENT",
      "This Idempotency-Key was already used with a different request: use a new key for a new request",
    );
  }
  return answer(found.stored, { "idempotent-replayed": "true" });
}

/**
 * The Idempotency-Key of a request, or null without the header. Its record is read by the route's
 * own read batch (no extra round trip), after the body is parsed.
 */
export async function idempotencyOf(request: ApiRequest, bodyText: string): Promise<Idempotency | null> {
  const key = request.headers.get(IDEMPOTENCY_HEADER);
  if (key === null) return null;
  if (key.length < 1 || key.length > 255 || key.trim() === "") {
    throw badRequest("Idempotency-Key must be 1–255 characters");
  }
  const { db, tenantId } = request;
  // The endpoint is part of the request: one key cannot stand for a batch and then a sync.
  const requestHash = await sha256(`${request.method} ${new URL(request.url).pathname}\n${bodyText}`);
  return {
    lookup: () => lookupStatement(db, tenantId, key),
    replayOf(rows) {
      const found = foundIn(rows as RecordRow[]);
      return found ? replayOrReject(found, requestHash) : null;
    },
    record(stored) {
      const now = new Date();
      const createdAt = now.toISOString();
      const expired = new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString();
      const rows = parts(stored.body).map((body, part) => ({
        tenantId,
        key,
        part,
        requestHash,
        status: stored.status,
        headers: part === 0 ? stored.headers : {},
        body,
        createdAt,
      }));
      return [
        db
          .delete(idempotencyKeys)
          .where(
            sql`rowid IN (SELECT rowid FROM ${idempotencyKeys} WHERE ${lt(idempotencyKeys.createdAt, expired)} LIMIT ${PURGE_PER_WRITE})`,
          ),
        ...rows.map((row) => db.insert(idempotencyKeys).values(row)),
      ];
    },
    async replayAfterRace(error) {
      if (!isUniqueViolation(error, "idempotency_keys")) return null;
      const [rows] = (await runBatch(db, [lookupStatement(db, tenantId, key)])) as [RecordRow[]];
      const found = foundIn(rows);
      return found ? replayOrReject(found, requestHash) : null;
    },
  };
}
