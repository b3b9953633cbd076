// Change events end to end (API.md §12): a write's events reach the tenant's endpoints through the
// queue, signed (checked with the `standardwebhooks` package, an independent implementation), in
// order per client, retried on failure, dead-lettered after the last attempt, and sent again on
// request. Tests marked "queue" let the real queue and consumer run; the others hold the queue's
// messages and run the consumer step by step (a retry's delay is made to pass by making the
// delivery due in D1, as the delayed message would find it).
import { createScheduledController } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { clientHistory, eventOutbox } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS } from "../../src/events/schedule";
import worker from "../../src/index";
import { createHarness } from "../support/harness";
import { installReceiver, waitFor } from "./receiver";
import { attempts, consume, deliveries, holdQueue, makeDue, tenantWithEndpoint } from "./support";

const h = createHarness();
const receiver = installReceiver();
afterAll(() => receiver.restore());

let held: ReturnType<typeof holdQueue> | null = null;
const hold = () => (held = holdQueue(h));
afterEach(() => {
  held?.restore();
  held = null;
});

const individual = (externalId: string, name = "Ana") => ({ client: { type: "individual", name, externalId } });

async function outboxOf(tenantId: string) {
  return h.db("test").select().from(eventOutbox).where(eq(eventOutbox.tenantId, tenantId)).orderBy(eventOutbox.sequence);
}

