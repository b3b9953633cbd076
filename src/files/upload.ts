// The bytes of a document file (API.md §15), from the request to R2: checked before anything is
// read (type, length, digest header), then streamed to R2 through a SHA-256 over the stream — one
// chunk in memory at a time, never the whole file.
import { ApiError, badRequest } from "../http/errors";
import { DOCUMENT_CONTENT_TYPES } from "../schemas/document";

/** API.md §15: 25 MiB at most. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export type FileContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

/** What the request's headers say of the file: checked before a byte of it is read. */
export interface DeclaredFile {
  contentType: FileContentType;
  length: number;
  /** The SHA-256 the caller sent (Repr-Digest or Digest), lower-case hex, or null. */
  sha256: string | null;
}

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

function base64ToHex(value: string): string | null {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(value)) return null; // 32 bytes, RFC 4648 base64
  const binary = atob(value);
  return hex(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export const hexToBase64 = (sha256: string) => btoa(String.fromCharCode(...(sha256.match(/../g) ?? []).map((h) => parseInt(h, 16))));

/** `Repr-Digest: sha-256=:<base64>:` as RFC 9530 writes it (a dictionary: other algorithms are ignored). */
export const reprDigestOf = (sha256: string) => `sha-256=:${hexToBase64(sha256)}:`;

/**
 * The SHA-256 a request declares: `Repr-Digest` (RFC 9530, a structured dictionary whose `sha-256`
 * member is a byte sequence) or the older `Digest` (RFC 3230, `SHA-256=<base64>`). A header that is
 * present but malformed, or names no sha-256, is a 400: a digest the caller meant to be checked is
 * never silently skipped. Both present must agree.
 */
export function declaredSha256(headers: Headers): string | null {
  const found: string[] = [];
  const repr = headers.get("repr-digest");
  if (repr !== null) {
    const member = repr.split(",").map((m) => m.trim()).find((m) => /^sha-256=/i.test(m));
    const value = member ? /^sha-256=:([^:]*):$/i.exec(member)?.[1] : undefined;
    const sha = value === undefined ? null : base64ToHex(value);
    if (sha === null) throw badRequest("Repr-Digest must carry sha-256=:<base64 of the 32-byte SHA-256>: (RFC 9530)", [{ pointer: "/headers/repr-digest", code: "invalid", detail: "Malformed or without sha-256" }]);
    found.push(sha);
  }
  const legacy = headers.get("digest");
  if (legacy !== null) {
    const member = legacy.split(",").map((m) => m.trim()).find((m) => /^sha-256=/i.test(m));
    const sha = member ? base64ToHex(member.slice("sha-256=".length)) : null;
    if (sha === null) throw badRequest("Digest must carry SHA-256=<base64 of the 32-byte SHA-256> (RFC 3230)", [{ pointer: "/headers/digest", code: "invalid", detail: "Malformed or without SHA-256" }]);
    found.push(sha);
  }
  if (found.length === 2 && found[0] !== found[1]) {
    throw badRequest("Repr-Digest and Digest name different SHA-256 values", [{ pointer: "/headers/digest", code: "invalid", detail: "Differs from Repr-Digest" }]);
  }
  return found[0] ?? null;
}

/** The file the headers declare, or the 4xx they earn (415, 411, 413, 400). */
export function declaredFile(request: Request): DeclaredFile {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `A document file must be sent as one of ${DOCUMENT_CONTENT_TYPES.join(", ")} (Content-Type), not "${type.slice(0, 100)}"`);
  }
  const encoding = request.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "A document file is stored as sent: send it without Content-Encoding");
  }
  const lengthHeader = request.headers.get("content-length");
  if (lengthHeader === null) throw new ApiError("LENGTH_REQUIRED", "Send the file's size in Content-Length (a chunked upload is not accepted)");
  if (!/^\d{1,16}$/.test(lengthHeader.trim())) throw badRequest("Content-Length must be a number of bytes", [{ pointer: "/headers/content-length", code: "invalid", detail: "Not a number" }]);
  const length = Number(lengthHeader.trim());
  if (length > MAX_FILE_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE", `A document file is at most ${MAX_FILE_BYTES} bytes (25 MiB); this one is ${length}`);
  if (length === 0) throw badRequest("A document file cannot be empty", [{ pointer: "/body", code: "invalid", detail: "Empty" }]);
  return { contentType: type as FileContentType, length, sha256: declaredSha256(request.headers) };
}

/** The body as it streams: its SHA-256 and byte count once it has ended. */
export interface HashedBody {
  /** The bytes to store: exactly `length` of them, or the stream errors (truncated, or longer). */
  stream: ReadableStream<Uint8Array>;
  /** Settles once the stream has ended: the lower-case hex SHA-256 of every byte that went through. */
  sha256: Promise<string>;
}

/**
 * The body through a SHA-256 (crypto.DigestStream: the hash is updated chunk by chunk) into a
 * FixedLengthStream of the declared length, which R2 needs to know the size, and which errors the
 * stream when the body ends short or runs long: such an upload stores nothing.
 */
export function hashedBody(body: ReadableStream<Uint8Array>, length: number): HashedBody {
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  let seen = 0;
  const counting = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > length) throw new Error(`the body is longer than its Content-Length (${length})`);
      await hasher.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      if (seen !== length) throw new Error(`the body ended after ${seen} of ${length} bytes`);
      await hasher.close();
    },
  });
  const fixed = new FixedLengthStream(length);
  const piped = body.pipeThrough(counting).pipeTo(fixed.writable);
  const sha256 = piped.then(async () => hex(await digest.digest));
  sha256.catch(() => {}); // awaited by the caller only after a put that succeeded
  return { stream: fixed.readable, sha256 };
}

/** Only hashes the body (a keyed retry of an upload already done: nothing is stored). */
export async function sha256OfBody(body: ReadableStream<Uint8Array>, length: number): Promise<string> {
  const { stream, sha256 } = hashedBody(body, length);
  await stream.pipeTo(new WritableStream());
  return sha256;
}

/** The R2 key of one upload attempt of a document's file: tenant, client, document, attempt. */
export const fileKeyOf = (tenantId: string, clientId: string, documentId: string, uploadId: string) =>
  `${filePrefixOf(tenantId, clientId, documentId)}${uploadId}`;

export const filePrefixOf = (tenantId: string, clientId: string, documentId: string) => `files/${tenantId}/${clientId}/${documentId}/`;

/** A client's files, all its documents' (for purge). */
export const clientFilesPrefixOf = (tenantId: string, clientId: string) => `files/${tenantId}/${clientId}/`;
