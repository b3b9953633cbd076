// API.md §6 as a caller meets it: concurrent POST /clients/sync of ONE client, each changing a
// different address, sent over HTTP to `npm start` (8 and 32 at once), with the database next door
// and 80 ms away (`npm start -- --var D1_ROUND_TRIP_DELAY_MS:80`). All answer 200, every change is
// kept, and the client's history has one entry per success, sequences 1..n+1 with no gap, and
// verifies. Before the client lock (src/write/client-write-lock.ts) this answered 409 to 3 of 8
// and 25 of 32.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmStart, type Served } from "../support/npm-start";

interface Address { externalId: string; city: string }

async function disjointSyncs(served: Served, n: number) {
  const headers = { "x-environment": "test", authorization: `Bearer ${served.key}`, "content-type": "application/json" };
  const post = async (body: unknown) => {
    const response = await fetch(`${served.base}/clients/sync`, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const ext = `http-${crypto.randomUUID().slice(0, 8)}`;
  const address = (k: number) => ({ street: `S ${k}`, city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", externalId: `${ext}-a${k}` });
  const made = await post({ client: { type: "individual", name: "Many", externalId: ext }, addresses: Array.from({ length: n }, (_, k) => address(k)) });
  expect(made.status).toBe(200);
  const id = made.body.client.id as string;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => post({ clientId: id, addresses: [{ externalId: `${ext}-a${i}`, city: `City ${i}` }] })));
  expect(results.map((r) => r.status), JSON.stringify(results.find((r) => r.status !== 200)?.body)).toEqual(Array(n).fill(200));

  const get = (path: string) => fetch(`${served.base}${path}`, { headers }).then((r) => r.json() as Promise<any>);
  const client = await get(`/clients/${id}`);
  const cities = new Map((client.addresses as Address[]).map((a) => [a.externalId, a.city]));
  for (let i = 0; i < n; i++) expect(cities.get(`${ext}-a${i}`)).toBe(`City ${i}`);
  const history = await get(`/clients/${id}/history?limit=200`);
  expect(history.data.map((e: { sequence: number }) => e.sequence)).toEqual(Array.from({ length: n + 1 }, (_, k) => k + 1));
  expect(await get(`/clients/${id}/history/verify`)).toMatchObject({ valid: true, entries: n + 1 });
}

for (const delay of [0, 80]) {
  describe(`npm start${delay ? ` with ${delay} ms to D1 per round trip` : ""}: concurrent syncs of one client's different addresses`, () => {
    let served: Served;
    beforeAll(async () => {
      served = await npmStart(delay ? ["--var", `D1_ROUND_TRIP_DELAY_MS:${delay}`] : []);
    }, 110_000);
    afterAll(() => served?.stop(), 20_000);

    for (const n of [8, 32]) {
      it(`${n} at once: all 200, every change kept, history 1..${n + 1} and valid`, { timeout: 120_000 }, () => disjointSyncs(served, n));
    }
  });
}
