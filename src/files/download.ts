// GET …/file (API.md §15): the document's file streamed back from R2 (never buffered), whole or one
// byte range (RFC 9110 §14).
import { runRead } from "../db/database";
import { documentRead } from "../db/documents";
import { attemptKeysAmong } from "../db/upload-attempts";
import { recordAsOfRead } from "../db/history-reads";
import { entryOfParts } from "../history/entry";
import { graphAsOf } from "../history/replay";
import { readWithKey, requirePermission } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError, notFound } from "../http/errors";
import { filePrefixOf, reprDigestOf } from "./upload";

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
  if (document.sha256 === null || document.fileKey === null) {
    throw notFound(`Document ${documentId} has no file yet: upload it with PUT /clients/${clientId}/documents/${documentId}/file`);
  }
  return served(request, document.fileKey, document.sha256, documentId);
}

/**
 * The object of a document's committed upload among those under its prefix: never one of an
 * attempt that did not commit (those still have their upload_attempts row, until the sweep removes
 * object and row; the committing batch deleted its own), and, of the rest, the one whose put
 * completed last before the recorded uploadedAt (the put precedes the batch that set it) — the rule
 * that still applies to objects put before attempts were recorded.
 */
export function committedObjectOf<O extends { key: string; uploaded: Date }>(objects: readonly O[], attemptKeys: ReadonlySet<string>, uploadedAt: string): O | undefined {
  const at = Date.parse(uploadedAt);
  return objects
    .filter((o) => !attemptKeys.has(o.key) && o.uploaded.getTime() <= at)
    .sort((a, b) => b.uploaded.getTime() - a.uploaded.getTime())[0];
}

/**
 * `?asOf=`: the file of the document as the client's record shows it at that instant — also for a
 * deleted client, whose document rows are gone but whose objects stay until purge (needs
 * clients:history, as every asOf read). The record gives the file's sha256 and uploadedAt;
 * the object is its committed upload's (committedObjectOf). Its
 * ETag and Repr-Digest are the recorded sha256, which the caller can check the bytes against.
 */
export async function downloadDocumentFileAsOf(request: ApiRequest, clientId: string, documentId: string, at: string): Promise<Response> {
  requirePermission(request, "clients:history");
  const record = await readWithKey(request, recordAsOfRead(request.db, request.tenant, clientId, at));
  const graph = graphAsOf(clientId, await Promise.all(record.own.map(entryOfParts)), new Map());
  const document = graph?.documents.find((d) => d.id === documentId);
  if (!document) throw notFound(`Document ${documentId} of client ${clientId} did not exist at ${at}`);
  if (document.sha256 == null || document.uploadedAt == null) {
    throw notFound(`Document ${documentId} had no file at ${at}`);
  }
  const listed = await request.files.list({ prefix: filePrefixOf(request.tenantId, clientId, documentId), limit: 100 });
  const attempts = listed.objects.length > 0 ? await runRead(request.db, attemptKeysAmong(request.db, listed.objects.map((o) => o.key))) : new Set<string>();
  const object = committedObjectOf(listed.objects, attempts, document.uploadedAt);
  if (!object) throw new Error(`the file of document ${documentId} (recorded at ${document.uploadedAt}) is missing from R2`);
  return served(request, object.key, document.sha256, documentId);
}

/**
 * The object streamed back, whole or the one range asked for. Sizes are the object's own (R2's),
 * never the row's `size`, which is metadata a later sync may change.
 */
async function served(request: ApiRequest, key: string, sha256: string, documentId: string): Promise<Response> {
  const missing = () => new Error(`the file of uploaded document ${documentId} is missing from R2`);
  const header = request.headers.get("range");
  let range: ByteRange | null = null;
  let head: R2Object | null = null;
  if (header !== null || request.method === "HEAD") {
    head = await request.files.head(key);
    if (!head) throw missing();
    const asked = rangeOf(header, head.size);
    if (asked === "unsatisfiable") {
      throw new ApiError("RANGE_NOT_SATISFIABLE", `The file has ${head.size} bytes: the Range asks for none of them`, undefined, {
        "content-range": `bytes */${head.size}`,
      });
    }
    range = asked;
  }
  const headersOf = (object: R2Object): Record<string, string> => ({
    "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
    "content-length": String(range ? range.length : object.size),
    etag: `"${sha256}"`,
    "repr-digest": reprDigestOf(sha256),
    "accept-ranges": "bytes",
    ...(range ? { "content-range": `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}` } : {}),
  });
  const status = range ? 206 : 200;
  if (request.method === "HEAD") return new Response(null, { status, headers: headersOf(head!) });
  const object = await request.files.get(key, range ? { range } : {});
  // An uploaded document's object is put before its row says so (write/upload.ts): never missing.
  if (!object) throw missing();
  return new Response(object.body, { status, headers: headersOf(object) });
}
