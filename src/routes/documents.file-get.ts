// GET /clients/{id}/documents/{documentId}/file (API.md §15): the file streamed back from R2, whole
// or one byte range.
import * as z from "zod";
import { documentFileParams, fileEtagHeader, rangeHeader, reprDigestHeader } from "../schemas/files";
import { DOCUMENT_CONTENT_TYPES } from "../schemas/document";
import { downloadDocumentFile, downloadDocumentFileAsOf } from "../files/download";
import { requirePermission } from "../http/auth";
import { fileQuery } from "../schemas/files";
import { ENVIRONMENT_PROBLEM, KEY_ERRORS, operation } from "./operation";

export default operation({
  method: "GET",
  path: "/clients/{id}/documents/{documentId}/file",
  permissions: ["clients:read"],
  params: documentFileParams,
  query: fileQuery,
  // asOf needs clients:history too, also when the query is refused: the key's 403 comes before the query's 400.
  async checkQuery(raw, request) {
    if (raw.asOf !== undefined) requirePermission(request, "clients:history");
    return [];
  },
  handler: (request, { params, query }) =>
    query.asOf !== undefined
      ? downloadDocumentFileAsOf(request, params.id, params.documentId, query.asOf)
      : downloadDocumentFile(request, params.id, params.documentId),
  doc: {
    operationId: "downloadDocumentFile",
    summary: "Download a document's file",
    description:
      "The document's file as it was uploaded (API.md §15), streamed, with its Content-Type, Content-Length, ETag (its SHA-256) " +
      "and Repr-Digest. One `Range` is honoured (206 with Content-Range; 416 outside the file). A document without a file is a 404. " +
      "With `asOf` (needs clients:history): the file as the client's record shows it at that instant, also for a deleted client " +
      "within retention (a DELETE erases no file; only purge does).",
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
      FORBIDDEN: "The API key lacks clients:read, or clients:history for an asOf read.",
      NOT_FOUND: "No such client for this tenant, no such document of it, or the document has no file yet (with asOf: at that instant).",
      RANGE_NOT_SATISFIABLE: "The Range starts past the file's end.",
    },
  },
});
