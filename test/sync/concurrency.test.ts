// No lost update (API.md §6 "Atomic"): concurrent syncs of one client end 200 or 409 and the final
// graph is what applying the successful ones in some serial order gives; a write batch refused by
// the version guard is planned again from fresh state, and a sync that keeps losing answers 409.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { addresses, clients, contactMethods } from "../../src/db/schema";
import { MAX_SYNC_ATTEMPTS } from "../../src/routes/clients.sync";
import { emptyRecord, type RequestRecord } from "../support/d1-guard";
import { createHarness } from "../support/harness";
import { dumpTenant, uniq } from "./helpers";

const h = createHarness();
const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });

const address = (externalId: string) => ({ street: `Street ${externalId}`, city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", externalId });

describe("concurrent syncs of one client", () => {
  it("10 conflicting syncs at once: each 200 or 409, and the result is a serial order of the successful ones", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `c-${uniq()}`;
    const created = await sync(key, { client: { type: "individual", name: "Start", externalId: ext }, addresses: [address(`${ext}-base`)] });
    expect(created.status).toBe(200);
    const id = created.body.client.id;
    const baseAddress = created.body.addresses.created[0].id;

    const N = 10;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        sync(key, {
          clientId: id,
          client: { name: `Name ${i}`, metadata: { writer: i } },
          addresses: [address(`${ext}-a${i}`), { id: baseAddress, city: `City ${i}` }],
          contactMethods: [{ value: `w${i}@example.com`, externalId: `${ext}-c${i}` }],
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).toBe(true);
    const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    console.log(`10 concurrent syncs: statuses ${statuses.join(",")}`);
    expect(winners.length).toBeGreaterThan(0);
    for (const r of results) if (r.status === 409) expect(r.body.code).toBe("CONFLICT");

    const [row] = await h.rows("test", clients, { id });
    // Each success bumped the version once; nothing else wrote.
    expect(row!.version).toBe(1 + winners.length);
    // The last writer of a serial order: its name, its metadata and its city on the shared address.
    const last = winners.find((i) => row!.name === `Name ${i}`);
    expect(last, `final name ${row!.name} is no successful sync's`).toBeDefined();
    expect(row!.metadata).toEqual({ writer: last });
    const rows = await h.rows("test", addresses, { clientId: id });
    expect(rows.find((a) => a.id === baseAddress)!.city).toBe(`City ${last}`);
    // Every successful sync's additions exist; no failed sync's do.
    expect(rows.map((a) => a.externalId).sort()).toEqual([`${ext}-base`, ...winners.map((i) => `${ext}-a${i}`)].sort());
    const contacts = await h.rows("test", contactMethods, { clientId: id });
    expect(contacts.map((c) => c.externalId).sort()).toEqual(winners.map((i) => `${ext}-c${i}`).sort());
    // Each success saw the ones before it: their address counts are 2, 3, … (one serial order).
    const seen = winners.map((i) => results[i]!.body.client.addresses.length).sort((a, b) => a - b);
    expect(seen).toEqual(winners.map((_, k) => 2 + k));
    // The serial order given by those counts ends with `last`.
    const order = [...winners].sort((a, b) => results[a]!.body.client.addresses.length - results[b]!.body.client.addresses.length);
    expect(order.at(-1)).toBe(last);
    const get = await h.get(`/clients/${id}`, { key });
    expect(get.body).toEqual(results[last!]!.body.client);
    expect(get.headers.get("etag")).toBe(results[last!]!.headers.get("etag"));
  });

  it("concurrent creations with one externalId make one client; the others update it or answer 409", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `same-${uniq()}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sync(key, { client: { type: "individual", name: `N${i}`, externalId: ext }, documents: [{ type: `t${i}`, externalId: `${ext}-d${i}` }] })),
    );
    expect(results.every((r) => r.status === 200 || r.status === 409), JSON.stringify(results.map((r) => r.status))).toBe(true);
    const ok = results.filter((r) => r.status === 200);
    console.log(`concurrent creations: ${results.map((r) => `${r.status}/${r.body.action ?? r.body.code}`).join(" ")}`);
    expect(await h.count("test", clients, tenantId)).toBe(1);
    const [row] = await h.rows("test", clients, { tenantId });
    expect(new Set(ok.map((r) => r.body.client.id))).toEqual(new Set([row!.id]));
    expect(ok.filter((r) => r.body.action === "created")).toHaveLength(1);
    const dump = await dumpTenant(h, tenantId);
    expect(dump.documents).toHaveLength(ok.length);
  });
});

// -------------------------------------------------------------------------------------------------
// An app whose D1 binding runs `beforeBatch` before each batch of a request: a write "between the
// read and the write" of a sync, deterministically.

function appWithHook(beforeBatch: (call: number, size: number) => Promise<void>) {
  const app = createApp({
    wrapDatabase: (binding, request) => {
      const guarded = h.guard.wrap(binding, request);
      let call = 0;
      return new Proxy(guarded, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (prop === "batch") {
            return async (statements: D1PreparedStatement[]) => {
              await beforeBatch(call++, statements.length);
              return (value as D1Database["batch"]).call(target, statements);
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    logError: (message, details) => h.logs.push({ message, details }),
  });
  return async (key: string, body: unknown) => {
    const before = h.guard.records.length;
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request("http://localhost/clients/sync", {
        method: "POST",
        headers: { "content-type": "application/json", "x-environment": "test", authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      }),
      h.env,
      ctx,
    );
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    const stats: RequestRecord = h.guard.records[before] ?? emptyRecord();
    return { status: response.status, body: JSON.parse(text), stats };
  };
}

/** A concurrent writer: another change of the client's graph (its version moves). */
const bumpVersion = (id: string) => h.binding("test").prepare("UPDATE clients SET version = version + 1, name = name || '+' WHERE id = ?").bind(id).run();

describe("a write batch refused by the version guard", () => {
  it("is planned again from fresh state and succeeds", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const created = await sync(key, { client: { type: "individual", name: "Ana", externalId: `r-${uniq()}` } });
    const id = created.body.client.id;
    let bumped = 0;
    const post = appWithHook(async (call) => {
      if (call === 2 && bumped === 0) {
        bumped++;
        await bumpVersion(id);
      }
    });
    const res = await post(key, { clientId: id, client: { lastName: "López" }, addresses: [address("x")] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // auth, read, write (refused), read, write.
    expect(res.stats.batchSizes.length).toBe(5);
    expect(res.stats.batchSizes[1]).toBe(res.stats.batchSizes[3]);
    const [row] = await h.rows("test", clients, { id });
    // The concurrent change (name + "+") is kept, and so is the sync's (not planned on stale state).
    expect(row).toMatchObject({ name: "Ana+", lastName: "López", version: 3 });
    expect(res.body.client).toMatchObject({ name: "Ana+", lastName: "López" });
    expect(await h.count("test", addresses, tenantId)).toBe(1);
  });

  it(`answers 409 after ${MAX_SYNC_ATTEMPTS} refused attempts, having written nothing`, async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const created = await sync(key, { client: { type: "individual", name: "Ana", externalId: `r-${uniq()}` }, addresses: [address("keep")] });
    const id = created.body.client.id;
    const post = appWithHook(async (call) => {
      if (call >= 2 && call % 2 === 0) await bumpVersion(id);
    });
    const res = await post(key, { clientId: id, client: { lastName: "López" }, addresses: [{ externalId: "keep", _delete: true }, address("new")] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "CONFLICT", status: 409 });
    expect(res.body.requestId).toEqual(expect.any(String));
    expect(res.stats.batchSizes.length).toBe(1 + 2 * MAX_SYNC_ATTEMPTS);
    const [row] = await h.rows("test", clients, { id });
    expect(row).toMatchObject({ lastName: null, version: 1 + MAX_SYNC_ATTEMPTS, name: "Ana" + "+".repeat(MAX_SYNC_ATTEMPTS) });
    expect((await h.rows("test", addresses, { clientId: id })).map((a) => a.externalId)).toEqual(["keep"]);
    expect(await h.count("test", addresses, tenantId)).toBe(1);
  });

  it("also when a linked client changes between the read and the write", async () => {
    const { key } = await h.newTenantWithKey();
    const linked = await sync(key, { client: { type: "individual", name: "Linked" } });
    const parent = await sync(key, { client: { type: "company", name: "Parent" } });
    let bumped = false;
    const post = appWithHook(async (call) => {
      if (call === 2 && !bumped) {
        bumped = true;
        await bumpVersion(linked.body.client.id);
      }
    });
    const res = await post(key, { clientId: parent.body.client.id, linkedClients: [{ clientId: linked.body.client.id, child: { lastName: "L" } }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.stats.batchSizes.length).toBe(5);
    const [row] = await h.rows("test", clients, { id: linked.body.client.id });
    expect(row).toMatchObject({ name: "Linked+", lastName: "L" });
  });
});
