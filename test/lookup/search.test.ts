// GET /clients/search (API.md §14): accent-, case-, order- and suffix-insensitive, one typo per
// word, best first with a score; one round trip with the key; rows read bounded; read-your-writes
// (the keys are written by the write batch); tenant- and environment-isolated; bad input 400.
import { describe, expect, it } from "vitest";
import { MAX_SEARCH_ROWS_READ } from "../../src/db/search-read";
import { jaroWinkler, nameScore, queryBlocks } from "../../src/lookup/names";
import { createHarness } from "../support/harness";

const h = createHarness();
const search = (key: string, query: string, env: "test" | "live" = "test") => h.request("GET", `/clients/search?${query}`, { key, env });
const q = (name: string, extra = "") => `name=${encodeURIComponent(name)}${extra}`;

async function seed(key: string, items: unknown[]) {
  const res = await h.post("/clients/batch", { items }, { key });
  expect(res.status, res.text).toBe(200);
  return res.body.data.map((c: { id: string }) => c.id) as string[];
}

describe("GET /clients/search", () => {
  it("matches across accents, case, word order, suffixes and one typo per word, best first", async () => {
    const { key } = await h.newTenantWithKey();
    const [jose, acme, maria] = await seed(key, [
      { type: "individual", name: "José", lastName: "González Pérez" },
      { type: "company", name: "ACME Comercial S.A. de C.V." },
      { type: "individual", name: "María", lastName: "López" },
    ]);
    const ids = async (name: string, extra = "") => {
      const res = await search(key, q(name, extra));
      expect(res.status, res.text).toBe(200);
      return res.body.data as { clientId: string; name: string; type: string; score: number }[];
    };
    expect((await ids("jose gonzalez perez"))[0]).toEqual({ clientId: jose, name: "José González Pérez", type: "individual", score: 1 });
    expect((await ids("PEREZ GONZALEZ, JOSE"))[0]!.clientId).toBe(jose);
    expect((await ids("Jose Gonzales Peres"))[0]!.clientId).toBe(jose); // one typo in two words
    expect((await ids("acme comercial"))[0]).toMatchObject({ clientId: acme, score: 1 });
    expect((await ids("ACME Comercial, S.A.P.I. de C.V."))[0]!.clientId).toBe(acme);
    expect((await ids("Acme Comercail S. de R.L."))[0]!.clientId).toBe(acme); // a transposition
    expect((await ids("Maria Lopez"))[0]!.clientId).toBe(maria);
    expect(await ids("Maria Lopez", "&type=company")).toEqual([]);
    expect(await ids("Zacarías Xochitl")).toEqual([]);
    const all = await ids("jose gonzalez perez");
    expect(all.every((m, i) => i === 0 || all[i - 1]!.score >= m.score)).toBe(true);
    expect(all.every((m) => m.score >= 0 && m.score <= 1)).toBe(true);
  });

  it("one round trip with the key, rows read bounded; sees a write at once, not a deleted client, not another tenant or environment", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const live = await h.createKey({ tenantId, env: "live" });
    const [id] = await seed(key, [{ type: "company", name: "Grupo Hexa S.A.P.I. de C.V." }]);
    await seed(other.key, [{ type: "company", name: "Grupo Hexa" }]);
    const res = await search(key, q("grupo hexa"));
    expect(res.body.data.map((m: { clientId: string }) => m.clientId)).toEqual([id]);
    expect(res.stats.roundTrips).toBe(1);
    expect(res.stats.rowsRead).toBeLessThanOrEqual(MAX_SEARCH_ROWS_READ);
    expect((await search(live, q("grupo hexa"), "live")).body.data).toEqual([]);
    // Renamed: found by its new name only.
    expect((await h.post("/clients/sync", { clientId: id, client: { name: "Hexagono Industrial" } }, { key })).status).toBe(200);
    expect((await search(key, q("grupo hexa"))).body.data).toEqual([]);
    expect((await search(key, q("hexagono industrial"))).body.data.map((m: { clientId: string }) => m.clientId)).toEqual([id]);
    expect((await h.request("DELETE", `/clients/${id}`, { key })).status).toBe(200);
    expect((await search(key, q("hexagono industrial"))).body.data).toEqual([]);
  });

  it("rows read do not grow with the tenant's clients (a shared word's block is read at most a constant)", async () => {
    const { key } = await h.newTenantWithKey();
    await seed(key, Array.from({ length: 120 }, (_, i) => ({ type: "individual", name: "Juan", lastName: `Martinez ${i}` })));
    const small = await search(key, q("Juan Martinez", "&limit=50"));
    expect(small.status).toBe(200);
    expect(small.body.data.length).toBeGreaterThan(0);
    expect(small.body.data.length).toBeLessThanOrEqual(50);
    await seed(key, Array.from({ length: 120 }, (_, i) => ({ type: "individual", name: "Juan", lastName: `Martinez ${i + 200}` })));
    const big = await search(key, q("Juan Martinez", "&limit=50"));
    expect(big.stats.rowsRead).toBeLessThanOrEqual(MAX_SEARCH_ROWS_READ);
    expect(big.stats.rowsRead).toBeLessThanOrEqual(small.stats.rowsRead + 5);
  });

  it("bad input: 400 with pointers (10 KB name, limit 0, unknown type), nothing read", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await search(key, `${q("x".repeat(10_000))}&limit=0&type=robot`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["/limit", "/name", "/type"]);
    expect((await search(key, "limit=5")).status).toBe(400);
    expect((await search(key, q("   "))).status).toBe(400);
    expect((await search(key, q("ana", "&limit=51"))).status).toBe(400);
    expect((await search(key, q("ana", "&extra=1"))).status).toBe(400);
  });

  it("scoring: one edit keeps a block; word order does not matter", () => {
    expect(queryBlocks("gonzales")).toEqual(expect.arrayContaining(["l:gonz"]));
    expect(jaroWinkler("martha", "marhta")).toBeCloseTo(0.961, 3);
    expect(nameScore(["ana", "lopez"], ["lopez", "ana"])).toBe(1);
    expect(nameScore(["ana"], ["ana", "lopez", "ruiz"])).toBeLessThan(0.8);
  });
});
