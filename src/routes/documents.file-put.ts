// PUT /clients/{id}/documents/{documentId}/file (API.md §15): the file's bytes as the body, streamed
// to R2 while hashed; the handler is the write path's (src/write/upload.ts).
import * as z from "zod";
import { idempotencyKeyHeader, onBehalfOfHeader } from "../schemas/requests";
import { digestHeader, documentFileParams, reprDigestHeader } from "../schemas/files";
import { documentResponse, replayedHeader } from "../schemas/responses";
import { DOCUMENT_CONTENT_TYPES } from "../schemas/document";
import { uploadDocumentFile } from "../write/upload";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "PUT",
  path: "/clients/{id}/documents/{documentId}/file",
  permissions: ["clients:update"],
  params: documentFileParams,
  handler: (request, { params }) => uploadDocumentFile(request, params.id, params.documentId),
  doc: {
    operationId: "uploadDocumentFile",
    summary: "Upload a document's file",
    description:
      "The document's file, as the raw body (API.md §15): at most 25 MiB, with its Content-Length, in one of the types of §4.5. " +
      "It is streamed to storage while its SHA-256 is computed; a `Repr-Digest` (or `Digest`) sent with it is checked, and a mismatch keeps " +
      "nothing. The document becomes `uploaded` with `size`, `sha256` and `uploadedAt`, recorded in the client's history (operation " +
      "`upload`) and sent as a `client.updated` event. A file is immutable: a second upload is a 409 (a new version is a new document).",
    headers: z.object({
      "Repr-Digest": reprDigestHeader.optional().describe(reprDigestHeader.description!),
      Digest: digestHeader,
      "Idempotency-Key": idempotencyKeyHeader,
      "X-On-Behalf-Of": onBehalfOfHeader,
    }),
    rawBody: { contentTypes: DOCUMENT_CONTENT_TYPES, description: "The file's bytes, exactly as they are to be kept." },
    response: { description: "The document, now uploaded.", schema: documentResponse, headers: z.object({ "Idempotent-Replayed": replayedHeader }) },
    errors: {
      BAD_REQUEST: `A malformed id or digest header, a body whose SHA-256 differs from its digest header, a body shorter or longer than its Content-Length, an empty body, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "No such client for this tenant, or no such document of it.",
      CONFLICT: "The document already has its file (immutable), or the client kept changing concurrently.",
      LENGTH_REQUIRED: "No Content-Length (a chunked upload).",
      PAYLOAD_TOO_LARGE: "The file is over 25 MiB.",
      UNSUPPORTED_MEDIA_TYPE:
        "A Content-Type outside image/jpeg, image/png, image/webp, application/pdf, another than the document's own contentType, or a Content-Encoding.",
      UNPROCESSABLE_CONTENT: "The Idempotency-Key was already used with another file.",
    },
  },
});
