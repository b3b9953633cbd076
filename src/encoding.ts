// Byte encodings shared by the Worker and scripts/ (Node runs this file as is: no imports).

const encoder = new TextEncoder();

/** Two lower-case hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** SHA-256 of the UTF-8 text, as 64 lower-case hex digits. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let hex = "";
  for (let i = 0; i < digest.length; i++) hex += HEX[digest[i]!];
  return hex;
}

/**
 * Whether `JSON.stringify(value)` is already the canonical JSON of `value` (object keys sorted by
 * UTF-16 code units at every level, as `Array.prototype.sort` orders strings): true only for plain
 * objects and arrays (no `toJSON`, no other prototype) whose keys JSON.stringify lists in sorted
 * order, holding nothing JSON.stringify would write differently from a canonical writer: no
 * function, symbol or bigint, and no undefined member unless `undefinedDropped` (a canonical form
 * that drops undefined members, as JSON.stringify does). Undefined array items are written `null`
 * by both. When false, a canonical writer builds the text itself (the answer is the same either way).
 */
export function stringifiesSorted(value: object, undefinedDropped: boolean): boolean {
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || item === undefined) continue;
      const type = typeof item;
      if (type === "object") {
        if (!stringifiesSorted(item as object, undefinedDropped)) return false;
      } else if (type === "function" || type === "symbol" || type === "bigint") return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(value);
  // The order of this level first: a level out of order fails before its members are visited.
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  const object = value as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const item = object[keys[i]!];
    if (item === null) continue;
    const type = typeof item;
    if (type === "object") {
      if (!stringifiesSorted(item as object, undefinedDropped)) return false;
    } else if (type === "undefined") {
      if (!undefinedDropped) return false;
    } else if (type === "function" || type === "symbol" || type === "bigint") return false;
  }
  return true;
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Bytes handed to the decoder per call (see decodeUtf8). */
const DECODE_SLICE = 64 * 1024;

/**
 * The text of UTF-8 bytes, or a TypeError when they are not UTF-8 (a `fatal` TextDecoder), decoded
 * 64 KiB at a time (`stream: true` carries a character cut at a slice's end into the next). In
 * workerd one decode of a whole 5 MiB body measured 170–250 ms, the same bytes in slices 2–20 ms:
 * the cost of one call grows faster than its input. The slices are decoded with `ignoreBOM: true`
 * and a leading BOM is dropped here: workerd's streaming decoder drops a BOM at the start of every
 * call, which would silently take a U+FEFF out of the text where a slice begins.
 */
export function decodeUtf8(bytes: Uint8Array, ignoreBOM: boolean): string {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const start = !ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let text = "";
  for (let at = start; at < bytes.length; at += DECODE_SLICE) text += decoder.decode(bytes.subarray(at, at + DECODE_SLICE), { stream: true });
  return text + decoder.decode();
}
