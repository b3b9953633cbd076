// The endpoint and delivery operations (API.md §12): create (secret shown once), list, delete,
// the delivery log and redelivery; webhooks:manage; tenant and environment isolation.
import { afterAll, describe, expect, it } from "vitest";
import { eventOutbox, webhookAttempts, webhookEndpoints } from "../../src/db/schema";
import { MAX_ENDPOINTS_PER_TENANT } from "../../src/db/webhooks";
import { Webhook } from "standardwebhooks";
import { newId } from "../../src/ids";
import { createHarness } from "../support/harness";
import { installReceiver, RECEIVER_HOST } from "./receiver";

const h = createHarness();
// Writes below send real events: the local receiver takes them (no request leaves the test).
const receiver = installReceiver();
afterAll(() => receiver.restore());
const URL_ = `https://${RECEIVER_HOST}/in`;

describe("create, list, delete", () => {
  it("creates an endpoint with a whsec_ secret shown only in the answer", async () => {
    const { key, tenantId } = await h.newTenantWithKey();
    const created = await h.post("/webhook-endpoints", { url: URL_, description: "CRM" }, { key });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(["id", "url", "description", "events", "secret", "createdAt"]);
    expect(created.body).toMatchObject({ url: URL_, description: "CRM", events: ["client.created", "client.updated", "client.deleted"] });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(created.body.secret.slice(6))).toHaveLength(32);
    // Usable by a Standard Webhooks library as it is.
    expect(() => new Webhook(created.body.secret)).not.toThrow();

    const listed = await h.get("/webhook-endpoints", { key });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ data: [{ id: created.body.id, url: URL_, description: "CRM", events: created.body.events, createdAt: created.body.createdAt }] });
    expect(listed.text).not.toContain(created.body.secret);
    expect(listed.stats.roundTrips).toBe(1);

    const second = await h.post("/webhook-endpoints", { url: URL_, events: ["client.deleted"] }, { key });
    expect(second.body.secret).not.toBe(created.body.secret);
    expect(second.body.description).toBeNull();
    expect((await h.get("/webhook-endpoints", { key })).body.data.map((e: { id: string }) => e.id)).toEqual([created.body.id, second.body.id]);

    const deleted = await h.delete(`/webhook-endpoints/${created.body.id}`, { key });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: created.body.id, deleted: true });
    expect(deleted.stats.roundTrips).toBe(1);
    expect((await h.delete(`/webhook-endpoints/${created.body.id}`, { key })).status).toBe(404);
    expect(await h.rows("test", webhookEndpoints, { tenantId })).toHaveLength(1);
  });

  it("refuses an invalid body with every problem at once", async () => {
    const { key } = await h.newTenantWithKey();
    const response = await h.post("/webhook-endpoints", { url: 5, events: ["client.created", "client.created", "client.merged"], extra: 1, description: " " }, { key });
    expect(response.status).toBe(400);
    const pointers = response.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(expect.arrayContaining(["/url", "/extra", "/description"]));
    expect(pointers.some((p: string) => p.startsWith("/events"))).toBe(true);
    expect((await h.post("/webhook-endpoints", { url: URL_, events: [] }, { key })).status).toBe(400);
    expect((await h.post("/webhook-endpoints", "{", { key, headers: { "content-type": "application/json" } })).status).toBe(400);
  });

  it(`caps a tenant at ${MAX_ENDPOINTS_PER_TENANT} endpoints per environment`, async () => {
    const { key, tenantId } = await h.newTenantWithKey();
    for (let i = 0; i < MAX_ENDPOINTS_PER_TENANT; i++) expect((await h.post("/webhook-endpoints", { url: `${URL_}/${i}` }, { key })).status).toBe(200);
    const over = await h.post("/webhook-endpoints", { url: URL_ }, { key });
    expect(over.status).toBe(409);
    expect(await h.rows("test", webhookEndpoints, { tenantId })).toHaveLength(MAX_ENDPOINTS_PER_TENANT);
  });

  it("needs webhooks:manage for every operation", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId, permissions: ["clients:read", "clients:create", "clients:update", "clients:delete", "clients:history"] });
    const id = newId();
    const calls = [
      h.post("/webhook-endpoints", { url: URL_ }, { key }),
      h.get("/webhook-endpoints", { key }),
      h.delete(`/webhook-endpoints/${id}`, { key }),
      h.get(`/webhook-endpoints/${id}/deliveries`, { key }),
      h.post(`/events/${id}/redeliver`, { endpointId: id }, { key }),
    ];
    for (const response of await Promise.all(calls)) {
      expect(response.status).toBe(403);
      expect(response.body.detail).toBe("API key lacks permission: test:webhooks:manage");
    }
    expect(await h.rows("test", webhookEndpoints, { tenantId })).toHaveLength(0);
    expect((await h.post("/webhook-endpoints", { url: URL_ }, {})).status).toBe(401);
  });

  it("a tenant never sees, deletes or reads the log of another tenant's endpoint, nor the other environment's", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    const endpoint = (await h.post("/webhook-endpoints", { url: URL_ }, { key: a.key })).body;
    expect((await h.get("/webhook-endpoints", { key: b.key })).body).toEqual({ data: [] });
    expect((await h.delete(`/webhook-endpoints/${endpoint.id}`, { key: b.key })).status).toBe(404);
    expect((await h.get(`/webhook-endpoints/${endpoint.id}/deliveries`, { key: b.key })).status).toBe(404);
    const liveKey = await h.createKey({ env: "live", tenantId: a.tenantId });
    expect((await h.get("/webhook-endpoints", { key: liveKey, env: "live" })).body).toEqual({ data: [] });
    expect((await h.delete(`/webhook-endpoints/${endpoint.id}`, { key: liveKey, env: "live" })).status).toBe(404);
    expect(await h.rows("test", webhookEndpoints, { id: endpoint.id })).toHaveLength(1);
  });

  it("answers 400 for malformed ids", async () => {
    const { key } = await h.newTenantWithKey();
    expect((await h.delete("/webhook-endpoints/nope", { key })).status).toBe(400);
    expect((await h.get("/webhook-endpoints/nope/deliveries", { key })).status).toBe(400);
    expect((await h.post("/events/nope/redeliver", { endpointId: newId() }, { key })).status).toBe(400);
    expect((await h.post(`/events/${newId()}/redeliver`, { endpointId: "nope" }, { key })).status).toBe(400);
  });
});

