// The event a webhook carries (API.md §12): { id, type, createdAt, data: <the history entry> }. `id` is
// the outbox row's (the `webhook-id`, the same on every attempt); `createdAt` is the entry's `at`.
import { runBatch, type Db } from "../db/database";
import { entryParts } from "../db/history-reads";
import type { EventOutboxRow } from "../db/outbox";
import { entryOfParts, type HistoryEntry } from "../history/entry";

export type EventType = "client.created" | "client.updated" | "client.deleted";
export const EVENT_TYPES: readonly EventType[] = ["client.created", "client.updated", "client.deleted"];

export interface ChangeEvent {
  id: string;
  type: EventType;
  createdAt: string;
  data: HistoryEntry;
}

/** The event of an outbox row, its entry read from the history (null when the entry is not there). */
export async function eventOf(db: Db, row: EventOutboxRow): Promise<ChangeEvent | null> {
  const [parts] = (await runBatch(db, [entryParts(db, row.clientId, row.sequence)])) as [Parameters<typeof entryOfParts>[0]];
  if (parts.length === 0) return null;
  const entry = await entryOfParts(parts);
  return { id: row.id, type: row.type as EventType, createdAt: entry.at, data: entry };
}
