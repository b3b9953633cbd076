// Moving a tenant between shards (API.md §17, scripts/lib/tenant-move.ts) on the Workers tests' own
// local D1: the copy is whole and verified, the tenant's old keys are followed to the new shard,
// writes during the move get 503 + Retry-After and none is lost, and a move stopped after any step
// and run again ends with exactly one complete copy.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { d1Shard, listTenants, moveTenant, type MoveStep, type ShardHandle } from "../../scripts/lib/tenant-move";
import { createHarness } from "../support/harness";
import { clabe, seedWebhookEndpoint, uniq } from "../sync/helpers";

const h = createHarness({ shard: 0 });
const shards: ShardHandle[] = [d1Shard(0, "DB_TEST_0", env.DB_TEST_0), d1Shard(1, "DB_TEST_1", env.DB_TEST_1)];
const bindings = [env.DB_TEST_0, env.DB_TEST_1];

/** Every row of the tenant in one shard, per table with a tenant_id (ordered, as stored). */
async function dump(binding: D1Database, tenantId: string): Promise<Record<string, unknown[]>> {
  const { results: tables } = await binding.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf%' ORDER BY name").all<{ name: string }>();
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const { results: columns } = await binding.prepare(`PRAGMA table_info("${name}")`).all<{ name: string }>();
    if (!columns.some((c) => c.name === "tenant_id")) continue;
    const { results } = await binding.prepare(`SELECT * FROM "${name}" WHERE tenant_id = ? ORDER BY ${columns.map((c) => `"${c.name}"`).join(", ")}`).bind(tenantId).all();
    if (results.length > 0) out[name] = results;
  }
  return out;
}

const address = (externalId: string) => ({ type: "home", street: `Calle ${externalId}`, city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", externalId });

/** A tenant on shard 0 with a graph of every kind of record, an endpoint (outbox rows) and a stored idempotent answer. */
async function tenantWithData() {
  const { tenantId, key } = await h.newTenantWithKey();
  await seedWebhookEndpoint(h, tenantId);
  const ext = `m-${uniq()}`;
  const body = {
      client: { type: "company", name: "Mudanzas SA", externalId: ext, scopes: ["MX"], scopeData: { MX: { rfc: "ABC680524P76" } } },
      addresses: [address("a1"), address("a2")],
      contactMethods: [{ value: "ops@mudanzas.mx", externalId: "c1" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: "b1" }],
      documents: [{ type: "ine", externalId: "d1" }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `${ext}-rep` }, relationshipType: "legal_representative" }],
  };
  const synced = await h.post("/clients/sync", body, { key, headers: { "idempotency-key": `idem-${ext}` } });
  expect(synced.status, synced.text).toBe(200);
  const id = synced.body.client.id as string;
  const renamed = await h.post("/clients/sync", { client: { externalId: ext, name: "Mudanzas SA de CV" } }, { key });
  expect(renamed.status, renamed.text).toBe(200);
  return { tenantId, key, ext, id, body, firstAnswer: synced.text };
}

async function views(key: string, id: string) {
  const [client, history, verify] = await Promise.all([h.get(`/clients/${id}`, { key }), h.get(`/clients/${id}/history`, { key }), h.get(`/clients/${id}/history/verify`, { key })]);
  return { client: client.text, history: history.text, verify: verify.body, statuses: [client.status, history.status, verify.status] };
}