describe("delivery log", () => {
  it("pages newest first behind a cursor bound to the tenant and endpoint", async () => {
    const { key, tenantId } = await h.newTenantWithKey();
    const endpoint = (await h.post("/webhook-endpoints", { url: URL_ }, { key })).body;
    const other = (await h.post("/webhook-endpoints", { url: `${URL_}/2` }, { key })).body;
    const rows = Array.from({ length: 5 }, (_, i) => ({
      id: newId(),
      endpointId: endpoint.id,
      tenantId,
      eventId: newId(),
      attempt: 1,
      attemptedAt: `2026-11-0${i + 1}T00:00:00.000Z`,
      statusCode: 200,
      durationMs: 12,
      error: null,
      nextRetryAt: null,
      deadLettered: false,
    }));
    await h.db("test").insert(webhookAttempts).values(rows);
    const first = await h.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=2`, { key });
    expect(first.status).toBe(200);
    expect(first.stats.roundTrips).toBe(1);
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual([rows[4]!.id, rows[3]!.id]);
    expect(first.body.pagination.hasMore).toBe(true);
    const second = await h.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=2&cursor=${first.body.pagination.nextCursor}`, { key });
    expect(second.body.data.map((a: { id: string }) => a.id)).toEqual([rows[2]!.id, rows[1]!.id]);
    const third = await h.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=2&cursor=${second.body.pagination.nextCursor}`, { key });
    expect(third.body).toMatchObject({ data: [{ id: rows[0]!.id }], pagination: { hasMore: false, nextCursor: null } });
    // The cursor of one endpoint's log is refused by another's.
    expect((await h.get(`/webhook-endpoints/${other.id}/deliveries?cursor=${first.body.pagination.nextCursor}`, { key })).status).toBe(400);
    expect((await h.get(`/webhook-endpoints/${other.id}/deliveries`, { key })).body.data).toEqual([]);
    expect((await h.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=0`, { key })).status).toBe(400);
  });
});

describe("redeliver", () => {
  it("answers 404 for an event or an endpoint the tenant does not have", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    const endpointA = (await h.post("/webhook-endpoints", { url: URL_ }, { key: a.key })).body;
    const endpointB = (await h.post("/webhook-endpoints", { url: URL_ }, { key: b.key })).body;
    const sync = await h.post("/clients/sync", { client: { type: "individual", name: "Ana" } }, { key: a.key });
    const [event] = await h.rows("test", eventOutbox, { clientId: sync.body.client.id });
    expect((await h.post(`/events/${newId()}/redeliver`, { endpointId: endpointA.id }, { key: a.key })).status).toBe(404);
    const foreignEndpoint = await h.post(`/events/${event!.id}/redeliver`, { endpointId: endpointB.id }, { key: a.key });
    expect(foreignEndpoint.status).toBe(404);
    expect(foreignEndpoint.body.errors).toEqual([{ pointer: "/endpointId", code: "not_found", detail: "No such webhook endpoint" }]);
    expect((await h.post(`/events/${event!.id}/redeliver`, { endpointId: endpointB.id }, { key: b.key })).status).toBe(404);
    expect((await h.post(`/events/${event!.id}/redeliver`, { endpointId: endpointA.id, extra: true }, { key: a.key })).status).toBe(400);
  });
});
