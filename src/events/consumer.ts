// The events queue's consumer (API.md §12). Three kinds of message (messages.ts):
//   event     → fan the event out: one pending delivery per matching endpoint, the outbox row marked
//               queued, then a `next` for each of the tenant's endpoints for that client;
//   next      → attempt the pending delivery of lowest sequence of (endpoint, client), if it is due
//               and no earlier event of the client is still to be fanned out; a failure is retried
//               by this message with the schedule's delay (schedule.ts), a settled delivery (2xx, or
//               the last attempt failed: dead-lettered) makes the client's next one due, attempted next;
//   redeliver → one attempt, outside the schedule and the order, logged like any other.
// D1 is the record of what was delivered: a message lost or sent twice costs a late or a repeated
// attempt (the receiver sees the same webhook-id), never a lost event — the cron sweep (sweep.ts)
// re-sends what no message carries any more.
import { openDb, runBatch, type Db } from "../db/database";
import {
  cancelPending,
  claimDelivery,
  fanOut,
  headDelivery,
  insertAttempt,
  promoteNext,
  settleDelivery,
  type WebhookDeliveryRow,
} from "../db/deliveries";
import { markQueued, outboxEvent, type EventOutboxRow } from "../db/outbox";
import { endpointById, endpointIdsAt, type WebhookEndpointRow } from "../db/webhooks";
import { databaseOf, type Env, type Environment } from "../env";
import { newId } from "../ids";
import { deliveryRefusal, dohResolver, type Resolver } from "./address-check";
import { attemptDelivery, type AttemptOutcome } from "./deliver";
import { sendAll, type EventMessage } from "./messages";
import { eventOf } from "./payload";
import { retryDelayAfter } from "./schedule";
import { keyringOf, open, SecretBoxError } from "./secret-box";

/** A `next` message arriving this early before its delivery's due time still attempts it (queue delays are approximate). */
const DUE_SLACK_MS = 5_000;
/** An attempt in progress holds its delivery this long (past the 10 s timeout); a Worker that dies meanwhile leaves it to the sweep. */
const LEASE_MS = 60_000;

type Outcome = { ack: true } | { retryAfterSeconds: number };
const ACK: Outcome = { ack: true };

type Log = (message: string, details: Record<string, unknown>) => void;

/** What an attempt needs besides the database: the Worker's settings (secret keys), the resolver of the address check, the log. */
interface Context {
  env: Env;
  environment: Environment;
  resolve: Resolver;
  log: Log;
}

export async function consumeEvents(batch: MessageBatch<EventMessage>, env: Env, log: Log = console.error, resolve: Resolver = dohResolver): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const outcome = await handle(message.body, { env, environment: message.body.environment, resolve, log });
        if ("ack" in outcome) message.ack();
        else message.retry({ delaySeconds: outcome.retryAfterSeconds });
      } catch (error) {
        // Tried again after the consumer's retry_delay; after max_retries, to the dead-letter queue.
        log("event message failed", { body: message.body, attempts: message.attempts, error: String((error as Error)?.stack ?? error) });
        message.retry();
      }
    }),
  );
}

async function handle(message: EventMessage, context: Context): Promise<Outcome> {
  const { env } = context;
  const db = openDb(databaseOf(env, message.environment, message.shard ?? 0));
  const now = new Date().toISOString();
  switch (message.kind) {
    case "event":
      return fanOutEvent(db, env, message, now);
    case "next":
      return deliverNext(db, context, message, now);
    case "redeliver":
      return redeliver(db, context, message, now);
  }
}

/**
 * One attempt at an endpoint: refused without a request (a failed attempt, logged) when its secret
 * cannot be opened (keys missing, key id unknown, the stored value altered: fail closed) or, in
 * live, its host resolves to a non-public address (address-check.ts); else the signed POST.
 */
async function attempt(endpoint: WebhookEndpointRow, eventId: string, body: string, context: Context): Promise<AttemptOutcome> {
  const started = Date.now();
  let refusal: string | null;
  let secret = "";
  try {
    secret = await open(endpoint.secret, await keyringOf(context.env), endpoint.id);
    refusal = await deliveryRefusal(endpoint.url, context.environment, context.resolve);
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    refusal = `refused: the endpoint's signing secret cannot be opened (${error.message})`;
  }
  if (refusal === null) return attemptDelivery(endpoint.url, secret, eventId, body);
  context.log("webhook delivery refused", { environment: context.environment, tenantId: endpoint.tenantId, endpointId: endpoint.id, eventId, reason: refusal });
  return { ok: false, statusCode: null, durationMs: Date.now() - started, error: refusal };
}

