// PUT /clients/{id}/documents/{documentId}/file (API.md §15): the bytes streamed to R2 first (while
// hashed), then the document marked uploaded through the one write path (runWrite): its history
// entry carries the file's sha256 (§11), its event goes out (§12), an Idempotency-Key is honoured.
// Order matters for a crash: the object is put BEFORE the D1 batch, so a committed `uploaded`
// document always has its object. Before the put, the attempt's row (upload_attempts) is written;
// the batch that commits the upload deletes it, and commits only while the row is unclaimed. A crash
// in between leaves an attempt's row: the cron sweep (files/attempts.ts) removes its object and row.
// Each attempt writes its own key, so a refused or concurrent attempt never touches the committed one.
import { isStaleGraph, isUniqueViolation } from "../db/constraints";
import { bothReads, runBatch } from "../db/database";
import { attemptOpenGuard, attemptRead, deleteAttempts, insertAttempt, type UploadAttemptRow } from "../db/upload-attempts";
import { documentFileRead, markUploaded, type DocumentFileState } from "../db/documents";
import { documentOut } from "../db/mappers";
import type { ClientRow, DocumentRow } from "../db/schema";
import { declaredFile, fileKeyOf, hashedBody, sha256OfBody, type DeclaredFile, type FileContentType } from "../files/upload";
import { ORPHAN_MIN_AGE_MS } from "../files/attempts";
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

const attemptSwept = () =>
  conflict(
    `The upload took longer than ${ORPHAN_MIN_AGE_MS / 60_000} minutes: its bytes were taken for an abandoned attempt's and removed; nothing was kept, send the file again`,
  );

/** The document's fields as recorded: every column but where the file lies (not part of what it is). */
const recorded = ({ fileKey: _key, ...row }: DocumentRow) => row;

export interface Stored {
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
    return commit(request, clientId, documentId, fingerprintOf(declared.contentType, sha256), declared.contentType, null);
  }

  // The attempt is recorded before a byte is put: whatever happens next, the sweep can find it.
  const key = fileKeyOf(request.tenantId, clientId, documentId, newId());
  await runBatch(request.db, [insertAttempt(request.db, { key, tenantId: request.tenantId, clientId, documentId, at: new Date().toISOString() })]);
  const stored = await put(request, key, declared).catch(async (error) => {
    // Nothing is stored (put deleted what it could): the row goes too; if not, the sweep finds it.
    await runBatch(request.db, [deleteAttempts(request.db, [key])]).catch(() => {});
    throw error;
  });
  return commitStored(request, clientId, documentId, fingerprintOf(declared.contentType, stored.sha256), declared.contentType, stored);
}

/** The key of a PUT stands for this file: its type and bytes (a body cannot be kept to compare). */
const fingerprintOf = (contentType: string, sha256: string) => `${contentType}\n${sha256}`;

/** Removes an attempt's object, then its row (only once the object is gone: else the sweep does both). */
export async function discardAttempt(request: ApiRequest, key: string): Promise<void> {
  const deleted = await request.files.delete(key).then(
    () => true,
    () => false,
  );
  if (deleted) await runBatch(request.db, [deleteAttempts(request.db, [key])]).catch(() => {});
}

/** The stored object committed as the document's file; refused or failed, the object is discarded. */
export async function commitStored(request: ApiRequest, clientId: string, documentId: string, fingerprint: string, contentType: FileContentType, stored: Stored): Promise<Response> {
  try {
    return await commit(request, clientId, documentId, fingerprint, contentType, stored);
  } catch (error) {
    // Refused (409, 404, 422, a conflict) or failed: the object is no document's file.
    await discardAttempt(request, stored.key);
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
export async function commit(request: ApiRequest, clientId: string, documentId: string, fingerprint: string, contentType: FileContentType, stored: Stored | null) {
  const { db } = request;
  const idempotency = await idempotencyOf(request, fingerprint);
  const operation: WriteOperation<[DocumentFileState | null, UploadAttemptRow | null]> = {
    read: () => bothReads(documentFileRead(db, request.tenant, clientId, documentId), attemptRead(db, stored?.key ?? "")),
    async decide([state, attempt]) {
      if (!state) throw documentNotFound(clientId, documentId);
      if (state.document.sha256 !== null || !stored) throw alreadyUploaded(documentId);
      if (!attempt || attempt.sweptAt !== null) throw attemptSwept();
      const at = new Date().toISOString();
      if (state.document.contentType !== null && state.document.contentType !== contentType) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `Document ${documentId} declares contentType ${state.document.contentType}: its file must be sent as such`);
      }
      const file = { size: stored.size, sha256: stored.sha256, uploadedAt: at, fileKey: stored.key, contentType };
      const after: DocumentRow = { ...state.document, ...file, status: "uploaded", updatedAt: at };
      const bumped: ClientRow = { ...state.client, version: state.client.version + 1 };
      const changes = [
        recordChange("client", state.client, bumped)!,
        recordChange("document", recorded(state.document), recorded(after))!,
      ];
      const answer: StoredAnswer = { status: 200, headers: {}, body: JSON.stringify(documentOut(after)) };
      return {
        answer,
        // Only while the sweep has not claimed the attempt (it deletes the object); its row goes with it.
        writes: [attemptOpenGuard(db, stored.key), ...markUploaded(db, request.tenantId, clientId, documentId, file), deleteAttempts(db, [stored.key])],
        record: { operation: "upload", at, drafts: [{ clientId, changes }], heads: state.heads },
      };
    },
    // Any change of the client meanwhile (a sync, a delete, a rival upload) appended to its history
    // chain first: this batch's entry lost the sequence. Read again (then 404 or 409, or go on).
    // Or the sweep claimed the attempt (the guard): read again, then 409.
    raced: (error) => isUniqueViolation(error, "client_history") || isStaleGraph(error),
    attempts: MAX_UPLOAD_ATTEMPTS,
    conflict: (attempts) => `The client changed concurrently ${attempts} times during the upload; nothing was kept, retry the request`,
  };
  return runWrite(request, operation, idempotency);
}

