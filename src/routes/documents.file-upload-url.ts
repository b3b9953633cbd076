// POST /clients/{id}/documents/{documentId}/file/upload-url (API.md §15): a presigned PUT of R2's S3
// API for a browser to send a large file straight to storage (src/write/presigned.ts).
import { documentFileParams, uploadUrlRequest, uploadUrlResponse } from "../schemas/files";
import { issueUploadUrl } from "../write/presigned";
import { BODY_ERRORS, ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "POST",
  path: "/clients/{id}/documents/{documentId}/file/upload-url",
  permissions: ["clients:update"],
  params: documentFileParams,
  handler: (request, { params }, env) => issueUploadUrl(request, env, params.id, params.documentId),
  doc: {
    operationId: "createDocumentFileUploadUrl",
    summary: "Get a presigned upload URL for a document's file",
    description:
      "For large files sent straight from a browser (API.md §15): a presigned PUT of the storage's S3 API, valid 15 minutes, " +
      "bound to the size, SHA-256 and type declared here (they are signed: the storage refuses other bytes). PUT the file to `url` " +
      "with exactly `headers`, then call POST …/file/complete with `uploadId`. Nothing about the document changes until then. " +
      "Local development (`npm start`) has no S3 API: its URLs cannot be used there.",
    body: uploadUrlRequest,
    response: { description: "Where and how to PUT the file.", schema: uploadUrlResponse },
    errors: {
      BAD_REQUEST: `A malformed id, a body that failed validation, no contentType for a document that declares none, another than the document's, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "No such client for this tenant, or no such document of it.",
      CONFLICT: "The document already has its file (immutable).",
      ...BODY_ERRORS,
    },
  },
});
