// The event outbox (API.md §12) as the event pipeline reads it: its rows are written by the write
// batch itself (db/history.ts appendEntries); `queued_at` is set when the consumer fans an event out.
import { and, asc, eq, getTableName, isNull, lt } from "drizzle-orm";
import { tenantFilter, type Db, type Statement, type Tenant } from "./database";
import { eventOutbox, type EventOutboxRow } from "./schema";

export type { EventOutboxRow };

/** Whether a statement of a write batch is an outbox INSERT (its result tells how many rows it wrote). */
export function isOutboxInsert(statement: Statement): boolean {
  const { sql: text } = (statement as unknown as { toSQL(): { sql: string } }).toSQL();
  return text.startsWith(`insert into "${getTableName(eventOutbox)}"`);
}

export function outboxEvent(db: Db, eventId: string) {
  return db.select().from(eventOutbox).where(eq(eventOutbox.id, eventId));
}

/** The event with this id, if it is the tenant's. */
export function tenantEvent(db: Db, tenant: Tenant, eventId: string) {
  return db
    .select({ id: eventOutbox.id })
    .from(eventOutbox)
    .where(and(eq(eventOutbox.id, eventId), tenantFilter(eventOutbox.tenantId, tenant)));
}

/** Marks an event fanned out (first time only). */
export function markQueued(db: Db, eventId: string, at: string) {
  return db
    .update(eventOutbox)
    .set({ queuedAt: at })
    .where(and(eq(eventOutbox.id, eventId), isNull(eventOutbox.queuedAt)));
}

/** Events not fanned out since before `before`, oldest first (the partial index event_outbox_unqueued). */
export function unqueuedEvents(db: Db, before: string, limit: number) {
  return db
    .select({ id: eventOutbox.id })
    .from(eventOutbox)
    .where(and(isNull(eventOutbox.queuedAt), lt(eventOutbox.createdAt, before)))
    .orderBy(asc(eventOutbox.createdAt))
    .limit(limit);
}
