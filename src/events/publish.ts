// After a write commits: its events go to the queue (API.md §12), off the request's path
// (ctx.waitUntil), with no D1 round trip — whether the batch wrote outbox rows is in its own results.
// If this never happens (the Worker died, the queue refused), the rows stay unqueued and the cron
// sweep (sweep.ts) sends them a minute later.
import type { Statement } from "../db/database";
import { isOutboxInsert } from "../db/outbox";
import type { Place } from "../env";
import { sendAll, type EventMessage } from "./messages";

interface Recorded {
  /** The statements that recorded the write (history and outbox). */
  statements: readonly Statement[];
  eventIds: readonly string[];
}

/** Rows the outbox INSERTs of a batch wrote (none for a tenant without endpoints); `results` are the recording statements' own. */
function outboxRowsWritten(recorded: Recorded, results: readonly unknown[]): number {
  return recorded.statements.reduce((n, statement, i) => {
    if (!isOutboxInsert(statement)) return n;
    return n + ((results[i] as D1Result | undefined)?.meta?.changes ?? 0);
  }, 0);
}

export async function sendRecordedEvents(
  queue: Queue<EventMessage>,
  { environment, shard }: Place,
  recorded: Recorded,
  /** The results of `recorded.statements`, in their order. */
  written: readonly unknown[],
  log: (message: string, details: Record<string, unknown>) => void,
): Promise<void> {
  if (recorded.eventIds.length === 0 || outboxRowsWritten(recorded, written) === 0) return;
  try {
    await sendAll(
      queue,
      recorded.eventIds.map((eventId) => ({ kind: "event", environment, shard, eventId })),
    );
  } catch (error) {
    // The sweep sends them: nothing is lost, they are only late.
    log("events not queued after commit; the sweep will send them", { count: recorded.eventIds.length, error: String(error) });
  }
}
