// Verifying a client's chain (API.md §11): every entry 1..n is where it should be, whole, unaltered,
// and chained to the one before. The first sequence that fails is where the chain is broken.
import type { StoredRow } from "../db/history-reads";
import { entryHash, entryOfParts, linkedClientsOf, withoutHash, type HistoryEntry } from "./entry";

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
 * Whether the rows stored under `sequence` are its entry, following the entry whose hash is
 * `previousHash`: all its parts, a body that decodes, and every column of part 0 equal to what the
 * entry says (sequence, client, time, operation, the clients it links to, and its hash, recomputed).
 */
async function verifies(clientId: string, sequence: number, parts: readonly StoredRow[], previousHash: string): Promise<boolean> {
  const head = parts[0]!;
  if (head.part !== 0 || head.parts !== parts.length) return false;
  const entry = await decoded(parts);
  if (!entry) return false;
  const linked = linkedClientsOf(entry.changes ?? []);
  return (
    entry.sequence === sequence &&
    entry.clientId === clientId &&
    head.clientId === clientId &&
    entry.at === head.at &&
    entry.operation === head.operation &&
    (head.linked ?? null) === (linked.length > 0 ? JSON.stringify(linked) : null) &&
    entry.previousHash === previousHash &&
    (await entryHash(withoutHash(entry))) === head.hash
  );
}

/** Walks the client's chain: `entries` are its stored rows grouped by entry, in sequence order. */
export async function verifyChain(clientId: string, entries: readonly (readonly StoredRow[])[]): Promise<Verification> {
  let previousHash = "";
  for (const [index, parts] of entries.entries()) {
    const sequence = index + 1;
    // A sequence stored out of its place (a gap below it) is a missing entry at `sequence`.
    if (parts[0]!.sequence !== sequence || !(await verifies(clientId, sequence, parts, previousHash))) {
      return { valid: false, entries: entries.length, brokenAt: sequence };
    }
    previousHash = parts[0]!.hash!;
  }
  return { valid: true, entries: entries.length, head: previousHash };
}
