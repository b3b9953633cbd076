// History entries (API.md §11): what one request changed of one client, chained by hash.
//
//   hash = hex SHA-256( previousHash ("" for sequence 1) + canonical JSON of the entry without `hash` )
//
// The canonical JSON sorts object keys (UTF-16 code units, as RFC 8785) and has no spaces. What is
// stored is the entry's JSON in the API's key order (values keep the key order they were sent
// with: a GET answers them that way), gzip-compressed, base64: the hash is computed and verified
// over the canonical form of that same value.
import { sha256Hex } from "../encoding";

export type Entity = "client" | "address" | "contactMethod" | "bankAccount" | "document" | "link";
export type Action = "created" | "updated" | "deleted";
export type Operation = "batch" | "sync" | "delete";

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

/** JSON with object keys sorted and no spaces (undefined members dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(",")}}`;
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

async function streamBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** base64 of the gzip of the text. */
export async function packBody(text: string): Promise<string> {
  const compressed = await streamBytes(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")));
  return toBase64(compressed);
}

/** The text `packBody` packed. Throws on a body that is not one (a tampered row). */
export async function unpackBody(body: string): Promise<string> {
  const stream = new Blob([fromBase64(body)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(await streamBytes(stream));
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
  return Promise.all(
    drafts.map(async (draft) => {
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
      return { entry: withHash(unhashed, hash), body, linked: linkedClientsOf(draft.changes) };
    }),
  );
}

/** A stored part row of an entry (db/schema.ts clientHistory). */
export interface StoredPart {
  sequence: number;
  part: number;
  hash: string | null;
  body: string;
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
