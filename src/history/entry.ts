// History entries (API.md §11): what one request changed of one client, chained by hash.
//
//   hash = hex SHA-256( previousHash ("" for sequence 1) + canonical JSON of the entry without `hash` )
//
// The canonical JSON sorts object keys (UTF-16 code units, as RFC 8785) and has no spaces. What is
// stored is the entry's JSON in the API's key order (values keep the key order they were sent
// with: a GET answers them that way), gzip-compressed, base64: the hash is computed and verified
// over the canonical form of that same value.
import { decodeUtf8, sha256Hex, stringifiesSorted } from "../encoding.ts";

export type Entity = "client" | "address" | "contactMethod" | "bankAccount" | "document" | "link";
export type Action = "created" | "updated" | "deleted";
/**
 * `backfill`: the creation entry of a client stored before history was kept (src/write/backfill.ts);
 * `upload`: a document's file was stored (API.md §15).
 */
export type Operation = "batch" | "sync" | "delete" | "upload" | "backfill" | "copy";

export interface FieldChange {
  from: unknown;
  to: unknown;
}

export interface Change {
  entity: Entity;
  id: string;
  action: Action;
  fields: Record<string, FieldChange>;
}

export interface Actor {
  keyPrefix: string;
  keyName: string | null;
  onBehalfOf: string | null;
}

export interface HistoryEntry {
  id: string;
  clientId: string;
  sequence: number;
  at: string;
  requestId: string;
  operation: Operation;
  actor: Actor;
  changes: Change[];
  hash: string;
  previousHash: string;
}

/** What a write decided to record of one client, before it is placed in the client's chain. */
export interface EntryDraft {
  clientId: string;
  changes: Change[];
}

/** The last entry of a client's chain, as the write's read found it. */
export interface Head {
  clientId: string;
  sequence: number;
  hash: string;
  at: string;
}

/** Who and what made a request's entries. */
export interface EntryContext {
  at: string;
  requestId: string;
  operation: Operation;
  actor: Actor;
  newId: () => string;
}

/** An entry ready to be stored: the entry, and its body as stored (base64 of gzip of its JSON without hash). */
export interface SealedEntry {
  entry: HistoryEntry;
  body: string;
  /** The clients its link changes point to. */
  linked: string[];
}

/**
 * JSON.stringify of the keys seen (keys repeat across entries: "from", "to", field names). Bounded:
 * at most 4,096 keys of at most 64 characters are kept (metadata keys are the caller's), so the
 * cache holds well under 1 MB whatever is sent.
 */
const quotedKeys = new Map<string, string>();
function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (key.length <= 64 && quotedKeys.size < 4096) quotedKeys.set(key, text);
  }
  return text;
}

/**
 * JSON with object keys sorted and no spaces (undefined members dropped, as JSON.stringify does).
 * A value whose keys are already in order at every level (most field values: `{from, to}`, small
 * metadata) is written by JSON.stringify itself (`stringifiesSorted` says when that is the same
 * text); the rest is built by appending to one string (no intermediate arrays): every write seals
 * an entry per changed client, and this runs over all of them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (stringifiesSorted(value, true)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ",";
      out += item === undefined ? "null" : canonicalJson(item);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined) continue;
    if (!first) out += ",";
    out += `${quoted(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${out}}`;
}

/** The hash an entry must carry, given the entry without `hash`. */
export function entryHash(unhashed: Omit<HistoryEntry, "hash">): Promise<string> {
  return sha256Hex(unhashed.previousHash + canonicalJson(unhashed));
}

/** The entry without `hash`, keys in the API's order (its stored form). */
export function withoutHash(entry: HistoryEntry): Omit<HistoryEntry, "hash"> {
  const { id, clientId, sequence, at, requestId, operation, actor, changes, previousHash } = entry;
  return { id, clientId, sequence, at, requestId, operation, actor, changes, previousHash };
}

/** The API's form of a stored entry: `hash` before `previousHash`. */
export function withHash(unhashed: Omit<HistoryEntry, "hash">, hash: string): HistoryEntry {
  const { id, clientId, sequence, at, requestId, operation, actor, changes, previousHash } = unhashed;
  return { id, clientId, sequence, at, requestId, operation, actor, changes, hash, previousHash };
}

/**
 * The bytes out of a compression stream given `input`: written and read directly (no Blob, pipe
 * or Response in between), since every write packs one body per changed client.
 */
