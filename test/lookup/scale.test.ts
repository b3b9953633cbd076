// Lookup and name search at size (issue 21 item 6): the same requests against a tenant of a few
// clients and one of 10,000 (populated in SQL as the bench does, bench/lib/populate.ts, with the
// lookup keys backfilled by migrations 0006 and 0009): one round trip each, and rows read that do
// not grow with the tenant. Prints p50 in-process (the machine is shared: figures are indicative).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { populateStatements } from "../../bench/lib/populate";
import { MAX_SEARCH_ROWS_READ } from "../../src/db/search-read";
import { createHarness } from "../support/harness";

const h = createHarness();
const N = 10_000;

async function populated(tenant: string) {
  for (const statement of populateStatements(N, tenant)) await h.binding("test").prepare(statement).run();
  for (const prefix of ["0006_", "0009_"]) {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!;
    const [backfill] = migration.queries.filter((q: string) => /^\s*INSERT INTO client_lookup_keys/i.test(q.replace(/^--.*$/gm, "")));
    await h.binding("test").prepare(backfill!).run();
  }
}

const identifiers = (from: number) =>
  Array.from({ length: 100 }, (_, k) => (k % 2 === 0 ? { kind: "email", value: `client${from + k}@example.com` } : { kind: "phone", value: `+52 55 ${String(from + k).padStart(8, "0")}` }));

function p50(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(key: string, label: string) {
  const lookups: { ms: number; trips: number; rows: number; matched: number }[] = [];
  const searches: { ms: number; trips: number; rows: number; found: number }[] = [];
  for (let r = 0; r < 9; r++) {
    let t = performance.now();
    const lookup = await h.post("/clients/lookup", { identifiers: identifiers(r * 100) }, { key });
    expect(lookup.status, lookup.text).toBe(200);
    lookups.push({ ms: performance.now() - t, trips: lookup.stats.roundTrips, rows: lookup.stats.rowsRead, matched: lookup.body.data.filter((d: { matches: unknown[] }) => d.matches.length > 0).length });
    t = performance.now();
    const search = await h.request("GET", `/clients/search?name=${encodeURIComponent(`Client ${r * 7} Peres`)}&limit=10`, { key });
    expect(search.status, search.text).toBe(200);
    searches.push({ ms: performance.now() - t, trips: search.stats.roundTrips, rows: search.stats.rowsRead, found: search.body.data.length });
  }
  const summary = {
    label,
    lookupP50Ms: p50(lookups.map((l) => l.ms)),
    lookupTrips: Math.max(...lookups.map((l) => l.trips)),
    lookupRowsRead: Math.max(...lookups.map((l) => l.rows)),
    lookupMatched: lookups[0]!.matched,
    searchP50Ms: p50(searches.map((s) => s.ms)),
    searchTrips: Math.max(...searches.map((s) => s.trips)),
    searchRowsRead: Math.max(...searches.map((s) => s.rows)),
    searchFound: searches[0]!.found,
  };
  console.log(`[lookup scale] ${JSON.stringify(summary)}`);
  return summary;
}

describe("lookup (100 identifiers) and name search at 10,000 clients", () => {
  it("one round trip each; rows read do not grow with the tenant", async () => {
    const small = await h.newTenantWithKey();
    const seeded = await h.post(
      "/clients/sync",
      { client: { type: "individual", name: "Client 0", lastName: "Pérez" }, contactMethods: [{ value: "client0@example.com" }, { type: "phone", value: "+52 55 00000001" }] },
      { key: small.key },
    );
    expect(seeded.status, seeded.text).toBe(200);
    const big = await h.newTenantWithKey();
    await populated(big.tenantId);
    const a = await measure(small.key, "1 client");
    const b = await measure(big.key, `${N} clients`);
    expect(a.lookupTrips).toBe(1);
    expect(b.lookupTrips).toBe(1);
    expect(b.searchTrips).toBe(1);
    expect(b.lookupMatched).toBe(100);
    // Lookup: rows read in proportion to the matches (per identifier: itself, its key, its client, the seek ends; measured 502).
    expect(b.lookupRowsRead).toBeLessThanOrEqual(1 + 5 * 100 + 10);
    // Search: bounded by the documented constant, whatever N ("client" and "perez" are in every name).
    expect(b.searchRowsRead).toBeLessThanOrEqual(MAX_SEARCH_ROWS_READ);
    expect(b.searchFound).toBeGreaterThan(0);
  });
});
