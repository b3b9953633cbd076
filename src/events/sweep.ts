// The cron sweep (wrangler.toml [triggers], every minute), for each shard of each environment: the outbox rows no
// consumer fanned out within a minute of their write (the Worker died between commit and send, or
// the queue refused), and the pending deliveries due for over ten minutes (their message was lost).
// Sending twice is harmless: the consumer fans out idempotently and delivers by D1 state.
// Also the document files' abandoned upload attempts (API.md §15, files/attempts.ts): their objects
// and rows removed.
import { openDb, runBatch } from "../db/database";
import { overdueDeliveries } from "../db/deliveries";
import { unqueuedEvents } from "../db/outbox";
import { databaseOf, filesOf, placesOf, type Env } from "../env";
import { sweepAttempts } from "../files/attempts";
import { sendAll, type EventMessage } from "./messages";

/** An event younger than this is left to the write that made it. */
export const UNQUEUED_AFTER_MS = 60_000;
/** A due delivery older than this has lost its message. */
export const OVERDUE_AFTER_MS = 10 * 60_000;
/** Rows per kind, shard and run: a backlog drains over a few runs. */
const SWEEP_LIMIT = 500;

export async function sweep(env: Env, now = Date.now()): Promise<{ events: number; deliveries: number; orphans: number }> {
  let events = 0;
  let deliveries = 0;
  let orphans = 0;
  for (const { environment, shard } of placesOf(env)) {
    const db = openDb(databaseOf(env, environment, shard));
    const [unqueued, overdue] = (await runBatch(db, [
      unqueuedEvents(db, new Date(now - UNQUEUED_AFTER_MS).toISOString(), SWEEP_LIMIT),
      overdueDeliveries(db, new Date(now - OVERDUE_AFTER_MS).toISOString(), SWEEP_LIMIT),
    ])) as [{ id: string }[], { endpointId: string; clientId: string }[]];
    const messages: EventMessage[] = [
      ...unqueued.map(({ id }) => ({ kind: "event" as const, environment, shard, eventId: id })),
      ...overdue.map(({ endpointId, clientId }) => ({ kind: "next" as const, environment, shard, endpointId, clientId })),
    ];
    await sendAll(env.EVENTS_QUEUE, messages);
    events += unqueued.length;
    deliveries += overdue.length;
    // Its own failure (R2 or D1 down) stops neither the events above nor the other environment.
    const swept = await sweepAttempts(db, filesOf(env, environment), now).catch((error: unknown) => {
      console.error(`sweep of ${environment} upload attempts failed: ${error instanceof Error ? error.message : String(error)}`);
      return { removed: [] };
    });
    orphans += swept.removed.length;
  }
  return { events, deliveries, orphans };
}
