// PUT /clients/{id}/documents/{documentId}/file (API.md §15): the bytes streamed to R2 first (while
// hashed), then the document marked uploaded through the one write path (runWrite): its history
// entry carries the file's sha256 (§11), its event goes out (§12), an Idempotency-Key is honoured.
// Order matters for a crash: the object is put BEFORE the D1 batch, so a committed `uploaded`
// document always has its object; a crash in between leaves an orphan object (no row names it),
// which the next upload of the document or the sweep removes (files/upload.ts removeOrphans).
// Each attempt writes its own key, so a refused or concurrent attempt never touches the committed one.
import { isUniqueViolation } from "../db/constraints";
import { documentFileRead, markUploaded, type DocumentFileState } from "../db/documents";
import { documentOut } from "../db/mappers";
import type { ClientRow, DocumentRow } from "../db/schema";
import { declaredFile, fileKeyOf, filePrefixOf, hashedBody, removeOrphans, sha256OfBody, type DeclaredFile } from "../files/upload";
import { recordChange } from "../history/drafts";
import { readWithKey } from "../http/auth";
import type { ApiRequest } from "../http/context";
import { ApiError, badRequest, conflict, notFound } from "../http/errors";
import { IDEMPOTENCY_HEADER, idempotencyOf, type StoredAnswer } from "../http/idempotency";
import { newId } from "../ids";
import { runWrite, type WriteOperation } from "./runner";

const MAX_UPLOAD_ATTEMPTS = 3;

const documentNotFound = (clientId: string, documentId: string) => notFound(`Document ${documentId} of client ${clientId} not found`);
const alreadyUploaded = (documentId: string) =>
  conflict(`Document ${documentId} already has its file: a KYC document's file is immutable; upload a new version as a new document`);

/** The document's fields as recorded: every column but where the file lies (not part of what it is). */
const recorded = ({ fileKey: _key, ...row }: DocumentRow) => row;

interface Stored {
  key: string;
  sha256: string;
  size: number;
}

export async function uploadDocumentFile(request: ApiRequest, clientId: string, documentId: string): Promise<Response> {
  const declared = declaredFile(request);
  if (request.body === null) throw badRequest("The file's bytes are the body: it is missing");
  const keyed = request.headers.has(IDEMPOTENCY_HEADER);
  const found = await readWithKey(request, documentFileRead(request.db, request.tenant, clientId, documentId));
  if (!found) throw documentNotFound(clientId, documentId);
  const prefix = filePrefixOf(request.tenantId, clientId, documentId);
  const expected = found.document.contentType;
  if (expected !== null && expected !== declared.contentType && found.document.sha256 === null) {
    throw new ApiError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Document ${documentId} declares contentType ${expected}: its file must be sent as ${expected}, not ${declared.contentType}`,
    );
  }

  if (found.document.sha256 !== null) {
    // A keyed retry of the upload that succeeded gets its answer again: the body is hashed (to
    // tell it from another file under the same key), never stored.
    if (!keyed) throw alreadyUploaded(documentId);
    const sha256 = await sha256OfBody(request.body, declared.length);
    return commit(request, clientId, documentId, declared, null, sha256);
  }

  // What a crashed or refused attempt left behind, before this one adds its own.
  await removeOrphans(request.files, prefix, null);
  const stored = await put(request, fileKeyOf(request.tenantId, clientId, documentId, newId()), declared);
  try {
    return await commit(request, clientId, documentId, declared, stored, stored.sha256);
  } catch (error) {
    // Refused (409, 404, 422, a conflict) or failed: the object is no document's file. If this delete
    // is lost too, the object is an orphan that the next attempt or the sweep removes.
    await request.files.delete(stored.key).catch(() => {});
    throw error;
  }
}

/** The body streamed to R2 under `key` while hashed; nothing stays stored when it does not match. */
async function put(request: ApiRequest, key: string, declared: DeclaredFile): Promise<Stored> {
  const body = hashedBody(request.body!, declared.length);
  try {
    await request.files.put(key, body.stream, {
      httpMetadata: { contentType: declared.contentType },
      // R2 checks it too, and refuses the put when the bytes do not match.
      ...(declared.sha256 ? { sha256: declared.sha256 } : {}),
    });
  } catch (error) {
    await request.files.delete(key).catch(() => {});
    const sha256 = await body.sha256.catch(() => null);
    if (sha256 !== null && declared.sha256 !== null && sha256 !== declared.sha256) throw digestMismatch(declared.sha256, sha256);
    if (sha256 === null) throw badRequest(`The body ended before its Content-Length (${declared.length} bytes) or ran past it: nothing was stored`);
    throw error;
  }
  const sha256 = await body.sha256;
  if (declared.sha256 !== null && sha256 !== declared.sha256) {
    await request.files.delete(key);
    throw digestMismatch(declared.sha256, sha256);
  }
  return { key, sha256, size: declared.length };
}

const digestMismatch = (declared: string, actual: string) =>
  badRequest(`The body's SHA-256 is ${actual}, not the ${declared} its digest header declares: nothing was stored`, [
    { pointer: "/headers/repr-digest", code: "digest_mismatch", detail: "Does not match the body" },
  ]);

/**
 * The upload as a write: the document marked uploaded, its client's version moved, the history entry
 * and event, the answer under the Idempotency-Key — one D1 batch (runWrite). `stored` is null for a
 * keyed retry of an upload already committed (its decision can only replay or refuse).
 */
async function commit(request: ApiRequest, clientId: string, documentId: string, declared: DeclaredFile, stored: Stored | null, sha256: string) {
  const { db } = request;
  // The key stands for this file: its type and bytes.
  const idempotency = await idempotencyOf(request, `${declared.contentType}\n${sha256}`);
  const operation: WriteOperation<DocumentFileState | null> = {
    read: () => documentFileRead(db, request.tenant, clientId, documentId),
    async decide(state) {
      if (!state) throw documentNotFound(clientId, documentId);
      if (state.document.sha256 !== null || !stored) throw alreadyUploaded(documentId);
      const at = new Date().toISOString();
      if (state.document.contentType !== null && state.document.contentType !== declared.contentType) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `Document ${documentId} declares contentType ${state.document.contentType}: its file must be sent as such`);
      }
      const file = { size: stored.size, sha256: stored.sha256, uploadedAt: at, fileKey: stored.key, contentType: declared.contentType };
      const after: DocumentRow = { ...state.document, ...file, status: "uploaded", updatedAt: at };
      const bumped: ClientRow = { ...state.client, version: state.client.version + 1 };
      const changes = [
        recordChange("client", state.client, bumped)!,
        recordChange("document", recorded(state.document), recorded(after))!,
      ];
      const answer: StoredAnswer = { status: 200, headers: {}, body: JSON.stringify(documentOut(after)) };
      return {
        answer,
        writes: markUploaded(db, request.tenantId, clientId, documentId, file),
        record: { operation: "upload", at, drafts: [{ clientId, changes }], heads: state.heads },
      };
    },
    // Any change of the client meanwhile (a sync, a delete, a rival upload) appended to its history
    // chain first: this batch's entry lost the sequence. Read again (then 404 or 409, or go on).
    raced: (error) => isUniqueViolation(error, "client_history"),
    attempts: MAX_UPLOAD_ATTEMPTS,
    conflict: (attempts) => `The client changed concurrently ${attempts} times during the upload; nothing was kept, retry the request`,
  };
  return runWrite(request, operation, idempotency);
}

