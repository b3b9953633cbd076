// Delivery state (one row per event and endpoint) and the delivery log (one row per attempt), API.md
// §12. Per endpoint and client only the pending row of lowest sequence is attempted; the partial
// index webhook_deliveries_pending holds only pending rows, so finding it reads no delivered history.
import { and, asc, desc, eq, lt, or, sql } from "drizzle-orm";
import { tenantFilter, type Db, type Tenant } from "./database";
import { webhookAttempts, webhookDeliveries, type EventOutboxRow, type WebhookAttemptRow, type WebhookDeliveryRow } from "./schema";

export type { WebhookAttemptRow, WebhookDeliveryRow };

const pendingOf = (endpointId: SQLValue, clientId: SQLValue) =>
  sql`${webhookDeliveries.endpointId} = ${endpointId} AND ${webhookDeliveries.clientId} = ${clientId} AND ${webhookDeliveries.state} = 'pending'`;
type SQLValue = string | ReturnType<typeof sql>;

/**
 * One pending delivery of the event per matching endpoint of its tenant (made before the event, with
 * the event's type among its `events`). Due now, unless an earlier event of the client is still
 * pending at that endpoint: then it waits (no due time) until that one is settled.
 */
export function fanOut(db: Db, event: EventOutboxRow, now: string) {
  return db
    .insert(webhookDeliveries)
    .select(
      sql`SELECT e.id, ${event.id}, ${event.tenantId}, ${event.clientId}, ${event.sequence}, 'pending', 0,
        CASE WHEN EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.client_id = ${event.clientId} AND d.state = 'pending' AND d.sequence < ${event.sequence})
          THEN NULL ELSE ${now} END,
        ${now}
      FROM webhook_endpoints e
      WHERE e.tenant_id = ${event.tenantId} AND e.created_at <= ${event.createdAt}
        AND EXISTS (SELECT 1 FROM json_each(e.events) WHERE value = ${event.type})`,
    )
    .onConflictDoNothing();
}

/** The delivery of one client's events to one endpoint that is next in sequence order. */
export function headDelivery(db: Db, endpointId: string, clientId: string) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(pendingOf(endpointId, clientId))
    .orderBy(asc(webhookDeliveries.sequence))
    .limit(1);
}

/** The delivery, still pending with the attempt count it was read with (no other attempt since). */
function stillAsRead(delivery: WebhookDeliveryRow) {
  return and(
    eq(webhookDeliveries.endpointId, delivery.endpointId),
    eq(webhookDeliveries.eventId, delivery.eventId),
    eq(webhookDeliveries.state, "pending"),
    eq(webhookDeliveries.attempts, delivery.attempts),
  );
}

/**
 * Claims the delivery for one attempt, if it is still pending with the attempts it was read with,
 * due (or waiting for no one), and no earlier event of its client is still to be fanned out: its due
 * time moves past the attempt's timeout, so that another message for it meanwhile finds it not due
 * (no duplicate attempt racing this one, and none that could arrive after the client's next event).
 * Returns the delivery when claimed.
 */
export function claimDelivery(db: Db, delivery: WebhookDeliveryRow, dueBy: string, leaseUntil: string) {
  return db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: leaseUntil })
    .where(
      and(
        stillAsRead(delivery),
        sql`(${webhookDeliveries.nextAttemptAt} IS NULL OR ${webhookDeliveries.nextAttemptAt} <= ${dueBy})`,
        sql`NOT EXISTS (SELECT 1 FROM event_outbox o WHERE o.client_id = ${delivery.clientId} AND o.sequence < ${delivery.sequence} AND o.queued_at IS NULL)`,
      ),
    )
    .returning({ eventId: webhookDeliveries.eventId });
}

export function deliveryOf(db: Db, endpointId: string, eventId: string) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId)));
}

/**
 * Settles a pending delivery after an attempt: the attempt count it was read with must still be
 * there (a duplicate message that attempted it meanwhile does not count twice).
 */
export function settleDelivery(
  db: Db,
  delivery: WebhookDeliveryRow,
  outcome: { state: WebhookDeliveryRow["state"]; nextAttemptAt: string | null },
) {
  return db
    .update(webhookDeliveries)
    .set({ state: outcome.state, attempts: delivery.attempts + 1, nextAttemptAt: outcome.nextAttemptAt })
    .where(stillAsRead(delivery));
}

/** Makes the client's next pending delivery at the endpoint due now (its predecessor was settled). */
export function promoteNext(db: Db, endpointId: string, clientId: string, now: string) {
  const next = sql`(SELECT d.event_id FROM webhook_deliveries d WHERE d.endpoint_id = ${endpointId} AND d.client_id = ${clientId} AND d.state = 'pending' ORDER BY d.sequence LIMIT 1)`;
  return db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), sql`${webhookDeliveries.eventId} = ${next}`, sql`${webhookDeliveries.nextAttemptAt} IS NULL`));
}

/** Cancels the client's pending deliveries to an endpoint that was deleted. */
export function cancelPending(db: Db, endpointId: string, clientId: string) {
  return db.update(webhookDeliveries).set({ state: "cancelled", nextAttemptAt: null }).where(pendingOf(endpointId, clientId));
}

/** Pending deliveries due before `before` (their message was lost), for the sweep. */
export function overdueDeliveries(db: Db, before: string, limit: number) {
  return db
    .selectDistinct({ endpointId: webhookDeliveries.endpointId, clientId: webhookDeliveries.clientId })
    .from(webhookDeliveries)
    .where(and(sql`${webhookDeliveries.state} = 'pending'`, lt(webhookDeliveries.nextAttemptAt, before)))
    .limit(limit);
}

export function insertAttempt(db: Db, row: WebhookAttemptRow) {
  return db.insert(webhookAttempts).values(row);
}

/** Where a page of the delivery log starts: after this attempt (newest first). */
export interface AttemptPosition {
  createdAt: string;
  id: string;
}

/** A page of an endpoint's delivery log, newest first (one row more than `limit`: is there more?). */
export function attemptsPage(db: Db, tenant: Tenant, endpointId: string, limit: number, after: AttemptPosition | null) {
  const before = after
    ? or(lt(webhookAttempts.attemptedAt, after.createdAt), and(eq(webhookAttempts.attemptedAt, after.createdAt), lt(webhookAttempts.id, after.id)))
    : undefined;
  return db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.endpointId, endpointId), tenantFilter(webhookAttempts.tenantId, tenant), before))
    .orderBy(desc(webhookAttempts.attemptedAt), desc(webhookAttempts.id))
    .limit(limit + 1);
}
