// Concurrent syncs of ONE client that change different records all answer 200 (API.md §6
// "Atomic", turn 3), also with the database 80 ms away: each keeps its change, and the client's
// history chain (§11) has one entry per success, sequences 1..n with no gap, and verifies.
//
// Why the older in-process test (concurrency.test.ts) saw no 409 where HTTP callers did: without
// latency, a request's read and write run back to back in one event-loop turn of the local D1, so
// few rivals commit in between; over HTTP (npm start) and with distance to D1, every rival's read
// lands before any write, and each write but the first found its chain head taken. The delay
// reproduces that in-process (it made 8 syncs answer 409 before the fix); the HTTP test
// (test/e2e-http/same-client.node.test.ts) runs it against npm start.
import { describe, expect, it } from "vitest";
import { addresses, clientHistory, clients } from "../../src/db/schema";
import { createHarness, type Harness } from "../support/harness";
import { uniq } from "./helpers";

const address = (externalId: string) => ({ street: `Street ${externalId}`, city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", externalId });

async function disjointSyncs(h: Harness, n: number) {
  const { tenantId, key } = await h.newTenantWithKey();
  const ext = `sc-${uniq()}`;
  const made = await h.post("/clients/sync", { client: { type: "individual", name: "Many", externalId: ext }, addresses: Array.from({ length: n }, (_, k) => address(`${ext}-a${k}`)) }, { key });
  expect(made.status, made.text).toBe(200);
  const id = made.body.client.id as string;
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => h.post("/clients/sync", { clientId: id, addresses: [{ externalId: `${ext}-a${i}`, city: `City ${i}` }] }, { key })),
  );
  return { tenantId, key, id, ext, results };
}

async function expectAllKept(h: Harness, run: Awaited<ReturnType<typeof disjointSyncs>>, n: number) {
  const { key, id, ext, results } = run;
  const statuses = results.map((r) => r.status);
  expect(statuses, JSON.stringify(results.find((r) => r.status !== 200)?.body)).toEqual(Array(n).fill(200));
  // Every change kept.
  const rows = await h.rows("test", addresses, { clientId: id });
  const city = new Map(rows.map((a) => [a.externalId, a.city]));
  for (let i = 0; i < n; i++) expect(city.get(`${ext}-a${i}`)).toBe(`City ${i}`);
  const [row] = await h.rows("test", clients, { id });
  expect(row!.version).toBe(1 + n);
  // Each answer shows its own change.
  results.forEach((r, i) => expect(r.body.client.addresses.find((a: { externalId: string }) => a.externalId === `${ext}-a${i}`).city).toBe(`City ${i}`));
  // The chain: the creation and one entry per success, 1..n+1 with no gap, and it verifies.
  const entries = await h.rows("test", clientHistory, { clientId: id });
  const sequences = entries.filter((e) => e.part === 0).map((e) => e.sequence).sort((a, b) => a - b);
  expect(sequences).toEqual(Array.from({ length: n + 1 }, (_, k) => k + 1));
  const verify = await h.get(`/clients/${id}/history/verify`, { key });
  expect(verify.body).toMatchObject({ valid: true, entries: n + 1 });
  // Each success is one entry whose requestId is that answer's.
  const history = await h.get(`/clients/${id}/history?limit=200`, { key });
  const requestIds = new Set(history.body.data.slice(1).map((e: { requestId: string }) => e.requestId));
  for (const r of results) expect(requestIds.has(r.headers.get("x-request-id"))).toBe(true);
}

describe("same-client disjoint syncs, database next door", () => {
  const h = createHarness();
  for (const n of [8, 32]) {
    it(`${n} at once: all 200, every change kept, the chain gapless and valid`, { timeout: 120_000 }, async () => {
      await expectAllKept(h, await disjointSyncs(h, n), n);
    });
  }
});

describe("same-client disjoint syncs, database 80 ms away", () => {
  const h = createHarness({ roundTripDelayMs: 80 });
  for (const n of [8, 32]) {
    it(`${n} at once: all 200, every change kept, the chain gapless and valid`, { timeout: 120_000 }, async () => {
      const run = await disjointSyncs(h, n);
      console.log(`${n} disjoint syncs @80 ms: ${run.results.filter((r) => r.status === 409).length} × 409`);
      await expectAllKept(h, run, n);
    });
  }
});
