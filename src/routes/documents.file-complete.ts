// POST /clients/{id}/documents/{documentId}/file/complete (API.md §15): the object a presigned PUT
// stored is checked (size, SHA-256, type) and the document marked uploaded, through the same write
// as PUT …/file (src/write/presigned.ts → write/upload.ts commit → runWrite).
import * as z from "zod";
import { completeUploadRequest, documentFileParams } from "../schemas/files";
import { idempotencyKeyHeader, onBehalfOfHeader } from "../schemas/requests";
import { documentResponse, replayedHeader } from "../schemas/responses";
import { completeUpload } from "../write/presigned";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "POST",
  path: "/clients/{id}/documents/{documentId}/file/complete",
  permissions: ["clients:update"],
  params: documentFileParams,
  handler: (request, { params }) => completeUpload(request, params.id, params.documentId),
  doc: {
    operationId: "completeDocumentFileUpload",
    summary: "Complete a presigned upload of a document's file",
    description:
      "After the PUT to the presigned `url` (API.md §15): the stored object is checked against what the upload URL declared " +
      "(size, SHA-256, type) and the document becomes `uploaded`, exactly as with PUT …/file: a history entry (operation `upload`), " +
      "a `client.updated` event, and the Idempotency-Key honoured. An object that does not match is removed (400).",
    headers: z.object({ "Idempotency-Key": idempotencyKeyHeader, "X-On-Behalf-Of": onBehalfOfHeader }),
    body: completeUploadRequest,
    response: { description: "The document, now uploaded.", schema: documentResponse, headers: z.object({ "Idempotent-Replayed": replayedHeader }) },
    errors: {
      BAD_REQUEST: `A malformed id or body, or a stored object whose size, SHA-256 or type is not the one declared (it is removed), ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "No such client for this tenant, no such document of it, or no such open upload of the document.",
      CONFLICT: "Nothing was PUT to the URL yet, the upload expired and was removed, the document already has its file, or the client kept changing concurrently.",
      UNPROCESSABLE_CONTENT: "The Idempotency-Key was already used with another request.",
      ...BODY_ERRORS,
    },
  },
});
