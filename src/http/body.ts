// Reading a JSON body: 415 unless JSON, 413 past 5 MiB (counted on the bytes, whatever
// Content-Length says), 400 for bytes that are not UTF-8 or not JSON.
import { ApiError, badRequest } from "./errors";

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

const tooLarge = () =>
  new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${MAX_BODY_BYTES} bytes (5 MiB)`);

export function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

async function readBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
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

/** The parsed JSON body of a request, and its exact bytes' text (the idempotency hash uses it). */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<{ value: unknown; text: string }> {
  if (!isJsonMediaType(request.headers.get("content-type"))) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Request body must be JSON: send Content-Type: application/json");
  }
  const bytes = await readBytes(request, limit);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest("Request body is not valid UTF-8");
  }
  if (text.trim() === "") throw badRequest("Request body is empty: send a JSON object");
  try {
    return { value: JSON.parse(text), text };
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`);
  }
}
