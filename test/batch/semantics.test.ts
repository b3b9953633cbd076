// POST /clients/batch — semantics exactly per API.md §5: atomic (default) all or nothing, non-atomic
// partial success, externalId conflicts (stored and within the body), input order, envelope errors.
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import {
  batch,
  expectEqualToGet,
  expectProblem,
  FULL_CLIENT_KEYS,
  minimal,
  pointers,
  PROBLEM_KEYS,
  xid,
} from "./fixtures";

const h = createHarness();

async function externalIdsOf(tenantId: string, env: "test" | "live" = "test") {
  return (await h.rows(env, clients, { tenantId })).map((r) => r.externalId).sort();
}

describe("atomic (the default): all or nothing", () => {
  it("creates every item and answers them in input order, each equal to GET /clients/{id}", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ids = [xid("z"), xid("a"), xid("m"), null, xid("b")];
    const items = ids.map((externalId, i) => minimal({ name: `Client ${i}`, externalId, type: ["individual", "company", "trust"][i % 3] }));
    const res = await batch(h, key, { items });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(["atomic", "data", "duplicates"]);
    expect(res.body.atomic).toBe(true);
    expect(res.body.data.map((c: { name: string }) => c.name)).toEqual(items.map((i) => i.name));
    expect(res.body.data.map((c: { externalId: string | null }) => c.externalId)).toEqual(ids);
    for (const client of res.body.data) {
      expect(Object.keys(client)).toEqual(FULL_CLIENT_KEYS);
      expect(client.isPrimary).toBe(true);
      expect(client.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(client.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(client.updatedAt).toBe(client.createdAt);
      expect(client).toMatchObject({ addresses: [], contactMethods: [], bankAccounts: [], documents: [], linkedClients: [], riskAssessments: {}, tags: [] });
    }
    expect(new Set(res.body.data.map((c: { id: string }) => c.id)).size).toBe(items.length);
    await expectEqualToGet(h, key, res.body.data);
    // GET /clients lists them in the same (creation) order.
    const list = await h.get("/clients?limit=200", { key });
    expect(list.body.data).toEqual(res.body.data);
    expect(await h.count("test", clients, tenantId)).toBe(items.length);
    const stored = await h.rows("test", clients, { tenantId });
    expect(stored.every((r) => r.isPrimary)).toBe(true);
  });

  it("atomic: true explicitly behaves as the default", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await batch(h, key, { items: [minimal({ externalId: xid() })], atomic: true });
    expect(res.status).toBe(200);
    expect(res.body.atomic).toBe(true);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("one invalid item → 400 listing it, nothing written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const before = await h.count("test", clients);
    const res = await batch(h, key, { items: [minimal({ externalId: xid() }), minimal({ name: "" }), minimal({ externalId: xid() })] });
    expectProblem(res, 400, "BAD_REQUEST");
    expect(pointers(res.body)).toEqual(["/items/1/name"]);
    expect(await h.count("test", clients, tenantId)).toBe(0);
    expect(await h.count("test", clients)).toBe(before);
    expect(res.stats.rowsWritten).toBe(0);
  });

  it("conflicts only → 409 listing every conflicting item (stored and within the body, the LATER occurrence), nothing written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const stored = xid("stored");
    const stored2 = xid("stored2");
    const dup = xid("dup");
    await h.seedClient("test", tenantId, { externalId: stored });
    await h.seedClient("test", tenantId, { externalId: stored2 });
    const res = await batch(h, key, {
      items: [
        minimal({ externalId: dup }), // 0: first occurrence — fine
        minimal({ externalId: stored }), // 1: taken by a stored client
        minimal({ externalId: xid() }), // 2: fine
        minimal({ externalId: dup }), // 3: later occurrence — conflict
        minimal({ externalId: stored2 }), // 4: taken
        minimal({ externalId: dup }), // 5: later occurrence again
      ],
    });
    expectProblem(res, 409, "CONFLICT");
    expect(pointers(res.body)).toEqual(["/items/1/externalId", "/items/3/externalId", "/items/4/externalId", "/items/5/externalId"]);
    // Errors are listed in item order.
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      "/items/1/externalId", "/items/3/externalId", "/items/4/externalId", "/items/5/externalId",
    ]);
    expect(await h.count("test", clients, tenantId)).toBe(2);
    expect(res.stats.rowsWritten).toBe(0);
  });

  it("invalid AND conflicting items → 400 that lists every failing item, the conflicting ones too", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const stored = xid("stored");
    await h.seedClient("test", tenantId, { externalId: stored });
    const dup = xid("dup");
    const res = await batch(h, key, {
      items: [minimal({ externalId: dup }), minimal({ type: "x" }), minimal({ externalId: stored }), minimal({ externalId: dup })],
    });
    expectProblem(res, 400, "BAD_REQUEST");
    expect(pointers(res.body)).toEqual(["/items/1/type", "/items/2/externalId", "/items/3/externalId"]);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("externalIds are compared exactly: case and other tenants do not conflict", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const base = xid("CaSe");
    await h.seedClient("test", other.tenantId, { externalId: base });
    const res = await batch(h, key, { items: [minimal({ externalId: base }), minimal({ externalId: base.toLowerCase() }), minimal({ externalId: base.toUpperCase() })] });
    expect(res.status, res.text).toBe(200);
    expect(await externalIdsOf(tenantId)).toEqual([base, base.toLowerCase(), base.toUpperCase()].sort());
    // Items without an externalId never conflict with each other.
    const nulls = await batch(h, key, { items: [minimal(), minimal({ externalId: null }), minimal()] });
    expect(nulls.status).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(6);
  });
});

