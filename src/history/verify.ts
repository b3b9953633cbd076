// Verifying a client's chain (API.md §11): every entry 1..n is where it should be, whole, unaltered,
// and chained to the one before. The first sequence that fails is where the chain is broken.
import { entryHash, entryOfParts, linkedClientsOf, withoutHash, type HistoryEntry, type StoredRow } from "./entry.ts";

export type Verification = { valid: true; entries: number; head: string } | { valid: false; entries: number; brokenAt: number };

/** The entry these rows hold, when they hold one whole and decodable; else null. */
async function decoded(parts: readonly StoredRow[]): Promise<HistoryEntry | null> {
  try {
    return await entryOfParts(parts);
  } catch {
    return null;
  }
}

/**
 * The entry stored under `sequence`, when its rows are that entry following the one whose hash is
 * `previousHash`: all its parts, a body that decodes, and every column of part 0 equal to what the
 * entry says (sequence, client, time, operation, the clients it links to, and its hash,
 * recomputed); else null.
 */
async function verified(clientId: string, sequence: number, parts: readonly StoredRow[], previousHash: string): Promise<HistoryEntry | null> {
  const head = parts[0]!;
  if (head.sequence !== sequence || head.part !== 0 || head.parts !== parts.length) return null;
  const entry = await decoded(parts);
  if (!entry || !Array.isArray(entry.changes)) return null;
  const linked = linkedClientsOf(entry.changes);
  const whole =
    entry.sequence === sequence &&
    entry.clientId === clientId &&
    head.clientId === clientId &&
    entry.at === head.at &&
    entry.operation === head.operation &&
    (head.linked ?? null) === (linked.length > 0 ? JSON.stringify(linked) : null) &&
    entry.previousHash === previousHash &&
    (await entryHash(withoutHash(entry))) === head.hash;
  return whole ? entry : null;
}

/** The client's version its entries leave (the last one that records its version), if any does. */
function recordedVersion(clientId: string, entries: readonly HistoryEntry[]): unknown {
  for (const entry of [...entries].reverse()) {
    const own = entry.changes.find((c) => c?.entity === "client" && c.id === clientId && c.fields?.version);
    if (own) return own.fields.version!.to;
  }
  return undefined;
}

/**
 * The client's entries, decoded, when the chain they form from sequence 1 verifies (every entry
 * whole, in its place, unaltered, chained to the one before); else the first sequence that does not.
 * `entries` are stored rows grouped by entry, in sequence order, starting at 1.
 */
export async function verifiedEntries(
  clientId: string,
  entries: readonly (readonly StoredRow[])[],
): Promise<{ entries: HistoryEntry[] } | { brokenAt: number }> {
  const walked: HistoryEntry[] = [];
  let previousHash = "";
  for (const [index, parts] of entries.entries()) {
    const entry = await verified(clientId, index + 1, parts, previousHash);
    if (!entry) return { brokenAt: index + 1 };
    walked.push(entry);
    previousHash = parts[0]!.hash!;
  }
  return { entries: walked };
}

/**
 * Walks the client's chain: `entries` are its stored rows grouped by entry, in sequence order;
 * `live` is its row, null once deleted. Entries removed from the end leave a chain that verifies on
 * its own, so its end is checked against the client: a deleted client's last entry is its deletion,
 * and a live client's version is the one its entries leave. Otherwise the chain is broken at the
 * sequence after its last entry.
 */
export async function verifyChain(clientId: string, entries: readonly (readonly StoredRow[])[], live: { version: number } | null): Promise<Verification> {
  const chain = await verifiedEntries(clientId, entries);
  if ("brokenAt" in chain) return { valid: false, entries: entries.length, brokenAt: chain.brokenAt };
  if (!endsWith(clientId, chain.entries, live)) return { valid: false, entries: entries.length, brokenAt: entries.length + 1 };
  return { valid: true, entries: entries.length, head: entries.at(-1)?.[0]!.hash ?? "" };
}

/**
 * Whether a verified chain, read to its very end, ends where the client is: a deleted client's
 * last entry is its deletion, a live client's version is the one its entries leave.
 */
export function endsWith(clientId: string, walked: readonly HistoryEntry[], live: { version: number } | null): boolean {
  if (walked.length === 0) return true;
  if (live === null) return walked.at(-1)!.operation === "delete";
  const version = recordedVersion(clientId, walked);
  return version === undefined || version === live.version;
}