describe("delivery (queue)", () => {
  it("POSTs the event with Standard Webhooks headers and a signature an independent implementation verifies", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const sync = await h.post("/clients/sync", individual("ev-1"), { key });
    expect(sync.status).toBe(200);

    const got = await waitFor(() => receiver.at(url)[0], "the delivery");
    const [outbox] = await h.rows("test", eventOutbox, { clientId: sync.body.client.id });
    expect(got.headers["webhook-id"]).toBe(outbox!.id);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
    // The receiver's own check, with its own HMAC code: throws on a bad signature or a stale timestamp.
    const verified = new Webhook(endpoint.secret).verify(got.body, got.headers) as Record<string, unknown>;
    expect(verified).toEqual(got.event);
    expect(() => new Webhook(endpoint.secret).verify(got.body.replace("Ana", "Eve"), got.headers)).toThrow();

    const [entry] = await h.rows("test", clientHistory, { clientId: sync.body.client.id });
    expect(got.event).toMatchObject({ id: outbox!.id, type: "client.created", createdAt: entry!.at });
    expect(Object.keys(got.event)).toEqual(["id", "type", "createdAt", "data"]);
    expect(got.event.data).toMatchObject({ clientId: sync.body.client.id, sequence: 1, hash: entry!.hash, operation: "sync" });

    // The delivery log.
    const log = await waitFor(async () => (await attempts(h, endpoint.id))[0], "the attempt");
    expect(log).toMatchObject({ eventId: outbox!.id, attempt: 1, statusCode: 200, error: null, nextRetryAt: null, deadLettered: false });
    expect((await deliveries(h, endpoint.id))[0]).toMatchObject({ state: "delivered", attempts: 1 });
    expect((await outboxOf(outbox!.tenantId))[0]!.queuedAt).not.toBeNull();
  });

  it("sends client.updated and client.deleted, and only the types an endpoint asked for", async () => {
    const all = receiver.url();
    const { key, tenantId } = await tenantWithEndpoint(h, all);
    const onlyDeleted = receiver.url();
    expect((await h.post("/webhook-endpoints", { url: onlyDeleted, events: ["client.deleted"] }, { key })).status).toBe(200);
    const created = await h.post("/clients/sync", individual("ev-2"), { key });
    await h.post("/clients/sync", individual("ev-2", "Ana María"), { key });
    expect((await h.delete(`/clients/${created.body.client.id}`, { key })).status).toBe(200);

    const got = await waitFor(() => (receiver.at(all).length >= 3 ? receiver.at(all) : undefined), "three deliveries");
    expect(got.map((r) => r.event.type)).toEqual(["client.created", "client.updated", "client.deleted"]);
    expect(got.map((r) => r.event.data.sequence)).toEqual([1, 2, 3]);
    const deleted = await waitFor(() => receiver.at(onlyDeleted)[0], "the deleted event");
    expect(deleted.event.type).toBe("client.deleted");
    expect((await outboxOf(tenantId)).length).toBe(3);
    expect(receiver.at(onlyDeleted)).toHaveLength(1);
  });

  it("counts a timeout (10 s) as a failure and schedules a retry", async () => {
    const url = receiver.url(["hang"]);
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    await h.post("/clients/sync", individual("ev-timeout"), { key });
    const [attempt] = await waitFor(async () => {
      const log = await attempts(h, endpoint.id);
      return log.length > 0 ? log : undefined;
    }, "the timed-out attempt", 20_000);
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, error: "timeout: no answer within 10 s", deadLettered: false });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(10_000);
    expect(Date.parse(attempt!.nextRetryAt!) - Date.parse(attempt!.attemptedAt)).toBe(RETRY_DELAYS_SECONDS[0] * 1000);
    expect((await deliveries(h, endpoint.id))[0]).toMatchObject({ state: "pending", attempts: 1 });
  }, 30_000);

  it("delivers one client's events in sequence order under concurrent syncs", async () => {
    const url = receiver.url();
    const { key } = await tenantWithEndpoint(h, url);
    const created = await h.post("/clients/sync", individual("ev-order"), { key });
    const syncs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.post(
          "/clients/sync",
          { client: { externalId: "ev-order" }, addresses: [{ externalId: `ev-order-${i}`, street: `Calle ${i}`, city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX" }] },
          { key },
        ),
      ),
    );
    const written = 1 + syncs.filter((s) => s.status === 200).length;
    expect(written, JSON.stringify(syncs.map((s) => [s.status, s.body?.detail]))).toBeGreaterThan(2);
    const got = await waitFor(() => (receiver.at(url).length >= written ? receiver.at(url) : undefined), `${written} deliveries`, 30_000);
    expect(got.map((r) => r.event.data.sequence)).toEqual(Array.from({ length: written }, (_, i) => i + 1));
  }, 40_000);

  it("sends an event again on request (POST /events/{id}/redeliver), with the same webhook-id", async () => {
    const url = receiver.url();
    const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url);
    await h.post("/clients/sync", individual("ev-redeliver"), { key });
    const first = await waitFor(() => receiver.at(url)[0], "the delivery");
    const [event] = await outboxOf(tenantId);
    const asked = await h.post(`/events/${event!.id}/redeliver`, { endpointId: endpoint.id }, { key });
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ eventId: event!.id, endpointId: endpoint.id, queued: true });
    const second = await waitFor(() => receiver.at(url)[1], "the redelivery");
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.body).toBe(first.body);
    const log = await waitFor(async () => ((await attempts(h, endpoint.id)).length === 2 ? attempts(h, endpoint.id) : undefined), "two attempts");
    expect(log.map((a) => a.attempt)).toEqual([1, null]);
    expect(log[1]).toMatchObject({ statusCode: 200, nextRetryAt: null, deadLettered: false });
  });
});