describe("npm run tenant -- move, in process", () => {
  it("copies every row, verifies, switches and erases: the old key is followed to the new shard, answers unchanged, and the tenant writes there", async () => {
    const { tenantId, key, ext, id, body, firstAnswer } = await tenantWithData();
    const other = await h.newTenantWithKey();
    const otherBefore = await dump(env.DB_TEST_0, other.tenantId);
    const before = await dump(env.DB_TEST_0, tenantId);
    const seen = await views(key, id);
    expect(seen.verify.valid).toBe(true);

    const steps: MoveStep[] = [];
    const report = await moveTenant(shards, tenantId, 1, { after: (step) => void steps.push(step), pageRows: 3 });
    expect(report).toMatchObject({ outcome: "moved", from: 0, to: 1 });
    expect(report.clients).toBe(2);
    expect(steps[0]).toBe("frozen");
    expect(steps.slice(-3)).toEqual(["verified", "switched", "erased"]);

    // The target holds exactly what the source held (the keys: as they were).
    expect(await dump(env.DB_TEST_1, tenantId)).toEqual(before);
    // The source keeps only the keys, forwarding to shard 1.
    const left = await dump(env.DB_TEST_0, tenantId);
    expect(Object.keys(left)).toEqual(["api_keys"]);
    expect((left.api_keys as { moved_to: number }[]).map((k) => k.moved_to)).toEqual([1]);
    // Another tenant of shard 0 untouched.
    expect(await dump(env.DB_TEST_0, other.tenantId)).toEqual(otherBefore);

    // The same key (its text says shard 0) is followed to shard 1: the same answers.
    expect(await views(key, id)).toEqual(seen);
    // The stored idempotent answer moved too.
    const replay = await h.post("/clients/sync", body, { key, headers: { "idempotency-key": `idem-${ext}` } });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(firstAnswer);
    // A write lands in shard 1 and continues the chain.
    const changed = await h.post("/clients/sync", { client: { externalId: ext, metadata: { moved: true } } }, { key });
    expect(changed.status, changed.text).toBe(200);
    const entries = await env.DB_TEST_1.prepare("SELECT sequence FROM client_history WHERE tenant_id = ? AND client_id = ? AND part = 0 ORDER BY sequence").bind(tenantId, id).all();
    expect(entries.results.map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect((await h.get(`/clients/${id}/history/verify`, { key })).body.valid).toBe(true);
    expect(await env.DB_TEST_0.prepare("SELECT count(*) AS n FROM client_history WHERE tenant_id = ?").bind(tenantId).first("n")).toBe(0);

    // Listed on shard 1 now; a second move there does nothing.
    const listed = await listTenants(shards);
    expect(listed.filter((t) => t.tenant === tenantId)).toEqual([expect.objectContaining({ shard: 1, keys: 1, moving: false })]);
    expect(await moveTenant(shards, tenantId, 1)).toMatchObject({ outcome: "already there", from: 1 });

    // And back: shard 0's forwarding keys give way to the tenant's own rows again.
    const onOne = await dump(env.DB_TEST_1, tenantId);
    const latest = await views(key, id);
    await moveTenant(shards, tenantId, 0);
    expect(await dump(env.DB_TEST_0, tenantId)).toEqual(onOne);
    expect(Object.keys(await dump(env.DB_TEST_1, tenantId))).toEqual(["api_keys"]);
    expect(await views(key, id)).toEqual(latest);
  });

  it("while the tenant is frozen, its writes get 503 with Retry-After and write nothing; reads go on; other tenants of the shard write", async () => {
    const { tenantId, key, ext, id } = await tenantWithData();
    const other = await h.newTenantWithKey();
    const stop = new Error("stopped after freezing");
    await expect(moveTenant(shards, tenantId, 1, { after: (step) => { if (step === "frozen") throw stop; } })).rejects.toBe(stop);
    const before = await dump(env.DB_TEST_0, tenantId);

    const write = await h.post("/clients/sync", { client: { externalId: ext, name: "Otro nombre" } }, { key });
    expect(write.status, write.text).toBe(503);
    expect(write.headers.get("retry-after")).toBe("5");
    expect(write.body.code).toBe("SERVICE_UNAVAILABLE");
    expect(write.body.detail).toMatch(/being moved/);
    const created = await h.post("/clients/batch", { items: [{ type: "individual", name: "Nuevo", externalId: `n-${uniq()}` }] }, { key });
    expect(created.status).toBe(503);
    const deleted = await h.delete(`/clients/${id}`, { key });
    expect(deleted.status).toBe(503);
    expect(await dump(env.DB_TEST_0, tenantId)).toEqual(before);
    expect((await h.get(`/clients/${id}`, { key })).status).toBe(200);
    expect((await h.post("/clients/batch", { items: [{ type: "individual", name: "Otro", externalId: `o-${uniq()}` }] }, { key: other.key })).status).toBe(200);

    // Finished: the write that waited now succeeds, on shard 1.
    await moveTenant(shards, tenantId, 1);
    const retried = await h.post("/clients/sync", { client: { externalId: ext, name: "Otro nombre" } }, { key });
    expect(retried.status, retried.text).toBe(200);
    expect(JSON.parse((await h.get(`/clients/${id}`, { key })).text).name).toBe("Otro nombre");
  });

  it.each<MoveStep>(["frozen", "cleared", "copied addresses", "copied client_history", "copied webhook_endpoints", "verified", "switched", "erased"])(
    "stopped after %s and run again: exactly one complete copy, the same answers",
    async (stopAt) => {
      const { tenantId, key, id } = await tenantWithData();
      const before = await dump(env.DB_TEST_0, tenantId);
      const seen = await views(key, id);
      const stop = new Error(`killed after ${stopAt}`);
      await expect(moveTenant(shards, tenantId, 1, { pageRows: 2, after: (step) => { if (step === stopAt) throw stop; } })).rejects.toBe(stop);
      // Stopped anywhere: reads answer what they did.
      expect(await views(key, id)).toEqual(seen);

      const again = await moveTenant(shards, tenantId, 1, { pageRows: 2 });
      expect(again.outcome).toBe(stopAt === "erased" ? "already there" : "moved");
      expect(await dump(env.DB_TEST_1, tenantId)).toEqual(before);
      expect(Object.keys(await dump(env.DB_TEST_0, tenantId))).toEqual(["api_keys"]);
      expect(await views(key, id)).toEqual(seen);
      expect(await env.DB_TEST_0.prepare("SELECT count(*) AS n FROM tenant_moves WHERE tenant_id = ?").bind(tenantId).first("n")).toBe(0);
    },
  );

  it("refuses a target that is not a shard, a tenant that does not exist, and another target while a move is in progress", async () => {
    const { tenantId } = await tenantWithData();
    await expect(moveTenant(shards, tenantId, 5)).rejects.toThrow(/there is no shard 5/);
    await expect(moveTenant(shards, `nobody-${uniq()}`, 1)).rejects.toThrow(/no tenant "nobody-/);
    await expect(moveTenant(shards, tenantId, 1, { after: (step) => { if (step === "cleared") throw new Error("stop"); } })).rejects.toThrow("stop");
    await expect(moveTenant(shards, tenantId, 0)).rejects.toThrow(/in progress: run it again with --to 1/);
    expect((await moveTenant(shards, tenantId, 1)).outcome).toBe("moved");
    for (const binding of bindings) expect(await binding.prepare("SELECT count(*) AS n FROM tenant_moves WHERE tenant_id = ?").bind(tenantId).first("n")).toBe(0);
  });

  it("a copy whose chain does not verify is not switched to", async () => {
    const { tenantId, key, id } = await tenantWithData();
    const seen = await views(key, id);
    // The source's record altered (as a damaged database would have it): the copy carries it, and the check refuses it.
    await env.DB_TEST_0.prepare("UPDATE client_history SET hash = 'x' || substr(hash, 2) WHERE tenant_id = ? AND client_id = ? AND sequence = 1 AND part = 0").bind(tenantId, id).run();
    await expect(moveTenant(shards, tenantId, 1)).rejects.toThrow(/does not verify \(broken at entry 1\): nothing was switched/);
    const keys = await env.DB_TEST_0.prepare("SELECT moved_to FROM api_keys WHERE tenant_id = ?").bind(tenantId).all();
    expect(keys.results).toEqual([{ moved_to: null }]);
    expect((await h.get(`/clients/${id}`, { key })).text).toBe(seen.client);
  });
});
