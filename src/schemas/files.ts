// The path and headers of a document file's operations (API.md §15), for the router and the OpenAPI
// document. The body is the file's bytes: read by the handler (src/files/upload.ts), never parsed.
import * as z from "zod";
import { isUuid } from "../ids";
import { getClientQuery } from "./history";

const uuidIn = (what: string) =>
  z
    .string()
    .refine(isUuid, { error: `Malformed ${what} id in the path: ids are UUIDs` })
    .meta({ format: "uuid" })
    .transform((id) => id.toLowerCase());

export const documentFileParams = z.strictObject({
  id: uuidIn("client").describe("The client's id. A malformed id is a 400; an unknown id, or another tenant's, a 404."),
  documentId: uuidIn("document").describe("The document's id (one of the client's documents). A malformed id is a 400; an unknown one a 404."),
});

export const reprDigestHeader = z
  .string()
  .regex(/sha-256=:[A-Za-z0-9+/]{43}=:/i)
  .describe("RFC 9530: `sha-256=:<base64 of the file's SHA-256>:`. Sent on an upload, it is checked (a mismatch is a 400 and nothing is kept); answered on a download.");

export const digestHeader = z
  .string()
  .optional()
  .describe("The older RFC 3230 form, `SHA-256=<base64>`: checked like Repr-Digest.");

export const rangeHeader = z
  .string()
  .optional()
  .describe("RFC 9110 §14: one range, `bytes=<first>-[<last>]` or `bytes=-<suffix length>`; answered with 206 and Content-Range, or 416 when outside the file.");

export const fileEtagHeader = z.string().regex(/^"[0-9a-f]{64}"$/).describe("The file's SHA-256, lower-case hex, as a strong ETag.");

export const fileQuery = z.strictObject({
  asOf: getClientQuery.shape.asOf.describe(
    "The file as the client's record shows it at this instant (API.md §11, §15), also for a deleted client within retention; " +
      "404 when the document had no file then. Needs clients:history besides clients:read.",
  ),
});
