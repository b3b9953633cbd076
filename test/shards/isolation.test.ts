// Shards (API.md §17): two tenants on two shards of one environment never see each other, every row
// of a tenant sits in its own shard only, and a request finds its shard from the key's text with no
// round trip of its own.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardBinding, shardCount, type Env } from "../../src/env";
import { generateKey, shardOfKey, displayPrefix } from "../../src/http/keys";
import { createHarness } from "../support/harness";
import { fileShard, TEST_SHARDS } from "../support/shards";

const on0 = createHarness({ shard: 0 });
const on1 = createHarness({ shard: 1 });

/** The tenant's rows in every table of one shard's database (those with a tenant_id column). */
async function rowsOfTenant(binding: D1Database, tenantId: string): Promise<Record<string, number>> {
  const { results: tables } = await binding.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf%' ORDER BY name").all<{ name: string }>();
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { results: columns } = await binding.prepare(`PRAGMA table_info("${name}")`).all<{ name: string }>();
    if (!columns.some((c) => c.name === "tenant_id")) continue;
    const row = await binding.prepare(`SELECT count(*) AS n FROM "${name}" WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>();
    if (row!.n > 0) counts[name] = row!.n;
  }
  return counts;
}

const company = (externalId: string) => ({ type: "company", name: `Shard ${externalId}`, externalId, scopes: ["MX"], scopeData: { MX: { rfc: "ABC680524P76" } } });

describe("two tenants on two shards", () => {
  it("the tests have two shards per environment, and this file's harness puts its tenants on the one its path picks", () => {
    expect(shardCount(env as unknown as Env, "test")).toBe(TEST_SHARDS);
    expect(shardCount(env as unknown as Env, "live")).toBe(TEST_SHARDS);
    expect(createHarness().shard).toBe(fileShard());
  });

  it("each writes and reads only its own shard; neither reaches the other's clients; every row of each sits in its shard", async () => {
    const a = await on0.newTenantWithKey();
    const b = await on1.newTenantWithKey();
    expect(shardOfKey(a.key)).toBe(0);
    expect(shardOfKey(b.key)).toBe(1);
    expect(b.key).toMatch(/^sk_test_s1_[A-Za-z0-9_-]{43}$/);

    const createdA = await on0.post("/clients/batch", { items: [company(`a-${crypto.randomUUID()}`)] }, { key: a.key });
    const createdB = await on1.post("/clients/sync", { client: company(`b-${crypto.randomUUID()}`), addresses: [{ type: "home", street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX" }] }, { key: b.key });
    expect(createdA.status, createdA.text).toBe(200);
    expect(createdB.status, createdB.text).toBe(200);
    const idA = createdA.body.data[0].id as string;
    const idB = createdB.body.client.id as string;

    // One round trip for a GET, as before shards: the shard came from the key's text.
    const gotB = await on1.get(`/clients/${idB}`, { key: b.key });
    expect(gotB.status).toBe(200);
    expect(gotB.stats.roundTrips).toBe(1);
    // Neither tenant reaches the other's client (404, not 403: nothing said about it).
    expect((await on0.get(`/clients/${idB}`, { key: a.key })).status).toBe(404);
    expect((await on1.get(`/clients/${idA}`, { key: b.key })).status).toBe(404);
    expect((await on1.get("/clients", { key: b.key })).body.data.map((c: { id: string }) => c.id)).toEqual([idB]);

    const aOn0 = await rowsOfTenant(env.DB_TEST_0, a.tenantId);
    const bOn1 = await rowsOfTenant(env.DB_TEST_1, b.tenantId);
    expect(aOn0).toMatchObject({ api_keys: 1, clients: 1, client_history: 1 });
    expect(bOn1).toMatchObject({ api_keys: 1, clients: 1, addresses: 1, client_history: 1 });
    // Nothing of either in the other shard, nor in live.
    expect(await rowsOfTenant(env.DB_TEST_1, a.tenantId)).toEqual({});
    expect(await rowsOfTenant(env.DB_TEST_0, b.tenantId)).toEqual({});
    expect(await rowsOfTenant(env.DB_LIVE_0, b.tenantId)).toEqual({});
    expect(await rowsOfTenant(env.DB_LIVE_1, b.tenantId)).toEqual({});
  });

  it("a key is looked up only in the shard its text names: the same key's hash put in another shard does not make it work there", async () => {
    const b = await on1.newTenantWithKey();
    // The key row copied into shard 0 too: the request still goes to shard 1 only.
    const row = await env.DB_TEST_1.prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(b.tenantId).first<Record<string, unknown>>();
    await env.DB_TEST_0.prepare("INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(crypto.randomUUID(), `${b.tenantId}-copy`, null, `${row!.prefix}x`, row!.key_hash, row!.permissions, row!.created_at)
      .run();
    const listed = await on1.get("/clients", { key: b.key });
    expect(listed.status).toBe(200);
    // Revoked in its own shard: refused, whatever shard 0 holds.
    await env.DB_TEST_1.prepare("UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ?").bind(new Date().toISOString(), b.tenantId).run();
    expect((await on1.get("/clients", { key: b.key })).status).toBe(401);
  });

  it.each([
    ["a shard this Worker does not have", () => generateKey("test", 7)],
    ["a shard-1 key with its segment taken out (another key)", () => generateKey("test", 1).replace(/^sk_test_s1_/, "sk_test_")],
    ["a shard-0 key given a segment (another key)", () => generateKey("test", 0).replace(/^sk_test_/, "sk_test_s1_")],
  ])("401 for %s", async (_, make) => {
    const { tenantId } = await on0.newTenantWithKey();
    const key = make();
    const res = await on0.get("/clients", { key });
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe("Unknown API key");
    expect(await rowsOfTenant(env.DB_TEST_0, tenantId)).toEqual({ api_keys: 1 });
  });

  it("display prefixes name the shard: sk_test_s1_ + 8 characters past shard 0, as before on shard 0", () => {
    const key1 = generateKey("live", 1);
    expect(displayPrefix(key1)).toBe(key1.slice(0, "sk_live_s1_".length + 8));
    expect(shardOfKey(displayPrefix(key1))).toBe(1);
    const key0 = generateKey("test");
    expect(displayPrefix(key0)).toBe(key0.slice(0, 16));
    expect(shardOfKey(key0)).toBe(0);
    expect(shardBinding("live", 1)).toBe("DB_LIVE_1");
  });
});

describe("copy test → live across shards", () => {
  it("writes into the live shard the live key names (the tenant's test and live shards are independent), nothing into another", async () => {
    const tenantId = on0.newTenant();
    const testKey = await on0.createKey({ env: "test", tenantId });
    const liveKey = await on1.createKey({ env: "live", tenantId });
    expect(liveKey).toMatch(/^sk_live_s1_/);
    const created = await on0.post("/clients/batch", { items: [company(`copy-${crypto.randomUUID()}`)] }, { key: testKey });
    expect(created.status, created.text).toBe(200);
    const id = created.body.data[0].id as string;
    const copied = await on0.post(`/clients/${id}/copy-to-live`, {}, { key: testKey, headers: { "x-live-authorization": `Bearer ${liveKey}` } });
    expect(copied.status, copied.text).toBe(200);
    expect(await rowsOfTenant(env.DB_LIVE_1, tenantId)).toMatchObject({ api_keys: 1, clients: 1, client_history: 1 });
    expect(await rowsOfTenant(env.DB_LIVE_0, tenantId)).toEqual({});
    const liveId = copied.body.client.id as string;
    expect((await on1.get(`/clients/${liveId}`, { key: liveKey, env: "live" })).status).toBe(200);
  });
});
