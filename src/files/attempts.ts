// Orphan objects of document files (API.md §15). Every upload attempt has a row in upload_attempts
// written BEFORE its R2 put (write/upload.ts), which the batch committing the upload deletes. A row
// older than ORPHAN_MIN_AGE_MS is therefore an attempt that never committed (the Worker died between
// the put and the batch, or a refused attempt's cleanup was lost): the cron sweep claims it (from
// then on it cannot commit: the upload's batch checks its row is unclaimed), deletes its object,
// then the row. Found by index, never by listing the bucket; a committed file is never touched (its
// key is its document's file_key, and a committed attempt has no row left).
import { runBatch, type Db } from "../db/database";
import { deleteAttempts, postponeAttempts, sweepAttemptStatements } from "../db/upload-attempts";

/**
 * An attempt younger than this may still be streaming its bytes or about to commit: left alone.
 * (One streaming for longer is claimed anyway, and its batch then refuses to commit: a 409.)
 */
export const ORPHAN_MIN_AGE_MS = 15 * 60 * 1000;

/**
 * An object the sweep could not delete (under the bucket lock, it cannot go before the retention
 * period) is tried again a day later, not every run: its row's `at` moves forward by this much.
 */
export const POSTPONE_MS = 24 * 60 * 60 * 1000;

/** Attempts per environment and sweep run: a backlog drains over a few runs. */
export const ATTEMPTS_PER_SWEEP = 100;

export interface AttemptsSwept {
  /** Objects deleted (their rows too). */
  removed: string[];
  /** Objects that could not be deleted (e.g. under the bucket lock): their rows wait a day more (POSTPONE_MS). */
  kept: string[];
}

/** One sweep of an environment's attempts: two D1 round trips and one R2 delete when there is work. */
export async function sweepAttempts(db: Db, bucket: R2Bucket, now = Date.now()): Promise<AttemptsSwept> {
  const before = new Date(now - ORPHAN_MIN_AGE_MS).toISOString();
  const at = new Date(now).toISOString();
  const retryAt = new Date(now + POSTPONE_MS).toISOString();
  const [, claimed] = (await runBatch(db, sweepAttemptStatements(db, before, at, ATTEMPTS_PER_SWEEP))) as [unknown, { key: string }[]];
  const keys = claimed.map((c) => c.key);
  if (keys.length === 0) return { removed: [], kept: [] };
  const removed: string[] = [];
  const kept: string[] = [];
  try {
    await bucket.delete(keys);
    removed.push(...keys);
  } catch {
    // One by one, to tell the objects that cannot go (a lock rule) from those that can.
    for (const key of keys) {
      await bucket.delete(key).then(
        () => removed.push(key),
        () => kept.push(key),
      );
    }
  }
  await runBatch(db, [...(removed.length > 0 ? [deleteAttempts(db, removed)] : []), ...(kept.length > 0 ? [postponeAttempts(db, kept, retryAt)] : [])]);
  return { removed, kept };
}