async function transformed(stream: CompressionStream, input: Uint8Array): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Not awaited before reading: the stream's output must be read for the writes to finish.
  const written = writer.write(input).then(() => writer.close());
  written.catch(() => {}); // its failure is the reader's too, and thrown from there
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  await written;
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The runtime's own base64 (standard alphabet, padded: what btoa writes). */
function toBase64(bytes: Uint8Array): string {
  return (bytes as Uint8Array & { toBase64(): string }).toBase64();
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const encoder = new TextEncoder();

/**
 * Bodies shorter than this (UTF-16 units of JSON) are stored as they are: gzip costs about 0.1 ms
 * per stream whatever the size (most of a 250-client batch's CPU), and saves little on a small entry
 * once base64 has added its third. A stored body starting with "{" is JSON; anything else is base64
 * of gzip (whose base64 starts with "H4sI").
 */
export const COMPRESS_FROM = 2048;

/**
 * The stored form of an entry's JSON (an object): as is when short, else base64 of its gzip. Shares nothing
 * between calls: a promise that one request awaits and another's work resolves makes workerd
 * cancel the waiting request as hung (seen with a queue of compressions shared by concurrent requests).
 */
export async function packBody(text: string): Promise<string> {
  if (text.length < COMPRESS_FROM && text.startsWith("{")) return text;
  return toBase64(await transformed(new CompressionStream("gzip"), encoder.encode(text)));
}

/** The text `packBody` packed. Throws on a body that is not one (a tampered row). */
export async function unpackBody(body: string): Promise<string> {
  if (body.startsWith("{")) return body;
  const stream = new Blob([fromBase64(body)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return decodeUtf8(new Uint8Array(await new Response(stream).arrayBuffer()), true);
}

/** The client ids a list of changes links to (a link's `childClientId`, before or after). */
export function linkedClientsOf(changes: readonly Change[]): string[] {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.entity !== "link") continue;
    const child = change.fields.childClientId;
    if (child && typeof child.from === "string") ids.add(child.from);
    if (child && typeof child.to === "string") ids.add(child.to);
  }
  return [...ids];
}

/**
 * Places each draft after its client's head (sequence 1 after none), computes its hash and packs
 * its body. `at` never goes back in a client's chain: an entry is never older than its predecessor.
 */
export async function sealEntries(drafts: readonly EntryDraft[], heads: ReadonlyMap<string, Head>, context: EntryContext): Promise<SealedEntry[]> {
  // One entry after another, not all at once: each compression holds zlib's state (~256 KiB) until
  // it is read, and 251 of them open together (a maximal sync) measured twice as slow.
  const sealed: SealedEntry[] = [];
  for (const draft of drafts) {
    const head = heads.get(draft.clientId);
    const at = head && head.at > context.at ? head.at : context.at;
    const unhashed: Omit<HistoryEntry, "hash"> = {
      id: context.newId(),
      clientId: draft.clientId,
      sequence: (head?.sequence ?? 0) + 1,
      at,
      requestId: context.requestId,
      operation: context.operation,
      actor: context.actor,
      changes: draft.changes,
      previousHash: head?.hash ?? "",
    };
    const [hash, body] = await Promise.all([entryHash(unhashed), packBody(JSON.stringify(unhashed))]);
    sealed.push({ entry: withHash(unhashed, hash), body, linked: linkedClientsOf(draft.changes) });
  }
  return sealed;
}

/** A stored part row of an entry (db/schema.ts clientHistory). */
export interface StoredPart {
  sequence: number;
  part: number;
  hash: string | null;
  body: string;
}

/** A stored row of client_history as the reads and the chain check see it. */
export interface StoredRow extends StoredPart {
  clientId: string;
  parts: number | null;
  at: string | null;
  operation: string | null;
  linked: string | null;
}

/**
 * The entry stored in these rows (every part of ONE entry, any order), as the API shows it. The
 * stored hash is returned as stored: whether it is right is for verification to tell. Throws when a
 * part is missing or the body is not a packed entry.
 */
export async function entryOfParts(parts: readonly StoredPart[]): Promise<HistoryEntry> {
  const ordered = [...parts].sort((a, b) => a.part - b.part);
  const head = ordered[0];
  if (!head || head.part !== 0 || ordered.some((p, i) => p.part !== i)) throw new Error("history entry with missing parts");
  const unhashed = JSON.parse(await unpackBody(ordered.map((p) => p.body).join(""))) as Omit<HistoryEntry, "hash">;
  return withHash(unhashed, head.hash ?? "");
}
