// Presigned uploads of a document's file (API.md §15): POST …/file/upload-url hands out a presigned
// PUT of R2's S3 API bound to the declared size, SHA-256 and type (files/presign.ts), after recording
// the attempt (upload_attempts, with that declaration); POST …/file/complete checks the object
// (size, SHA-256, type) and marks the document uploaded through the write path of PUT …/file
// (write/upload.ts commit → runWrite: history entry, event, Idempotency-Key). An attempt never
// completed is removed by the cron sweep (files/attempts.ts) 15 minutes after its URL expires.
import { bothReads, runBatch } from "../db/database";
import { documentFileRead } from "../db/documents";
import { documentAttemptRead, insertAttempt } from "../db/upload-attempts";
import type { Env } from "../env";
import { presignFilePut, s3SettingsOf } from "../files/presign";
import { fileKeyOf, type FileContentType } from "../files/upload";
import { readWithKey } from "../http/auth";
import { readJsonBody, withInexact } from "../http/body";
import type { ApiRequest } from "../http/context";
import { ApiError, badRequest, conflict, notFound, VALIDATION_DETAIL } from "../http/errors";
import { json } from "../http/pipeline";
import { newId } from "../ids";
import { fieldErrors } from "../schemas/common";
import { completeUploadRequest, uploadUrlRequest } from "../schemas/files";
import { commit, discardAttempt } from "./upload";

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function parsed<T>(request: ApiRequest, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } }): Promise<T> {
  const { value, inexact } = await readJsonBody(request);
  const result = schema.safeParse(value);
  if (!result.success || inexact.length > 0) throw new ApiError("BAD_REQUEST", VALIDATION_DETAIL, withInexact(inexact, result.success ? [] : fieldErrors(result.error)));
  return result.data;
}

const alreadyUploaded = (documentId: string) =>
  conflict(`Document ${documentId} already has its file: a KYC document's file is immutable; upload a new version as a new document`);

export async function issueUploadUrl(request: ApiRequest, env: Env, clientId: string, documentId: string): Promise<Response> {
  const body = await parsed(request, uploadUrlRequest);
  const found = await readWithKey(request, documentFileRead(request.db, request.tenant, clientId, documentId));
  if (!found) throw notFound(`Document ${documentId} of client ${clientId} not found`);
  if (found.document.sha256 !== null) throw alreadyUploaded(documentId);
  const declaredType = found.document.contentType as FileContentType | null;
  const contentType = body.contentType ?? declaredType;
  if (contentType === null) {
    throw badRequest(VALIDATION_DETAIL, [{ pointer: "/contentType", code: "required", detail: `Document ${documentId} declares no contentType: give the file's` }]);
  }
  if (declaredType !== null && contentType !== declaredType) {
    throw badRequest(VALIDATION_DETAIL, [{ pointer: "/contentType", code: "content_type_mismatch", detail: `Document ${documentId} declares contentType ${declaredType}` }]);
  }
  const settings = s3SettingsOf(env, request.environment);
  // Fail closed: the log names the missing setting, the answer nothing internal.
  if ("missing" in settings) throw new Error(`presigned uploads need the Worker setting ${settings.missing} (wrangler secret put / [vars])`);

  const uploadId = newId();
  const key = fileKeyOf(request.tenantId, clientId, documentId, uploadId);
  const now = new Date();
  const signed = await presignFilePut(settings, key, { size: body.size, sha256: body.sha256, contentType }, now);
  // Recorded before the URL exists for the caller; `at` is its expiry, the last instant bytes may
  // start to arrive: the sweep removes what was never completed 15 minutes after it.
  await runBatch(request.db, [
    insertAttempt(request.db, { key, tenantId: request.tenantId, clientId, documentId, at: signed.expiresAt, size: body.size, sha256: body.sha256, contentType }),
  ]);
  return json({ url: signed.url, expiresAt: signed.expiresAt, headers: signed.headers, uploadId });
}

export async function completeUpload(request: ApiRequest, clientId: string, documentId: string): Promise<Response> {
  const { uploadId } = await parsed(request, completeUploadRequest);
  const [found, attempt] = await readWithKey(
    request,
    bothReads(documentFileRead(request.db, request.tenant, clientId, documentId), documentAttemptRead(request.db, request.tenant, clientId, documentId, uploadId)),
  );
  const key = fileKeyOf(request.tenantId, clientId, documentId, uploadId);
  if (!found) throw notFound(`Document ${documentId} of client ${clientId} not found`);
  // Completed already (its row went with the commit): a keyed retry gets its answer again.
  const fingerprint = `complete\n${uploadId}`;
  if (found.document.sha256 !== null && (attempt === null || found.document.fileKey === key)) {
    // (commit, never commitStored: a refusal must not discard the committed file.)
    if (request.headers.has("idempotency-key") && found.document.fileKey === key) {
      return commit(request, clientId, documentId, fingerprint, found.document.contentType as FileContentType, null);
    }
    throw alreadyUploaded(documentId);
  }
  if (!attempt || attempt.sha256 === null || attempt.size === null || attempt.contentType === null) {
    throw notFound(`No upload ${uploadId} of document ${documentId} is open: ask for one with POST …/file/upload-url (an unused one is removed after it expires)`, [
      { pointer: "/uploadId", code: "not_found", detail: "No such open upload of this document" },
    ]);
  }
  if (attempt.sweptAt !== null) throw conflict(`Upload ${uploadId} expired and was removed: ask for a new upload URL`);
  const head = await request.files.head(key);
  if (!head) {
    throw conflict(`Nothing was stored under upload ${uploadId} yet: PUT the file to its url (before its expiresAt), then complete it`);
  }
  const wrong = (detail: string) => {
    throw badRequest(`${detail}: it was removed; ask for a new upload URL and send the file again`, [{ pointer: "/uploadId", code: "file_mismatch", detail }]);
  };
  if (head.size !== attempt.size) {
    await discardAttempt(request, key);
    wrong(`The stored object has ${head.size} bytes, not the ${attempt.size} declared`);
  }
  const stored = head.checksums.sha256 ? hex(head.checksums.sha256) : await sha256OfObject(request.files, key);
  if (stored !== attempt.sha256) {
    await discardAttempt(request, key);
    wrong(`The stored object's SHA-256 is ${stored}, not the ${attempt.sha256} declared`);
  }
  if ((head.httpMetadata?.contentType ?? "") !== attempt.contentType) {
    await discardAttempt(request, key);
    wrong(`The stored object's type is ${head.httpMetadata?.contentType ?? "none"}, not the ${attempt.contentType} declared`);
  }
  // A refusal (a concurrent change, another upload that won) keeps the object and its attempt: the
  // caller may complete again, and an attempt that never commits is the sweep's.
  return commit(request, clientId, documentId, fingerprint, attempt.contentType as FileContentType, { key, sha256: attempt.sha256, size: attempt.size });
}

/** The object's SHA-256 by reading it (one chunk at a time): when R2 kept no checksum of it. */
async function sha256OfObject(bucket: R2Bucket, key: string): Promise<string | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const digest = new crypto.DigestStream("SHA-256");
  await object.body.pipeTo(digest);
  return hex(await digest.digest);
}
