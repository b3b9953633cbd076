// API.md §13: the API key lookup shares the route's first D1 round trip. Exact round trips per
// endpoint; a key refused (unknown, revoked, missing permission) answers as before, at once (no
// cache), with nothing written; and the first batch's statements read nothing for a refused key.
import { describe, expect, it } from "vitest";
import { keyTenant } from "../../src/db/api-keys";
import { clientGraphRead } from "../../src/db/clients-read";
import { runBatch } from "../../src/db/database";
import { clients } from "../../src/db/schema";
import { hashKey } from "../../src/http/keys";
import { createHarness } from "../support/harness";

const h = createHarness();
const KEY_SHARES = /from "api_keys"/i;

describe("round trips, the key lookup included", () => {
  it("GET 1, list 1 (also with a cursor), sync 2, no-op sync 1, batch 2, DELETE 2", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const one = await h.seedClient("test", tenantId);
    await h.seedClient("test", tenantId);
    const get = await h.get(`/clients/${one.id}`, { key });
    const list = await h.get(`/clients?limit=1`, { key });
    const next = await h.get(`/clients?limit=1&cursor=${list.body.pagination.nextCursor}`, { key });
    const body = { client: { type: "individual", name: "Ana", externalId: `rt-${crypto.randomUUID()}` } };
    const sync = await h.post("/clients/sync", body, { key });
    const noop = await h.post("/clients/sync", body, { key });
    const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "C", externalId: `rtb-${crypto.randomUUID()}` }] }, { key });
    const del = await h.delete(`/clients/${one.id}`, { key });
    const counts = [get, list, next, sync, noop, batch, del].map((r) => [r.status, r.stats.roundTrips]);
    expect(counts).toEqual([[200, 1], [200, 1], [200, 1], [200, 2], [200, 1], [200, 2], [200, 2]]);
    expect(next.body.data[0].id).not.toBe(list.body.data[0].id);
    for (const res of [get, list, next, sync, noop, batch, del]) expect(res.stats.statements[0]!.sql).toMatch(KEY_SHARES);
  });
});

describe("a refused key: the same answers, at once, nothing read for it and nothing written", () => {
  it("revoked in D1 between two requests: the next one is a 401 (nothing cached), in one round trip", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    expect((await h.get(`/clients/${client.id}`, { key })).status).toBe(200);
    await h.revokeKey("test", key);
    for (const res of [
      await h.get(`/clients/${client.id}`, { key }),
      await h.get(`/clients`, { key }),
      await h.post("/clients/sync", { clientId: client.id, client: { name: "X" } }, { key }),
      await h.post("/clients/batch", { items: [{ type: "individual", name: "Y" }] }, { key }),
      await h.delete(`/clients/${client.id}`, { key }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: "UNAUTHORIZED", detail: "This API key has been revoked" });
      expect(res.stats.roundTrips).toBe(1);
      expect(res.stats.rowsWritten).toBe(0);
    }
    expect(await h.rows("test", clients, { tenantId })).toEqual([{ ...client, complete: null, completeUntil: null }]); // the completeness columns: unknown for a row seeded in SQL
  });

  it("401 before 403 before the route's own 400/404, whatever the request", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read"] });
    const unknown = `sk_test_${"A".repeat(43)}`;
    const badQuery = await h.get(`/clients?limit=0`, { key: unknown });
    expect(badQuery.status).toBe(401);
    expect(badQuery.body.detail).toBe("Unknown API key");
    const missing = await h.get(`/clients/${crypto.randomUUID()}`, { key: unknown });
    expect([missing.status, missing.body.detail]).toEqual([401, "Unknown API key"]);
    const forbidden = await h.post("/clients/sync", { clientId: "not-an-id", bad: 1 }, { key: readOnly });
    expect([forbidden.status, forbidden.body.detail]).toEqual([403, "API key lacks permission: test:clients:create"]);
    const forbiddenDelete = await h.delete(`/clients/${crypto.randomUUID()}`, { key: readOnly });
    expect([forbiddenDelete.status, forbiddenDelete.body.detail]).toEqual([403, "API key lacks permission: test:clients:delete"]);
    for (const res of [badQuery, missing, forbidden, forbiddenDelete]) expect(res.stats.rowsWritten).toBe(0);
    // With a good key the route's own problems answer.
    expect((await h.get(`/clients?limit=0`, { key })).status).toBe(400);
    expect((await h.get(`/clients/${crypto.randomUUID()}`, { key })).status).toBe(404);
  });

  it("the first batch's statements return nothing for an unknown or revoked key, or one without the permission", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read"] });
    const revoked = await h.createKey({ tenantId, revoked: true });
    const client = await h.seedClient("test", tenantId);
    const db = h.db("test");
    const rowsFor = async (plaintext: string, needed: string[]) => {
      const read = clientGraphRead(db, keyTenant(await hashKey(plaintext), needed), client.id);
      return ((await runBatch(db, read.statements)) as unknown[][]).reduce((n, rows) => n + rows.length, 0);
    };
    expect(await rowsFor(key, ["clients:read"])).toBeGreaterThan(0);
    expect(await rowsFor(readOnly, ["clients:read"])).toBeGreaterThan(0);
    expect(await rowsFor(readOnly, ["clients:read", "clients:delete"])).toBe(0);
    expect(await rowsFor(revoked, ["clients:read"])).toBe(0);
    expect(await rowsFor(`sk_test_${"B".repeat(43)}`, ["clients:read"])).toBe(0);
  });
});
