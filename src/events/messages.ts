// What travels on the events queue: ids only (a message is at most 128 KB; an entry can be far
// larger), each with the environment and shard whose database holds them (test and live never
// mix; a message without a shard was sent before shards existed: shard 0).
import type { Environment } from "../env";

export type EventMessage =
  /** A committed event, to be fanned out to the tenant's matching endpoints. */
  | { kind: "event"; environment: Environment; shard?: number; eventId: string }
  /** Attempt the next pending delivery of one client's events to one endpoint (in sequence order). */
  | { kind: "next"; environment: Environment; shard?: number; endpointId: string; clientId: string }
  /** One more attempt of one event at one endpoint, asked for by POST /events/{id}/redeliver. */
  | { kind: "redeliver"; environment: Environment; shard?: number; endpointId: string; eventId: string };

/** Messages per sendBatch call (the Queues limit). */
export const SEND_BATCH_MAX = 100;

export async function sendAll(queue: Queue<EventMessage>, messages: readonly EventMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
    await queue.sendBatch(messages.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body, contentType: "json" })));
  }
}
