// GET /clients/{id}/documents/{documentId}/file (API.md §15): the file streamed back from R2, whole
// or one byte range.
import * as z from "zod";
import { documentFileParams, fileEtagHeader, rangeHeader, reprDigestHeader } from "../schemas/files";
import { DOCUMENT_CONTENT_TYPES } from "../schemas/document";
import { downloadDocumentFile } from "../files/download";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/clients/{id}/documents/{documentId}/file",
  permissions: ["clients:read"],
  params: documentFileParams,
  handler: (request, { params }) => downloadDocumentFile(request, params.id, params.documentId),
  doc: {
    operationId: "downloadDocumentFile",
    summary: "Download a document's file",
    description:
      "The document's file as it was uploaded (API.md §15), streamed, with its Content-Type, Content-Length, ETag (its SHA-256) " +
      "and Repr-Digest. One `Range` is honoured (206 with Content-Range; 416 outside the file). A document without a file is a 404.",
    headers: z.object({ Range: rangeHeader }),
    response: {
      description: "The file's bytes (206 Partial Content for a Range: those bytes only, with Content-Range).",
      schema: z.string().meta({ format: "binary" }),
      contentTypes: DOCUMENT_CONTENT_TYPES,
      headers: z.object({
        ETag: fileEtagHeader,
        "Repr-Digest": reprDigestHeader,
        "Content-Length": z.string().regex(/^\d+$/).describe("The bytes of this answer."),
        "Accept-Ranges": z.literal("bytes"),
      }),
    },
    errors: {
      BAD_REQUEST: `A malformed id, ${ENVIRONMENT_PROBLEM}.`,
      ...KEY_ERRORS,
      NOT_FOUND: "No such client for this tenant, no such document of it, or the document has no file yet.",
      RANGE_NOT_SATISFIABLE: "The Range starts past the file's end.",
    },
  },
});
