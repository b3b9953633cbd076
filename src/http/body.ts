// Reading a JSON body (API.md §1, §3): 415 unless JSON in UTF-8 with a coding we decode, 413 past
// 5 MiB (counted on the bytes as sent and again once decoded, whatever Content-Length says), 400
// for bytes that do not decode, are not UTF-8 or not JSON, and for JSON that JSON.parse would read
// differently from what it says (duplicate keys, numbers a double cannot hold).
import { ApiError, badRequest, type FieldError } from "./errors";
import { decodeUtf8 } from "../encoding";
import { inexactReadings } from "./json-strict";

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

const tooLarge = () =>
  new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${MAX_BODY_BYTES} bytes (5 MiB)`);

export function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/** The charset parameters of a Content-Type, unquoted and lower-cased (RFC 9110 §8.3.1). */
function charsetsOf(contentType: string): string[] {
  const charsets: string[] = [];
  for (const parameter of contentType.split(";").slice(1)) {
    const equals = parameter.indexOf("=");
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== "charset") continue;
    const value = parameter.slice(equals + 1).trim();
    charsets.push((value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value).toLowerCase());
  }
  return charsets;
}

type Format = "gzip" | "deflate";

/** Content codings we decode (RFC 9110 §8.4.1: "x-gzip" is gzip; HTTP's "deflate" is the zlib format). */
const DECODERS: Record<string, Format> = { gzip: "gzip", "x-gzip": "gzip", deflate: "deflate" };

/** The format to decode the body with, or null for none; 415 for anything else. */
function decoderOf(contentEncoding: string | null): Format | null {
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length === 0) return null;
  const format = codings.length === 1 ? DECODERS[codings[0]!] : undefined;
  if (format) return format;
  throw new ApiError(
    "UNSUPPORTED_MEDIA_TYPE",
    `Content-Encoding ${contentEncoding} is not supported: send the body as is, or with one of gzip, deflate`,
    undefined,
    { "accept-encoding": "gzip, deflate" },
  );
}

/**
 * The bytes of each request's body as read, kept for as long as the request lives: a request run
 * again on the shard its tenant moved to (app.ts) reads its body a second time.
 */
const bodiesRead = new WeakMap<Request, Uint8Array>();

async function readBytes(request: Request, limit: number): Promise<Uint8Array> {
  const kept = bodiesRead.get(request);
  if (kept !== undefined) return kept;
  const bytes = await readBytesOnce(request, limit);
  bodiesRead.set(request, bytes);
  return bytes;
}

async function readBytesOnce(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  const declaredBytes = declared !== null && /^\d+$/.test(declared) ? Number(declared) : null;
  if (declaredBytes !== null && declaredBytes > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  let reader: ReadableStreamBYOBReader;
  try {
    reader = request.body.getReader({ mode: "byob" });
  } catch {
    return readChunks(request.body, limit); // not a byte stream (a body a caller built from its own stream)
  }
  // Straight into one buffer, as large as the declared length (+1 to see a body longer than it
  // says), grown by doubling up to limit + 1: a 5 MiB body is read in a few calls, not 1,200 chunks of 4 KiB.
  let buffer = new ArrayBuffer(Math.min(limit, declaredBytes ?? 64 * 1024) + 1);
  let filled = 0;
  for (;;) {
    if (filled === buffer.byteLength) {
      if (filled > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      const grown = new Uint8Array(Math.min(limit + 1, buffer.byteLength * 2));
      grown.set(new Uint8Array(buffer, 0, filled));
      buffer = grown.buffer;
    }
    const { done, value } = await reader.read(new Uint8Array(buffer, filled, buffer.byteLength - filled));
    if (value) {
      buffer = value.buffer as ArrayBuffer;
      filled += value.byteLength;
    }
    if (done) break;
  }
  if (filled > limit) throw tooLarge();
  return new Uint8Array(buffer, 0, filled);
}

/** `readBytes` for a stream that is not a byte stream: chunk by chunk. */
async function readChunks(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/**
 * Encoded bytes fed to the decoder per write. The runtime's decoder inflates a whole write at once
 * (it has no backpressure) and deflate expands at most ~1032×, so one write yields ≤ ~4 MiB.
 */
const ENCODED_SLICE = 4096;
const NEVER = new Promise<never>(() => {});
const ignore = () => {};

/**
 * Decodes gzip/deflate bytes, stopping as soon as the decoded size passes `limit` (413): a small
 * body that inflates to gigabytes is never inflated whole. Writes and reads alternate: a read is
 * always waiting, straight into the one output buffer, and the next slice is written only once
 * the previous write is done, so no more than about one slice's output is ever held elsewhere.
 */
async function decode(encoded: Uint8Array, format: Format, limit: number): Promise<Uint8Array> {
  const decoder = new DecompressionStream(format);
  const writer = decoder.writable.getWriter();
  const reader = decoder.readable.getReader({ mode: "byob" });
  let output = new ArrayBuffer(limit + 1);
  let filled = 0;
  let offset = 0;
  let closing = false;
  let writing: Promise<void> | null = null;
  let reading = reader.read(new Uint8Array(output, 0, limit + 1));
  reading.catch(ignore);
  try {
    for (;;) {
      if (writing === null && !closing) {
        if (offset < encoded.length) {
          writing = writer.write(encoded.subarray(offset, (offset += ENCODED_SLICE)));
        } else {
          writing = writer.close();
          closing = true;
        }
        writing.catch(ignore);
      }
      // The read first: when both are ready, the output is taken before anything more is written.
      const next = await Promise.race([reading, writing?.then(() => null) ?? NEVER]);
      if (next === null) {
        writing = null;
        continue;
      }
      if (next.value) output = next.value.buffer as ArrayBuffer;
      if (next.done) return new Uint8Array(output, 0, filled);
      filled += next.value!.byteLength;
      if (filled > limit) throw tooLarge();
      reading = reader.read(new Uint8Array(output, filled, limit + 1 - filled));
      reading.catch(ignore);
    }
  } catch (error) {
    reader.cancel().catch(ignore);
    writer.abort().catch(ignore);
    if (error instanceof ApiError) throw error;
    throw badRequest(`Request body is not valid ${format} data (Content-Encoding: ${format}): ${(error as Error).message}`);
  }
}

/**
 * The parsed JSON body of a request, and its exact text (decoded; the idempotency hash uses it).
 * A body JSON.parse would read differently from what it says is a 400 listing every such place.
 */
/**
 * The parsed body, its exact text (the idempotency hash uses it), and the places JSON.parse read
 * differently from what was sent (duplicate keys, inexact numbers): the route reports those with
 * its own validation errors, in one answer (API.md §3), and never acts on such a body.
 */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<{ value: unknown; text: string; inexact: FieldError[] }> {
  const contentType = request.headers.get("content-type");
  if (!isJsonMediaType(contentType)) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Request body must be JSON: send Content-Type: application/json");
  }
  const charset = charsetsOf(contentType!).find((name) => name !== "utf-8" && name !== "utf8");
  if (charset !== undefined) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `Request body must be UTF-8, not charset ${charset}: send Content-Type: application/json`);
  }
  const format = decoderOf(request.headers.get("content-encoding"));
  const sent = await readBytes(request, limit);
  const bytes = format ? await decode(sent, format, limit) : sent;
  let text: string;
  try {
    text = decodeUtf8(bytes, false);
  } catch {
    throw badRequest("Request body is not valid UTF-8");
  }
  if (text.trim() === "") throw badRequest("Request body is empty: send a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`);
  }
  return { value, text, inexact: inexactReadings(text, value) };
}

/**
 * A body's inexact readings with the route's validation errors: an error at a place already said to
 * be misread is about what JSON.parse made of it, not about what was sent, so it is left out.
 */
export function withInexact(inexact: readonly FieldError[], errors: readonly FieldError[]): FieldError[] {
  const misread = new Set(inexact.map((e) => e.pointer));
  return [...inexact, ...errors.filter((e) => !misread.has(e.pointer))];
}
