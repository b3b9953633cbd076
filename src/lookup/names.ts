// Name search (API.md §14): how a name is folded into words and blocking keys (the same rules as
// the SQL of db/lookup-keys.ts, which writes the stored side), and how a candidate is scored.
// Pure.
import { MAX_NAME_WORDS, NAME_FOLDS, NAME_STOP_WORDS } from "../db/lookup-keys";

const STOP = new Set(NAME_STOP_WORDS);
const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** The folded name: as SQL's replace chain, then lower() and trim() (ASCII, spaces). */
export function foldName(name: string): string {
  let out = name;
  for (const [from, to] of NAME_FOLDS) out = out.replaceAll(from, to);
  return asciiLower(out).replace(/^ +| +$/g, "");
}

/** The words of a folded name that are matched on (as the SQL keeps them). */
export function nameWords(folded: string): string[] {
  return folded
    .split(" ")
    .slice(0, MAX_NAME_WORDS)
    .filter((w) => w.length >= 2 && !STOP.has(w));
}

/** The stored blocking keys of a word (as the SQL writes them). */
function storedBlocks(word: string): string[] {
  if (word.length < 4) return [`x:${word}`];
  const h = Math.floor(word.length / 2);
  return [`l:${word.slice(0, h)}`, `r:${word.slice(word.length - h)}`];
}

/**
 * The keys a query word looks up: those a stored word within one edit of it must have (its length
 * n − 1, n or n + 1: one of its halves is intact), and its own.
 */
export function queryBlocks(word: string): string[] {
  const blocks = new Set<string>(storedBlocks(word));
  for (const m of [word.length - 1, word.length, word.length + 1]) {
    if (m < 4) {
      if (m >= 2 && m === word.length) blocks.add(`x:${word}`);
      continue;
    }
    const h = Math.floor(m / 2);
    if (h <= word.length) {
      blocks.add(`l:${word.slice(0, h)}`);
      blocks.add(`r:${word.slice(word.length - h)}`);
    }
  }
  return [...blocks];
}

/** Jaro–Winkler similarity, 0–1 (prefix scale 0.1, up to 4 characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bMatched[j] || a[i] !== b[j]) continue;
      aMatched[i] = bMatched[j] = true;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a[i] !== b[j]) transpositions++;
    j++;
  }
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/**
 * How well a candidate's words match the query's, 0–1, whatever their order: each word's best
 * similarity to the other side's words, averaged over both sides (so extra words lower it).
 */
export function nameScore(query: readonly string[], candidate: readonly string[]): number {
  if (query.length === 0 || candidate.length === 0) return 0;
  const best = (w: string, others: readonly string[]) => Math.max(...others.map((o) => jaroWinkler(w, o)));
  const total = query.reduce((n, w) => n + best(w, candidate), 0) + candidate.reduce((n, w) => n + best(w, query), 0);
  return Math.round((total / (query.length + candidate.length)) * 1000) / 1000;
}