describe("delivery (consumer step by step)", () => {
  it("retries after a 500 with growing delays, the same webhook-id each time, until a 2xx", async () => {
    const url = receiver.url([500, 503]);
    const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-retry"), { key });
    const steps = await queue.pump();
    const [event] = await outboxOf(tenantId);
    // The failed attempt's message is retried with the first delay.
    expect(steps.map((s) => s.body.kind)).toEqual(["event", "next"]);
    expect(steps[1]!.result.retryDelays).toEqual([RETRY_DELAYS_SECONDS[0]]);

    await makeDue(h, endpoint.id, event!.id);
    queue.held.push({ kind: "next", environment: "test", shard: h.shard, endpointId: endpoint.id, clientId: event!.clientId });
    const [second] = await queue.pump();
    expect(second!.result.retryDelays).toEqual([RETRY_DELAYS_SECONDS[1]]);

    // A message that arrives before the delivery is due (a duplicate) attempts nothing.
    queue.held.push({ kind: "next", environment: "test", shard: h.shard, endpointId: endpoint.id, clientId: event!.clientId });
    await queue.pump();
    expect(receiver.at(url)).toHaveLength(2);

    await makeDue(h, endpoint.id, event!.id);
    queue.held.push({ kind: "next", environment: "test", shard: h.shard, endpointId: endpoint.id, clientId: event!.clientId });
    await queue.pump();
    const got = receiver.at(url);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set([event!.id]));
    const log = await attempts(h, endpoint.id);
    expect(log.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 503, "HTTP 503"],
      [3, 200, null],
    ]);
    expect(log[0]!.nextRetryAt).not.toBeNull();
    expect(log[2]!.nextRetryAt).toBeNull();
    expect((await deliveries(h, endpoint.id))[0]).toMatchObject({ state: "delivered", attempts: 3, nextAttemptAt: null });

    const listed = await h.get(`/webhook-endpoints/${endpoint.id}/deliveries`, { key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((a: { attempt: number }) => a.attempt)).toEqual([3, 2, 1]);
    expect(listed.body.data[2]).toEqual({
      id: log[0]!.id,
      eventId: event!.id,
      attempt: 1,
      attemptedAt: log[0]!.attemptedAt,
      statusCode: 500,
      durationMs: log[0]!.durationMs,
      error: "HTTP 500",
      nextRetryAt: log[0]!.nextRetryAt,
      deadLettered: false,
    });
  });

  it("counts a network error as a failure", async () => {
    const url = receiver.url(["network"]);
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-network"), { key });
    await queue.pump();
    const [attempt] = await attempts(h, endpoint.id);
    expect(attempt).toMatchObject({ attempt: 1, statusCode: null, deadLettered: false });
    expect(attempt!.error).toMatch(/^network error: /);
  });

  it("schedules retries over at least 24 h, within the Queues delay limit", () => {
    expect(RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600);
    expect(Math.max(...RETRY_DELAYS_SECONDS)).toBeLessThanOrEqual(12 * 3600);
    expect([...RETRY_DELAYS_SECONDS]).toEqual([...RETRY_DELAYS_SECONDS].sort((a, b) => a - b));
  });

  it("dead-letters a delivery whose last attempt fails, and then delivers the client's next event", async () => {
    const url = receiver.url([500, 500]);
    const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-dead"), { key });
    await queue.pump();
    const [first] = await outboxOf(tenantId);
    await h.post("/clients/sync", individual("ev-dead", "Ana B"), { key });
    await queue.pump();
    // The second event waits behind the first, which is retrying.
    expect(receiver.at(url).map((r) => r.event.data.sequence)).toEqual([1]);
    expect((await deliveries(h, endpoint.id)).map((d) => [d.sequence, d.state, d.nextAttemptAt === null])).toEqual([
      [1, "pending", false],
      [2, "pending", true],
    ]);

    // Eleven attempts have failed: the next one is the last.
    await makeDue(h, endpoint.id, first!.id, { attempts: MAX_ATTEMPTS - 1 });
    queue.held.push({ kind: "next", environment: "test", shard: h.shard, endpointId: endpoint.id, clientId: first!.clientId });
    const [last] = await queue.pump();
    expect(last!.result.retryDelays).toEqual([]);
    expect(last!.result.explicitAcks).toHaveLength(1);
    const log = await attempts(h, endpoint.id, first!.id);
    expect(log.at(-1)).toMatchObject({ attempt: MAX_ATTEMPTS, statusCode: 500, nextRetryAt: null, deadLettered: true });
    expect(receiver.at(url).map((r) => r.event.data.sequence)).toEqual([1, 1, 2]);
    expect((await deliveries(h, endpoint.id)).map((d) => d.state)).toEqual(["dead", "delivered"]);

    // A dead-lettered event can be sent again on request.
    const redeliver = await h.post(`/events/${first!.id}/redeliver`, { endpointId: endpoint.id }, { key });
    expect(redeliver.status).toBe(200);
    await queue.pump();
    expect(receiver.at(url).map((r) => r.event.data.sequence)).toEqual([1, 1, 2, 1]);
    expect((await attempts(h, endpoint.id, first!.id)).at(-1)).toMatchObject({ attempt: null, statusCode: 200 });
  });

  it("holds a client's later event until the earlier one is fanned out, even when it reaches the consumer first", async () => {
    const url = receiver.url();
    const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-late"), { key });
    await h.post("/clients/sync", individual("ev-late", "Ana C"), { key });
    const [first, second] = queue.held.splice(0);
    expect([first!.kind, second!.kind]).toEqual(["event", "event"]);
    queue.held.push(second!);
    await queue.pump();
    expect(receiver.at(url)).toHaveLength(0);
    queue.held.push(first!);
    await queue.pump();
    expect(receiver.at(url).map((r) => r.event.data.sequence)).toEqual([1, 2]);
    expect((await deliveries(h, endpoint.id)).map((d) => d.state)).toEqual(["delivered", "delivered"]);
    expect((await outboxOf(tenantId)).every((e) => e.queuedAt !== null)).toBe(true);
  });

  it("loses nothing when the send after commit fails: the sweep sends it, and a second send is harmless", async () => {
    const url = receiver.url();
    const { key, tenantId } = await tenantWithEndpoint(h, url);
    const queue = hold();
    queue.sendBatch.mockRejectedValueOnce(new Error("queue unavailable"));
    const sync = await h.post("/clients/sync", individual("ev-sweep"), { key });
    expect(sync.status).toBe(200);
    expect(queue.held).toHaveLength(0);
    const [event] = await outboxOf(tenantId);
    expect(event!.queuedAt).toBeNull();

    // Within a minute the sweep leaves it to the write; after, it sends it.
    const sweepAt = async (ms: number) => {
      await worker.scheduled(createScheduledController({ scheduledTime: ms, cron: "* * * * *" }), h.env as Env);
    };
    await sweepAt(Date.now());
    expect(queue.held.filter((m) => m.kind === "event" && m.eventId === event!.id)).toHaveLength(0);
    await sweepAt(Date.now() + 61_000);
    const swept = queue.held.filter((m) => m.kind === "event" && m.eventId === event!.id);
    expect(swept).toHaveLength(1);
    // Sent twice (the sweep and a late send): one delivery.
    queue.held.push(swept[0]!);
    await queue.pump();
    const got = receiver.at(url);
    expect(got).toHaveLength(1);
    expect(got[0]!.headers["webhook-id"]).toBe(event!.id);
    expect((await outboxOf(tenantId))[0]!.queuedAt).not.toBeNull();
  });

  it("re-sends a due delivery whose message was lost", async () => {
    const url = receiver.url();
    const { key, endpoint, tenantId } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-lost"), { key });
    const [eventMessage] = queue.held.splice(0);
    await queue.pump();
    queue.held.push(eventMessage!);
    await consume(h, queue.held.shift()!);
    queue.held.splice(0); // the `next` message is lost
    const [event] = await outboxOf(tenantId);
    expect((await deliveries(h, endpoint.id))[0]).toMatchObject({ state: "pending", attempts: 0 });
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 11 * 60_000 }), h.env as Env);
    expect(queue.held).toContainEqual({ kind: "next", environment: "test", shard: h.shard, endpointId: endpoint.id, clientId: event!.clientId });
    await queue.pump();
    expect(receiver.at(url)).toHaveLength(1);
  });

  it("sends nothing to a deleted endpoint and cancels its pending deliveries", async () => {
    const url = receiver.url();
    const { key, endpoint } = await tenantWithEndpoint(h, url);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-deleted"), { key });
    const [eventMessage] = queue.held.splice(0);
    await consume(h, eventMessage!);
    expect((await h.delete(`/webhook-endpoints/${endpoint.id}`, { key })).status).toBe(200);
    await queue.pump();
    expect(receiver.at(url)).toHaveLength(0);
    expect((await deliveries(h, endpoint.id)).map((d) => d.state)).toEqual(["cancelled"]);
  });
});

