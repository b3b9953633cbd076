// GET …/file (API.md §15): the document's file streamed back from R2 (never buffered), whole or one
// byte range (RFC 9110 §14).
import { documentRead } from "../db/documents";
import { readWithKey } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError, notFound } from "../http/errors";
import { reprDigestOf } from "./upload";

/** One satisfiable range of a file of `size` bytes. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * The Range header against a file of `size` bytes: null to send the whole file (no header, a
 * malformed one, or several ranges — RFC 9110 §14.2 lets a server ignore those), a range, or
 * "unsatisfiable" (416).
 */
export function rangeOf(header: string | null, size: number): ByteRange | null | "unsatisfiable" {
  if (header === null) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  const [, first, last] = match;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const offset = Number(first);
  if (offset >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < offset) return null; // last < first: invalid, ignored
  return { offset, length: end - offset + 1 };
}

export async function downloadDocumentFile(request: ApiRequest, clientId: string, documentId: string): Promise<Response> {
  const document = await readWithKey(request, documentRead(request.db, request.tenant, clientId, documentId));
  if (!document) throw notFound(`Document ${documentId} of client ${clientId} not found`);
  if (document.sha256 === null || document.fileKey === null || document.size === null) {
    throw notFound(`Document ${documentId} has no file yet: upload it with PUT /clients/${clientId}/documents/${documentId}/file`);
  }
  const size = document.size;
  const range = rangeOf(request.headers.get("range"), size);
  if (range === "unsatisfiable") {
    throw new ApiError("RANGE_NOT_SATISFIABLE", `The file has ${size} bytes: the Range asks for none of them`, undefined, { "content-range": `bytes */${size}` });
  }
  const headers: Record<string, string> = {
    etag: `"${document.sha256}"`,
    "repr-digest": reprDigestOf(document.sha256),
    "accept-ranges": "bytes",
    "content-length": String(range ? range.length : size),
  };
  if (range) headers["content-range"] = `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`;
  const status = range ? 206 : 200;
  if (request.method === "HEAD") {
    const head = await request.files.head(document.fileKey);
    if (!head) throw new Error(`the file of uploaded document ${documentId} is missing from R2`);
    return new Response(null, { status, headers: { ...headers, "content-type": head.httpMetadata?.contentType ?? "application/octet-stream" } });
  }
  const object = await request.files.get(document.fileKey, range ? { range } : {});
  // An uploaded document's object is put before its row says so (write/upload.ts): never missing.
  if (!object) throw new Error(`the file of uploaded document ${documentId} is missing from R2`);
  return new Response(object.body, { status, headers: { ...headers, "content-type": object.httpMetadata?.contentType ?? "application/octet-stream" } });
}