describe("atomic: false — partial success, always 200", () => {
  it("writes every valid item and reports each failure by index with its own problem object", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const stored = xid("stored");
    await h.seedClient("test", tenantId, { externalId: stored });
    const ok = [xid("ok0"), xid("ok3"), xid("ok6")];
    const dup = xid("dup");
    const items = [
      minimal({ externalId: ok[0], name: "zero" }), // 0 ok
      minimal({ name: "  ", scopes: ["bad"] }), // 1 invalid (two issues)
      minimal({ externalId: stored }), // 2 conflict with a stored client
      minimal({ externalId: ok[1], name: "three", type: "company" }), // 3 ok
      minimal({ externalId: ok[0] }), // 4 conflict: later occurrence of item 0's id
      { name: "no type", unknown: true }, // 5 invalid
      minimal({ externalId: dup, name: "six" }), // 6 ok
      minimal({ externalId: dup }), // 7 later occurrence
      minimal({ name: "eight" }), // 8 ok, no externalId
    ];
    const res = await batch(h, key, { items, atomic: false }, "test");
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(["atomic", "data", "succeeded", "failed", "duplicates"]);
    expect(res.body.atomic).toBe(false);
    // data = created clients in input order; succeeded pairs them with their index.
    expect(res.body.data.map((c: { name: string }) => c.name)).toEqual(["zero", "three", "six", "eight"]);
    expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual([0, 3, 6, 8]);
    expect(res.body.succeeded.map((s: { data: unknown }) => s.data)).toEqual(res.body.data);
    for (const s of res.body.succeeded) expect(Object.keys(s)).toEqual(["index", "data"]);
    await expectEqualToGet(h, key, res.body.data);

    expect(res.body.failed.map((f: { index: number }) => f.index)).toEqual([1, 2, 4, 5, 7]);
    const byIndex = new Map<number, any>(res.body.failed.map((f: { index: number; error: unknown }) => [f.index, f.error]));
    for (const f of res.body.failed) {
      expect(Object.keys(f)).toEqual(["index", "error"]);
      expect(Object.keys(f.error)).toEqual([...PROBLEM_KEYS, "errors"]);
      expect(f.error.requestId).toBe(res.headers.get("x-request-id"));
      expect(f.error.type).toMatch(/\/problems\/(bad-request|conflict)$/);
    }
    expect(byIndex.get(1)).toMatchObject({ status: 400, code: "BAD_REQUEST", title: "Bad Request" });
    expect(pointers(byIndex.get(1))).toEqual(["/items/1/name", "/items/1/scopes/0"]);
    expect(byIndex.get(2)).toMatchObject({ status: 409, code: "CONFLICT", title: "Conflict" });
    expect(pointers(byIndex.get(2))).toEqual(["/items/2/externalId"]);
    expect(byIndex.get(4)).toMatchObject({ status: 409, code: "CONFLICT" });
    expect(pointers(byIndex.get(4))).toEqual(["/items/4/externalId"]);
    expect(byIndex.get(5)).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect(pointers(byIndex.get(5))).toEqual(["/items/5/type", "/items/5/unknown"]);
    expect(byIndex.get(7)).toMatchObject({ status: 409, code: "CONFLICT" });
    expect(pointers(byIndex.get(7))).toEqual(["/items/7/externalId"]);

    // The database holds exactly the stored client plus the four good items.
    expect(await h.count("test", clients, tenantId)).toBe(5);
    expect(await externalIdsOf(tenantId)).toEqual([null, ...ok.slice(0, 2), dup, stored].sort());
    const rows = await h.rows("test", clients, { tenantId });
    expect(rows.filter((r) => r.externalId === ok[0]).map((r) => r.name)).toEqual(["zero"]);
    expect(rows.filter((r) => r.externalId === dup).map((r) => r.name)).toEqual(["six"]);
  });

  it("every item failing is still a 200 with empty data, and writes nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const stored = xid("stored");
    await h.seedClient("test", tenantId, { externalId: stored });
    const res = await batch(h, key, { items: [minimal({ name: "" }), minimal({ externalId: stored })], atomic: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ atomic: false, data: [], succeeded: [] });
    expect(res.body.failed.map((f: { index: number; error: { status: number } }) => [f.index, f.error.status])).toEqual([
      [0, 400],
      [1, 409],
    ]);
    expect(res.stats.rowsWritten).toBe(0);
    expect(res.stats.batchSizes).toEqual([2]); // auth and conflict read (the key lookup shares the first round trip) — no write batch
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("every item succeeding answers failed: []", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await batch(h, key, { items: [minimal({ externalId: xid() }), minimal()], atomic: false });
    expect(res.status).toBe(200);
    expect(res.body.failed).toEqual([]);
    expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual([0, 1]);
    expect(await h.count("test", clients, tenantId)).toBe(2);
  });

  it("a later occurrence conflicts only with an item that is itself valid (the invalid first one is not created)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const shared = xid("shared");
    const res = await batch(h, key, { items: [minimal({ externalId: shared, name: "" }), minimal({ externalId: shared, name: "second" })], atomic: false });
    expect(res.status).toBe(200);
    expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual([1]);
    expect(res.body.failed.map((f: { index: number }) => f.index)).toEqual([0]);
    expect((await h.rows("test", clients, { tenantId })).map((r) => [r.externalId, r.name])).toEqual([[shared, "second"]]);
  });
});

