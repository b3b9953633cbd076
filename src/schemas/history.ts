// The history reads (API.md §11): the query of GET /clients/{id}/history and the `asOf` of
// GET /clients/{id}, and the answers — an entry, a page of entries, a verification.
import * as z from "zod";
import { pageCursor, pageLimit } from "./list-query";

// --- asOf --------------------------------------------------------------------------------------------

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an ISO 8601 timestamp (date, time with seconds, optional fraction, `Z` or an offset)
 * names, as the ISO string in UTC with milliseconds that history entries carry (so that `at <= it`
 * compares instants); null when it is not one, or names no real date or time. Digits beyond the
 * millisecond are dropped: entries are stamped to the millisecond, so none falls in between.
 */
export function utcInstant(text: string): string | null {
  const match = INSTANT.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const sign = match[8] === "-" ? -1 : 1;
  const [offsetHours, offsetMinutes] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear, not Date.UTC: years 0–99 stay themselves
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  date.setUTCHours(hour, minute, second, Number((match[7] ?? "").padEnd(3, "0").slice(0, 3)));
  const utc = new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
  return /^\d{4}-/.test(utc) ? utc : null;
}

const INVALID_AS_OF = "asOf must be an ISO 8601 timestamp with seconds and a Z or an offset, e.g. 2026-11-21T17:41:25.123Z";

/** The query of GET /clients/{id}. */
export const getClientQuery = z.strictObject({
  asOf: z
    .string()
    .refine((text) => utcInstant(text) !== null, { error: INVALID_AS_OF })
    .transform((text) => utcInstant(text)!)
    .meta({ format: "date-time" })
    .optional()
    .describe(
      "The client as a GET would have answered at this instant (API.md §11), rebuilt from its history, also for a deleted client; " +
        "404 when it did not exist then. ISO 8601 with a Z or an offset, with or without milliseconds. Needs clients:history besides " +
        "clients:read. The answer then has no ETag.",
    ),
});

// --- GET /clients/{id}/history -------------------------------------------------------------------------

export const historyQuery = z.strictObject({
  limit: pageLimit(50),
  cursor: pageCursor,
});

export type HistoryQuery = z.output<typeof historyQuery>;

// --- Answers -----------------------------------------------------------------------------------------

const id = z.uuid().describe("Server-generated UUID");
const timestamp = z.iso.datetime({ precision: 3 }).describe("ISO 8601 UTC with milliseconds");
const hash = z.string().regex(/^[0-9a-f]{64}$/).describe("Lower-case hex SHA-256");

const fieldChange = z.strictObject({
  from: z.unknown().describe("The value before (null when the record was created)"),
  to: z.unknown().describe("The value after (null when deleted)"),
});

export const historyChangeResponse = z
  .strictObject({
    entity: z.enum(["client", "address", "contactMethod", "bankAccount", "document", "link"]),
    id: id.describe("The record's id (a link's own id for a link)"),
    action: z.enum(["created", "updated", "deleted"]),
    fields: z
      .record(z.string(), fieldChange)
      .describe("Each changed field (as the record stores it: camelCase, with createdAt, updatedAt and a link's childClientId) → {from, to}"),
  })
  .meta({ id: "HistoryChange", description: "One record created, updated or deleted by the entry's request." });

export const historyEntryResponse = z
  .strictObject({
    id,
    clientId: id,
    sequence: z.int().min(1).describe("1, 2, 3… per client, with no gap"),
    at: timestamp.describe("When the change was made (its records' updatedAt)"),
    requestId: z.string().describe("The X-Request-Id of the request that made the change"),
    operation: z
      .enum(["batch", "sync", "delete", "upload", "backfill", "copy"])
      .describe(
        "The request's kind. `upload`: a document's file was uploaded (API.md §15); `backfill`: the creation entry written for a client " +
          "stored before history was kept (its actor names no key); `copy`: the client copied from test into live (API.md §16), in live",
      ),
    actor: z.strictObject({
      keyPrefix: z.string().describe("The API key's display prefix"),
      keyName: z.string().nullable().describe("The API key's name"),
      onBehalfOf: z.string().nullable().describe("The request's X-On-Behalf-Of header"),
    }),
    changes: z.array(historyChangeResponse),
    hash: hash.describe("SHA-256 (hex) of previousHash followed by the canonical JSON (keys sorted, no spaces) of the entry without hash"),
    previousHash: z.string().regex(/^(?:[0-9a-f]{64})?$/).describe('The previous entry\'s hash; "" for sequence 1'),
  })
  .meta({ id: "HistoryEntry", description: "What one request changed of one client (API.md §11), chained to the previous entry by hash." });

export const historyPageResponse = z
  .strictObject({
    data: z.array(historyEntryResponse),
    pagination: z.strictObject({
      hasMore: z.boolean(),
      nextCursor: z.string().nullable().describe("Opaque; pass it back as `cursor` for the next page"),
    }),
  })
  .meta({ id: "HistoryPage", description: "A page of a client's history entries, ordered by sequence." });

// A plain union, no discriminator on the boolean `valid` (see batchResponse in ./responses.ts).
export const historyVerifyResponse = z
  .union([
    z
      .strictObject({
        valid: z.literal(true),
        entries: z.int().min(0).describe("How many entries the client's history holds"),
        head: z.string().regex(/^(?:[0-9a-f]{64})?$/).describe('The last entry\'s hash ("" when there is none)'),
      })
      .meta({ id: "HistoryValid", description: "Every entry verifies: the chain is whole." }),
    z
      .strictObject({
        valid: z.literal(false),
        entries: z.int().min(0).describe("How many entries the client's history holds"),
        brokenAt: z.int().min(1).describe("The first sequence that does not verify (missing, altered, or out of place)"),
      })
      .meta({ id: "HistoryBroken", description: "An entry does not verify: the history was altered." }),
  ])
  .meta({ id: "HistoryVerification", description: "Whether a client's history chain verifies (API.md §11)." });