async function fanOutEvent(db: Db, env: Env, message: Extract<EventMessage, { kind: "event" }>, now: string): Promise<Outcome> {
  const [rows] = (await runBatch(db, [outboxEvent(db, message.eventId)])) as [EventOutboxRow[]];
  const event = rows[0];
  // No outbox row: the write recorded no event (its tenant had no endpoint then).
  if (!event) return ACK;
  const [, , endpoints] = (await runBatch(db, [fanOut(db, event, now), markQueued(db, event.id, now), endpointIdsAt(db, event.tenantId, event.createdAt)])) as [
    unknown,
    unknown,
    { id: string }[],
  ];
  // Every endpoint, not only the matching ones: a later event of the client may be waiting at any of them for this one to be fanned out.
  await sendAll(
    env.EVENTS_QUEUE,
    endpoints.map(({ id }) => ({ kind: "next", environment: message.environment, shard: message.shard ?? 0, endpointId: id, clientId: event.clientId })),
  );
  return ACK;
}

/** Deliveries of one client to one endpoint settled by one message before the rest is left to a new one. */
const SETTLED_PER_MESSAGE = 25;

async function deliverNext(db: Db, context: Context, message: Extract<EventMessage, { kind: "next" }>, now: string): Promise<Outcome> {
  // A settled delivery makes the client's next one due: it is attempted right away, without a queue hop.
  for (let settled = 0; settled < SETTLED_PER_MESSAGE; settled++) {
    const outcome = await attemptHead(db, context, message, settled === 0 ? now : new Date().toISOString());
    if (outcome !== "settled") return outcome;
  }
  await sendAll(context.env.EVENTS_QUEUE, [message]);
  return ACK;
}

/** One attempt of the (endpoint, client)'s next delivery, if it is due: "settled" when it no longer holds the next ones back. */
async function attemptHead(db: Db, context: Context, message: Extract<EventMessage, { kind: "next" }>, now: string): Promise<Outcome | "settled"> {
  const { endpointId, clientId } = message;
  const [endpoints, heads] = (await runBatch(db, [endpointById(db, endpointId), headDelivery(db, endpointId, clientId)])) as [
    WebhookEndpointRow[],
    WebhookDeliveryRow[],
  ];
  const endpoint = endpoints[0];
  const head = heads[0];
  if (!endpoint) {
    if (head) await runBatch(db, [cancelPending(db, endpointId, clientId)]);
    return ACK;
  }
  if (!head) return ACK;
  // Not due (the message that failed it last carries its retry), attempted by another message right
  // now, or an earlier event of the client is not fanned out yet (it may be due here first, and its
  // fan-out sends a `next`): nothing to do.
  const dueBy = new Date(Date.parse(now) + DUE_SLACK_MS).toISOString();
  const leaseUntil = new Date(Date.parse(now) + LEASE_MS).toISOString();
  const [claimed, events] = (await runBatch(db, [claimDelivery(db, head, dueBy, leaseUntil), outboxEvent(db, head.eventId)])) as [
    unknown[],
    EventOutboxRow[],
  ];
  if (claimed.length === 0) return ACK;
  const event = events[0] && (await eventOf(db, events[0]));
  if (!event) throw new Error(`event ${head.eventId} has no outbox row or history entry`);

  const number = head.attempts + 1;
  const outcome = await attempt(endpoint, event.id, JSON.stringify(event), context);
  const delay = outcome.ok ? null : retryDelayAfter(number);
  const settled = outcome.ok || delay === null;
  const attemptedAt = new Date().toISOString();
  const nextAttemptAt = delay === null ? null : new Date(Date.parse(attemptedAt) + delay * 1000).toISOString();
  await runBatch(db, [
    insertAttempt(db, attemptRow(endpoint, event.id, number, attemptedAt, outcome, nextAttemptAt, !outcome.ok && delay === null)),
    settleDelivery(db, head, { state: outcome.ok ? "delivered" : settled ? "dead" : "pending", nextAttemptAt }),
    ...(settled ? [promoteNext(db, endpointId, clientId, attemptedAt)] : []),
  ]);
  return settled ? "settled" : { retryAfterSeconds: delay! };
}

async function redeliver(db: Db, context: Context, message: Extract<EventMessage, { kind: "redeliver" }>, now: string): Promise<Outcome> {
  const [endpoints, events] = (await runBatch(db, [endpointById(db, message.endpointId), outboxEvent(db, message.eventId)])) as [
    WebhookEndpointRow[],
    EventOutboxRow[],
  ];
  const endpoint = endpoints[0];
  const row = events[0];
  // Checked by the route; deleted since.
  if (!endpoint || !row || row.tenantId !== endpoint.tenantId) return ACK;
  const event = await eventOf(db, row);
  if (!event) throw new Error(`event ${row.id} has no history entry`);
  const outcome = await attempt(endpoint, event.id, JSON.stringify(event), context);
  await runBatch(db, [insertAttempt(db, attemptRow(endpoint, event.id, null, now, outcome, null, false))]);
  return ACK;
}

function attemptRow(
  endpoint: WebhookEndpointRow,
  eventId: string,
  attempt: number | null,
  attemptedAt: string,
  outcome: AttemptOutcome,
  nextRetryAt: string | null,
  deadLettered: boolean,
) {
  return {
    id: newId(),
    endpointId: endpoint.id,
    tenantId: endpoint.tenantId,
    eventId,
    attempt,
    attemptedAt,
    statusCode: outcome.statusCode,
    durationMs: outcome.durationMs,
    error: outcome.error,
    nextRetryAt,
    deadLettered,
  };
}
