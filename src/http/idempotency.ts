// Idempotency-Key (API.md §8) for the two write endpoints. The first completed answer (a 200) is
// stored per (tenant, key) — per environment, since each environment is its own database — by the
// same D1 batch as the writes it describes: answer and effect commit together or not at all. A
// retry with the same body gets the stored bytes back; another body under the same key is a 422.
// Failed requests store nothing, so they may be retried.
import { isUniqueViolation } from "../db/constraints";
import type { Statement } from "../db/database";
import {
  dropIncompleteRecord,
  insertRecordRows,
  purgeExpiredRecords,
  readRecordRows,
  recordRows,
  type IdempotencyRow,
} from "../db/idempotency";
import type { ApiRequest } from "./context";
import { ApiError, badRequest } from "./errors";
import { JSON_CONTENT_TYPE } from "./pipeline";
import { sha256Hex } from "../encoding";

export const IDEMPOTENCY_HEADER = "idempotency-key";
/** Records are kept at least this long; older ones are purged a few at a time by later writes. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * Each keyed write purges the expired records found among this many of the oldest expired rows,
 * every part of them: always whole records, so the limit may cut across one without splitting it.
 */
export const PURGE_ROWS_PER_WRITE = 100;
/** UTF-8 bytes per stored part: D1 binds no value over 2,000,000 bytes; leave headroom. */
export const PART_BYTES = 1_900_000;

/** A JSON answer as exact bytes, so that a replay is byte for byte the same. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function answer(stored: StoredAnswer, extraHeaders: Record<string, string> = {}): Response {
  return new Response(stored.body, {
    status: stored.status,
    headers: { "content-type": JSON_CONTENT_TYPE, ...stored.headers, ...extraHeaders },
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

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;

/** UTF-16 units encoded per encodeInto call by splitUtf8 (≤ 3 bytes each: the scratch holds any slice). */
const SPLIT_SLICE = 16 * 1024;
const splitEncoder = new TextEncoder();

/**
 * Splits a string into parts of at most `maxBytes` UTF-8 bytes each (a part is bound as its UTF-8),
 * greedily: a part ends only where the next character would not fit. Bytes are counted 16 K units
 * at a time into a small scratch buffer (one encodeInto over a 1.9 MB slice measured ~8× slower in
 * workerd for a 10 MB answer); a slice never ends inside a surrogate pair, and encodeInto stops
 * before a character that does not fit whole, so no part ends inside a character.
 */
export function splitUtf8(text: string, maxBytes = PART_BYTES): string[] {
  const scratch = new Uint8Array(SPLIT_SLICE * 3);
  const out: string[] = [];
  let partStart = 0;
  let partBytes = 0;
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + SPLIT_SLICE, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    const slice = text.slice(at, end);
    const { written } = splitEncoder.encodeInto(slice, scratch);
    if (partBytes + written <= maxBytes) {
      partBytes += written;
      at = end;
      continue;
    }
    // The part ends inside this slice: as far as the bytes left in it allow.
    const cut = at + splitEncoder.encodeInto(slice, scratch.subarray(0, maxBytes - partBytes)).read;
    if (cut === partStart) throw new Error(`a character does not fit in ${maxBytes} bytes`);
    out.push(text.slice(partStart, cut));
    partStart = cut;
    partBytes = 0;
    at = cut;
  }
  if (partStart < text.length || out.length === 0) out.push(text.slice(partStart));
  return out;
}

/**
 * The stored answer, or null when the key has no COMPLETE record: part 0 declares the count and
 * every part 0…count−1 is there. Rows of an incomplete record are never replayed.
 */
function foundIn(rows: readonly IdempotencyRow[]) {
  const head = rows[0];
  if (!head || head.parts !== rows.length || rows.some((row, i) => row.part !== i)) return null;
  return { requestHash: head.requestHash, stored: { status: head.status, headers: head.headers, body: rows.map((r) => r.body).join("") } };
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
  const { db } = request;
  // The endpoint is part of the request: one key cannot stand for a batch and then a sync.
  const requestHash = await sha256Hex(`${request.method} ${new URL(request.url).pathname}\n${bodyText}`);
  // Set by replayOf: the lookup found rows of this key that are not a complete record.
  let incomplete = false;
  return {
    lookup: () => recordRows(db, request.tenant, key),
    replayOf(rows) {
      const found = foundIn(rows as IdempotencyRow[]);
      incomplete = !found && (rows as IdempotencyRow[]).length > 0;
      return found ? replayOrReject(found, requestHash) : null;
    },
    record(stored) {
      const now = new Date();
      const createdAt = now.toISOString();
      const expired = new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString();
      const bodies = splitUtf8(stored.body);
      const { tenantId } = request;
      const rows = bodies.map((body, part) => ({
        tenantId,
        key,
        part,
        parts: part === 0 ? bodies.length : null,
        requestHash,
        status: stored.status,
        headers: part === 0 ? stored.headers : {},
        body,
        createdAt,
      }));
      return [
        purgeExpiredRecords(db, expired, PURGE_ROWS_PER_WRITE),
        ...(incomplete ? [dropIncompleteRecord(db, tenantId, key)] : []),
        ...insertRecordRows(db, rows),
      ];
    },
    async replayAfterRace(error) {
      if (!isUniqueViolation(error, "idempotency_keys")) return null;
      const found = foundIn(await readRecordRows(db, request.tenantId, key));
      return found ? replayOrReject(found, requestHash) : null;
    },
  };
}
