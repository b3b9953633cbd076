// The request inputs of the read operations (API.md §7): the query of GET /clients and the path of
// /clients/{id}. The registry parses requests with these schemas, and the OpenAPI document shows them.
import * as z from "zod";
import { isUuid } from "../ids";

/** A cursor's shape: `<position>.<MAC>`, both base64url. Whether this service issued it is checked on use. */
export const CURSOR_FORMAT = /^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{22}$/;

const LIMIT_MESSAGE = "limit must be an integer from 1 to 200";
export const INVALID_CURSOR = "Invalid cursor: pass back the nextCursor of the previous page, with the same query, exactly as received";

/** The page size of a paged read: 1–200. */
export function pageLimit(byDefault: number) {
  // A query value is text: only plain digits stand for a number (no sign, exponent or fraction).
  return z
    .preprocess(
      (value) => (typeof value === "string" && /^\d{1,3}$/.test(value) ? Number(value) : value),
      z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(200, { error: LIMIT_MESSAGE }).default(byDefault),
    )
    .describe("Page size, 1–200");
}

/** The cursor of a paged read: its shape only; whether this service issued it to this query is checked on use. */
export const pageCursor = z
  .string()
  .regex(CURSOR_FORMAT, { error: INVALID_CURSOR })
  .optional()
  .describe("Opaque: the `nextCursor` of the previous page, passed back exactly, with the same query. Any other value is a 400.");

export const listQuery = z.strictObject({
  limit: pageLimit(20),
  cursor: pageCursor,
  externalId: z
    .string()
    .max(255, { error: "externalId must be 1–255 characters" })
    .refine((s) => s.trim().length > 0, { error: "externalId must be 1–255 characters" })
    .meta({ minLength: 1, pattern: "\\S" })
    .optional()
    .describe("Only the client with this externalId"),
  complete: z
    .enum(["true", "false"], { error: "complete must be true or false" })
    .transform((value) => value === "true")
    .optional()
    .describe(
      "Only the clients whose expediente is complete (true) or incomplete (false) in every scope they hold, as GET /clients/{id}/completeness " +
        "answers (API.md §16). A client stored before completeness existed is listed by neither until it is computed (within minutes, or at its next change).",
    ),
});

export type ListQuery = z.output<typeof listQuery>;

/** The path of /clients/{id}. A malformed id is a 400 that does not echo it (it may be a secret sent by mistake). */
export const clientIdParams = z.strictObject({
  id: z
    .string()
    .refine(isUuid, { error: "Malformed client id in the path: ids are UUIDs" })
    .meta({ format: "uuid" })
    .transform((id) => id.toLowerCase())
    .describe("The client's id. A malformed id is a 400; an unknown id, or another tenant's, a 404."),
});
