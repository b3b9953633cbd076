// The read budget of the compliance record (API.md §11, §13) at the largest client: the history,
// its verification and an as-of read of a maximal client (5 × 250 records, 250 linked clients,
// changed once) are each ONE round trip, and the rows they read depend on that client's own graph
// and entries — the same whether the tenant and the database around it are small or large.
import { describe, expect, it } from "vitest";
import { maximalSyncBody } from "../../bench/lib/workloads";
import { createHarness, type ApiResponse } from "../support/harness";
import { uniq } from "../sync/helpers";

const h = createHarness();

function ok<T = any>(response: ApiResponse<T>): ApiResponse<T> {
  expect(response.status, response.text.slice(0, 500)).toBe(200);
  return response;
}

describe("reading the history of a maximal client", () => {
  it("is one round trip each, reading rows independent of the database's size", { timeout: 180_000 }, async () => {
    const { key } = await h.newTenantWithKey();
    const made = ok(await h.post("/clients/sync", maximalSyncBody(`hm-${uniq()}`), { key }));
    const id = made.body.client.id as string;
    const at = new Date().toISOString();
    // A change of everything a maximal client has on each list: its second entry is large too.
    const addresses = made.body.client.addresses.map((a: { id: string }) => ({ id: a.id, city: "Puebla" }));
    ok(await h.post("/clients/sync", { clientId: id, addresses }, { key }));
    // Entries of a client after this one's in the primary key, as there will be later: an index
    // range read ends on the first key past it, when there is one.
    ok(await h.post("/clients/sync", { client: { type: "company", name: "Later" } }, { key }));

    const paths = [`/clients/${id}/history`, `/clients/${id}/history/verify`, `/clients/${id}?asOf=${encodeURIComponent(at)}`];
    const measure = async () => {
      const out: number[] = [];
      for (const path of paths) {
        const res = ok(await h.get(path, { key }));
        expect(res.stats.roundTrips, path).toBe(1); // the key lookup shares it
        expect(res.stats.statementCount, path).toBeLessThanOrEqual(50);
        out.push(res.stats.rowsRead);
      }
      return out;
    };
    const small = await measure();
    const asOf = ok(await h.get(paths[2]!, { key }));
    expect(asOf.body.addresses).toHaveLength(250);
    expect(asOf.body.linkedClients).toHaveLength(250);
    expect(asOf.body.addresses.every((a: { city: string }) => a.city !== "Puebla")).toBe(true);

    // The tenant and the database grow: other maximal clients of this tenant and of another.
    ok(await h.post("/clients/sync", maximalSyncBody(`hm-${uniq()}`), { key }));
    const stranger = await h.newTenantWithKey();
    ok(await h.post("/clients/sync", maximalSyncBody(`hm-${uniq()}`), { key: stranger.key }));
    const large = await measure();
    expect(large).toEqual(small);
    console.log(`history of a maximal client (2 entries, 250 linked clients): rows read ${JSON.stringify(Object.fromEntries(paths.map((p, i) => [p.split("/").slice(3).join("/").split("?")[0] || "asOf", small[i]])))}`);
  });
});