describe("who gets events", () => {
  it("a tenant without endpoints writes no outbox rows and sends nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const queue = hold();
    const sync = await h.post("/clients/sync", individual("ev-none"), { key });
    expect(sync.status).toBe(200);
    expect(await h.rows("test", clientHistory, { clientId: sync.body.client.id })).toHaveLength(1);
    expect(await outboxOf(tenantId)).toHaveLength(0);
    expect(queue.sendBatch).not.toHaveBeenCalled();
    expect(queue.held).toHaveLength(0);
  });

  it("a tenant never receives another tenant's events, and test and live never mix", async () => {
    const mine = receiver.url();
    const { tenantId, key } = await tenantWithEndpoint(h, mine);
    const live = receiver.url();
    const liveKey = await h.createKey({ env: "live", tenantId });
    expect((await h.post("/webhook-endpoints", { url: live }, { key: liveKey, env: "live" })).status).toBe(200);
    const other = await h.newTenantWithKey();
    const queue = hold();

    await h.post("/clients/sync", individual("ev-other"), { key: other.key });
    expect(await outboxOf(other.tenantId)).toHaveLength(0);
    await h.post("/clients/sync", individual("ev-mine"), { key });
    await queue.pump();
    expect(receiver.at(mine)).toHaveLength(1);
    expect(receiver.at(live)).toHaveLength(0);

    await h.post("/clients/sync", individual("ev-live"), { key: liveKey, env: "live" });
    expect(queue.held).toEqual([{ kind: "event", environment: "live", shard: h.shard, eventId: expect.any(String) }]);
    await queue.pump();
    expect(receiver.at(live)).toHaveLength(1);
    expect(receiver.at(live)[0]!.event.data.clientId).not.toBe(receiver.at(mine)[0]!.event.data.clientId);
    expect(receiver.at(mine)).toHaveLength(1);
  });

  it("an endpoint receives only events made after it was created", async () => {
    const first = receiver.url();
    const { key, tenantId } = await tenantWithEndpoint(h, first);
    const queue = hold();
    await h.post("/clients/sync", individual("ev-before"), { key });
    const later = receiver.url();
    const created = await h.post("/webhook-endpoints", { url: later }, { key });
    await queue.pump();
    expect(receiver.at(first)).toHaveLength(1);
    expect(receiver.at(later)).toHaveLength(0);
    expect(await deliveries(h, created.body.id)).toHaveLength(0);
    expect(await outboxOf(tenantId)).toHaveLength(1);
  });
});

describe("write path cost", () => {
  it("the after-commit send adds no D1 round trip or statement", async () => {
    const withEndpoint = await tenantWithEndpoint(h, receiver.url());
    const without = await h.newTenantWithKey();
    const queue = hold();
    const a = await h.post("/clients/sync", individual("ev-cost"), { key: withEndpoint.key });
    const b = await h.post("/clients/sync", individual("ev-cost"), { key: without.key });
    expect(a.stats.roundTrips).toBe(b.stats.roundTrips);
    expect(a.stats.statements.length).toBe(b.stats.statements.length);
    expect(queue.sendBatch).toHaveBeenCalledTimes(1);
    await queue.pump();
  });
});

