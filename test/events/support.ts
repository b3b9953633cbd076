// Shared by the event tests: an endpoint on the local receiver, the consumer run by hand on one
// message (for what the queue would do later: a retry's delay passing), and the rows to check.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { vi } from "vitest";
import { webhookAttempts, webhookDeliveries } from "../../src/db/schema";
import type { Env, Environment } from "../../src/env";
import type { EventMessage } from "../../src/events/messages";
import worker from "../../src/index";
import type { Harness } from "../support/harness";

export const QUEUE = "clients-api-events";

/** A tenant with a key and one endpoint at `url`. */
export async function tenantWithEndpoint(h: Harness, url: string, options: { env?: Environment; events?: string[] } = {}) {
  const environment = options.env ?? "test";
  const { tenantId, key } = await h.newTenantWithKey(environment);
  const created = await h.post("/webhook-endpoints", { url, ...(options.events ? { events: options.events } : {}) }, { key, env: environment });
  if (created.status !== 200) throw new Error(`endpoint not created: ${created.text}`);
  return { tenantId, key, endpoint: created.body as { id: string; secret: string } };
}

/** Runs the consumer on one message, as the queue would (with the Worker's bindings, or `env`); returns what it did with it. */
export async function consume(h: Harness, body: EventMessage, env: Env = h.env as Env) {
  const batch = createMessageBatch<EventMessage>(QUEUE, [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  // getQueueResult does not report a retry's delay: the spies keep it.
  const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryDelays: retries.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds)) };
}

export async function deliveries(h: Harness, endpointId: string, environment: Environment = "test") {
  return h.db(environment).select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).orderBy(webhookDeliveries.sequence);
}

export async function attempts(h: Harness, endpointId: string, eventId?: string, environment: Environment = "test") {
  return h
    .db(environment)
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.endpointId, endpointId), eventId ? eq(webhookAttempts.eventId, eventId) : undefined))
    .orderBy(webhookAttempts.attemptedAt, webhookAttempts.id);
}

/** The delay of a failed attempt passes: the delivery is due now (what the queue's delayed retry would find). */
export async function makeDue(h: Harness, endpointId: string, eventId: string, changes: { attempts?: number } = {}) {
  await h
    .db("test")
    .update(webhookDeliveries)
    .set({ nextAttemptAt: new Date().toISOString(), ...changes })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId)));
}

/**
 * Holds the queue's messages instead of sending them (until `restore`), so that a test runs the
 * consumer itself, one step at a time: `pump` consumes every held message, and those they send.
 */
export function holdQueue(h: Harness) {
  const queue = (h.env as Env).EVENTS_QUEUE;
  const held: EventMessage[] = [];
  const sendBatch = vi.spyOn(queue, "sendBatch").mockImplementation(async (messages) => {
    held.push(...[...messages].map((m) => m.body));
    return undefined as never;
  });
  const send = vi.spyOn(queue, "send").mockImplementation(async (body) => {
    held.push(body);
    return undefined as never;
  });
  return {
    held,
    sendBatch,
    /** Consumes the held messages (and the ones they send) until none is left; returns the queue results. */
    async pump(env?: Env) {
      const results = [];
      while (held.length > 0) results.push({ body: held[0]!, result: await consume(h, held.shift()!, env) });
      return results;
    },
    restore() {
      sendBatch.mockRestore();
      send.mockRestore();
    },
  };
}
