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

/** POST …/file/upload-url (API.md §15): what the caller will PUT, which the URL is bound to. */
export const uploadUrlRequest = z
  .strictObject({
    size: z.number().int().min(1).max(25 * 1024 * 1024).describe("The file's size in bytes (1 to 25 MiB): the URL accepts exactly this many."),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: "The file's SHA-256 in hex (64 characters)" }).transform((s) => s.toLowerCase()).describe("The file's SHA-256, hex: the storage refuses other bytes."),
    contentType: z.enum(["image/jpeg", "image/png", "image/webp", "application/pdf"]).optional().describe("The file's type; by default the document's contentType (required when it declares none)."),
  })
  .meta({ id: "UploadUrlRequest" });

export const uploadUrlResponse = z
  .strictObject({
    url: z.string().describe("The presigned PUT of R2's S3 API, valid until expiresAt. Send the file's bytes as its body."),
    expiresAt: z.string().describe("When the URL stops being accepted (15 minutes at most)."),
    headers: z.record(z.string(), z.string()).describe("The headers the PUT must carry exactly (they are signed): Content-Length, Content-Type, x-amz-checksum-sha256."),
    uploadId: z.string().meta({ format: "uuid" }).describe("Names this upload in POST …/file/complete."),
  })
  .meta({ id: "UploadUrl" });

export const completeUploadRequest = z
  .strictObject({
    uploadId: z.string().refine(isUuid, { error: "The uploadId that POST …/file/upload-url answered" }).transform((id) => id.toLowerCase()).meta({ format: "uuid" }),
  })
  .meta({ id: "CompleteUploadRequest" });