describe("envelope errors → 400 with pointers", () => {
  const many = (n: number) => Array.from({ length: n }, () => minimal());
  const CASES: [string, unknown, string[]][] = [
    ["items missing", {}, ["/items"]],
    ["items missing, atomic given", { atomic: false }, ["/items"]],
    ["items empty", { items: [] }, ["/items"]],
    ["251 items", { items: many(251) }, ["/items"]],
    ["items not an array (object)", { items: { 0: minimal() } }, ["/items"]],
    ["items not an array (string)", { items: "x" }, ["/items"]],
    ["items null", { items: null }, ["/items"]],
    ["unknown top-level key", { items: [minimal()], atomc: false }, ["/atomc"]],
    ["unknown top-level keys and missing items", { client: minimal(), dryRun: true }, ["/client", "/dryRun", "/items"]],
    ["atomic not a boolean", { items: [minimal()], atomic: "false" }, ["/atomic"]],
    ["atomic null", { items: [minimal()], atomic: null }, ["/atomic"]],
    ["unknown top-level key AND a bad item: every issue", { items: [minimal(), minimal({ name: "" })], extra: 1 }, ["/extra", "/items/1/name"]],
    ["body an array", [minimal()], [""]],
    ["body a string", "x", [""]],
    ["body null", null, [""]],
  ];
  it.each(CASES)("%s", async (_case, body, expected) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post("/clients/batch", JSON.stringify(body), { key, headers: { "content-type": "application/json" } });
    expectProblem(res, 400, "BAD_REQUEST");
    expect(pointers(res.body)).toEqual(expected);
    expect(res.stats.roundTrips).toBe(1); // the key lookup only
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("250 items is the maximum that is accepted", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await batch(h, key, { items: many(250) });
    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(res.body.data).toHaveLength(250);
    expect(await h.count("test", clients, tenantId)).toBe(250);
  });

  it("malformed JSON → 400, not JSON → 415, no key → 401, no create permission → 403", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const bad = await h.post("/clients/batch", '{"items": [', { key, headers: { "content-type": "application/json" } });
    expectProblem(bad, 400, "BAD_REQUEST", false);
    const text = await h.post("/clients/batch", JSON.stringify({ items: [minimal()] }), { key, headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const anon = await h.post("/clients/batch", { items: [minimal()] });
    expect(anon.status).toBe(401);
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read", "clients:update"] });
    const forbidden = await h.post("/clients/batch", { items: [minimal()] }, { key: readOnly });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toBe("API key lacks permission: test:clients:create");
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });
});
