// A local D1 database is one SQLite file that two processes may use at once: `wrangler dev` serves
// it while `npm run apikey` (or `wrangler d1 execute --local`) writes to it. SQLite then answers
// SQLITE_BUSY at once (workerd sets no busy timeout), and local D1 fails the whole batch — reads
// too, because every local batch ends with a write (its Sessions API bookmark), which is where it
// usually fails: "Failed to get session commit token". Either error is raised inside the batch's
// transaction, which is then rolled back (miniflare's D1 object runs the statements and the bookmark
// write in one storage.transaction): the batch did not run, so running it again is safe, writes
// included. Deployed D1 serialises its writers and does not answer these; the retry is idle there.
// No imports: scripts/ (Node) share this file with the Worker.

const BUSY = /SQLITE_BUSY|database is locked|Failed to get session commit token/;

/** True for the message of a batch that found the database locked (wrangler's output counts too). */
export function isBusyDatabaseMessage(message: string): boolean {
  return BUSY.test(message);
}

/** True for the errors of a batch that found the database locked, and so did not run. */
export function isBusyDatabaseError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isBusyDatabaseMessage(e.message)) return true;
  }
  return false;
}

/**
 * Runs `run`, and again after each delay (jittered ±50%, so that waiting callers do not retry in
 * lockstep) while it fails because the database is busy. Any other error, or the last busy one,
 * is thrown as it is.
 */
export async function retryWhileBusy<T>(run: () => Promise<T>, delaysMs: readonly number[]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isBusyDatabaseError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
    }
  }
}
