// No lost update (API.md §6 "Atomic"): concurrent syncs of one client end 200 or 409 and the final
// graph is what applying the successful ones in some serial order gives; a write batch refused by
// the version guard is planned again from fresh state, and a sync that keeps losing answers 409.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { addresses, clients, contactMethods } from "../../src/db/schema";
import { MAX_SYNC_ATTEMPTS } from "../../src/write/sync";
import { emptyRecord, type RequestRecord } from "../support/d1-guard";
import { interceptBatches } from "../support/batch-hook";
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
      return interceptBatches(guarded, async (statements, connection) => {
        await beforeBatch(call++, statements.length);
        return connection.batch(statements);
      });
    },
    logError: (message, details) => h.logs.push({ message, details }),
  });
  return async (key: string, body: unknown, headers: Record<string, string> = {}) => {
    const before = h.guard.records.length;
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request("http://localhost/clients/sync", {
        method: "POST",
        headers: { "content-type": "application/json", "x-environment": "test", authorization: `Bearer ${key}`, ...headers },
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
      if (call === 1 && bumped === 0) { // the key lookup shares the first round trip
        bumped++;
        await bumpVersion(id);
      }
    });
    const res = await post(key, { clientId: id, client: { lastName: "López" }, addresses: [address("x")] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // auth with the read, write (refused), read (the key is checked by then), write.
    expect(res.stats.batchSizes.length).toBe(4); // the key lookup shares the first round trip
    expect(res.stats.batchSizes[0]).toBe(1 + res.stats.batchSizes[2]!); // the key lookup shares the first round trip
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
      if (call % 2 === 1) await bumpVersion(id); // the key lookup shares the first round trip
    });
    const res = await post(key, { clientId: id, client: { lastName: "López" }, addresses: [{ externalId: "keep", _delete: true }, address("new")] });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: "CONFLICT", status: 409 });
    expect(res.body.requestId).toEqual(expect.any(String));
    // Each attempt is a read and a write batch; a third one is made only when it fits the request's
    // 50 statements (runWrite): this write's batch carries the name search's key statements too
    // (API.md §14, a lastName change) and the completeness column (§16), so it stops after 2.
    const attempts = res.stats.batchSizes.length / 2;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(MAX_SYNC_ATTEMPTS);
    expect(res.stats.statementCount).toBeLessThanOrEqual(50);
    const [row] = await h.rows("test", clients, { id });
    expect(row).toMatchObject({ lastName: null, version: 1 + attempts, name: "Ana" + "+".repeat(attempts) });
    expect((await h.rows("test", addresses, { clientId: id })).map((a) => a.externalId)).toEqual(["keep"]);
    expect(await h.count("test", addresses, tenantId)).toBe(1);
  });

  it("also when a linked client changes between the read and the write", async () => {
    const { key } = await h.newTenantWithKey();
    const linked = await sync(key, { client: { type: "individual", name: "Linked" } });
    const parent = await sync(key, { client: { type: "company", name: "Parent" } });
    let bumped = false;
    const post = appWithHook(async (call) => {
      if (call === 1 && !bumped) { // the key lookup shares the first round trip
        bumped = true;
        await bumpVersion(linked.body.client.id);
      }
    });
    const res = await post(key, { clientId: parent.body.client.id, linkedClients: [{ clientId: linked.body.client.id, child: { lastName: "L" } }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.stats.batchSizes.length).toBe(4); // the key lookup shares the first round trip
    const [row] = await h.rows("test", clients, { id: linked.body.client.id });
    expect(row).toMatchObject({ name: "Linked+", lastName: "L" });
  });
});

// -------------------------------------------------------------------------------------------------
// Concurrent syncs of one client that change different records all succeed (API.md §6 "Atomic"):
// the write batch guards the rows the plan depends on, not the whole graph's version; and each
// answer still shows the client as it is after its own request (a state the database went through).

/** A client with `n` addresses whose externalIds are `${ext}-a0` … ; returns its id and ext. */
async function clientWithAddresses(key: string, n: number, extra: Record<string, unknown> = {}) {
  const ext = `m-${uniq()}`;
  const made = await sync(key, {
    client: { type: "individual", name: "Many", externalId: ext },
    addresses: Array.from({ length: n }, (_, k) => address(`${ext}-a${k}`)),
    ...extra,
  });
  expect(made.status, made.text).toBe(200);
  return { id: made.body.client.id as string, ext, made };
}

const cityOf = (i: number) => `City ${i}`;

/** The indexes k whose address `${ext}-a${k}` shows `City k` in an answer's client. */
function changesShown(client: { addresses: { externalId: string; city: string }[] }, ext: string): Set<number> {
  const shown = new Set<number>();
  for (const a of client.addresses) {
    const k = Number(a.externalId.slice(`${ext}-a`.length));
    if (a.city === cityOf(k)) shown.add(k);
  }
  return shown;
}

/**
 * Answers that are states the database went through, one change at a time: the sets of changes
 * they show are nested (a chain), and each shows its own change.
 */
function expectNestedStates(shown: { own: number; seen: Set<number> }[]) {
  for (const { own, seen } of shown) expect(seen.has(own), `answer of ${own} lacks its own change`).toBe(true);
  const ordered = [...shown].sort((a, b) => a.seen.size - b.seen.size);
  for (let k = 1; k < ordered.length; k++) {
    const before = ordered[k - 1]!.seen;
    const after = ordered[k]!.seen;
    expect([...before].every((x) => after.has(x)), `states ${[...before]} and ${[...after]} are not one history`).toBe(true);
  }
}

async function disjointUpdates(N: number) {
  const { key } = await h.newTenantWithKey();
  const { id, ext } = await clientWithAddresses(key, 40);
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) => sync(key, { clientId: id, addresses: [{ externalId: `${ext}-a${i}`, city: cityOf(i) }] })),
  );
  const rows = await h.rows("test", addresses, { clientId: id });
  const cityByExt = new Map(rows.map((a) => [a.externalId, a.city]));
  return { key, id, ext, results, rows, cityByExt };
}

describe("concurrent syncs of one client touching different records", () => {
  it("8 at once, each updating another of 40 addresses: all 200, every change stored, each answer a state the database went through", async () => {
    const { key, id, ext, results, rows, cityByExt } = await disjointUpdates(8);
    const statuses = results.map((r) => r.status);
    console.log(`8 concurrent disjoint syncs: ${statuses.filter((s) => s === 409).length} answered 409 (${statuses.join(",")})`);
    expect(statuses, JSON.stringify(results.find((r) => r.status !== 200)?.body)).toEqual(Array(8).fill(200));
    expect(rows).toHaveLength(40);
    for (let k = 0; k < 40; k++) expect(cityByExt.get(`${ext}-a${k}`)).toBe(k < 8 ? cityOf(k) : "CDMX");
    const [row] = await h.rows("test", clients, { id });
    expect(row!.version).toBe(1 + 8); // each sync moved the graph version once
    results.forEach((r, i) => {
      expect(r.body.addresses.updated.map((a: { externalId: string }) => a.externalId)).toEqual([`${ext}-a${i}`]);
      // Every address an answer shows is as the database has it, or as it was before (never invented).
      for (const a of r.body.client.addresses) expect([cityByExt.get(a.externalId), "CDMX"]).toContain(a.city);
    });
    const shown = results.map((r, i) => ({ own: i, seen: changesShown(r.body.client, ext) }));
    expectNestedStates(shown);
    // The last state any answer shows is the final one, and that answer is what GET shows.
    const last = results.find((r) => changesShown(r.body.client, ext).size === 8);
    expect(last, "no answer shows the final state").toBeDefined();
    const get = await h.get(`/clients/${id}`, { key });
    expect(get.body).toEqual(last!.body.client);
    expect(get.headers.get("etag")).toBe(last!.headers.get("etag"));
  });

  it("32 at once: fewer than 5% answer 409, and no acknowledged change is lost", { timeout: 60_000 }, async () => {
    const { ext, results, cityByExt } = await disjointUpdates(32);
    const statuses = results.map((r) => r.status);
    const conflicts = statuses.filter((s) => s === 409).length;
    console.log(`32 concurrent disjoint syncs: ${conflicts} answered 409 (${((100 * conflicts) / 32).toFixed(1)}%)`);
    expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).toBe(true);
    expect(conflicts / 32).toBeLessThan(0.05);
    results.forEach((r, i) => expect(cityByExt.get(`${ext}-a${i}`)).toBe(r.status === 200 ? cityOf(i) : "CDMX"));
    expectNestedStates(results.flatMap((r, i) => (r.status === 200 ? [{ own: i, seen: changesShown(r.body.client, ext) }] : [])));
  });

  it("syncs changing different fields of the SAME address lose no update: each 200's field is stored, each 409's is not", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 3);
    const target = `${ext}-a1`;
    const changes: Record<string, unknown>[] = [
      { street: "New street" },
      { city: "New city" },
      { state: "New state" },
      { postalCode: "01234" },
      { metadata: { by: "writer 4" } },
      { type: "business" },
    ];
    const results = await Promise.all(changes.map((change) => sync(key, { clientId: id, addresses: [{ externalId: target, ...change }] })));
    const statuses = results.map((r) => r.status);
    console.log(`6 concurrent syncs of one address: ${statuses.join(",")}`);
    expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).toBe(true);
    expect(statuses).toContain(200);
    const [row] = await h.rows("test", addresses, { clientId: id, externalId: target });
    const original = { street: `Street ${target}`, city: "CDMX", state: "CDMX", postalCode: "06600", metadata: {}, type: "home" };
    changes.forEach((change, i) => {
      const [field, value] = Object.entries(change)[0]!;
      expect((row as Record<string, unknown>)[field], `${field} after a ${statuses[i]}`).toEqual(statuses[i] === 200 ? value : (original as Record<string, unknown>)[field]);
    });
  });

  it("syncs setting the SAME field of one address: the stored value is a successful sync's", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 2);
    const target = `${ext}-a0`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => sync(key, { clientId: id, addresses: [{ externalId: target, city: cityOf(i), metadata: { i } }] })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409), JSON.stringify(statuses)).toBe(true);
    const [row] = await h.rows("test", addresses, { clientId: id, externalId: target });
    const winner = (row!.metadata as { i: number }).i;
    expect(statuses[winner]).toBe(200);
    expect(row!.city).toBe(cityOf(winner)); // one writer's whole change, not a mix of two
  });

  it("concurrent syncs each creating a primary email on a client with none: never two primaries", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 1, { contactMethods: [{ value: "old@example.com", externalId: "old" }] });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => sync(key, { clientId: id, contactMethods: [{ value: `p${i}@example.com`, isPrimary: true, externalId: `${ext}-p${i}` }] })),
    );
    expect(results.every((r) => r.status === 200 || r.status === 409), JSON.stringify(results.map((r) => r.status))).toBe(true);
    const rows = await h.rows("test", contactMethods, { clientId: id });
    expect(rows.filter((c) => c.isPrimary)).toHaveLength(1);
    expect(rows).toHaveLength(1 + results.filter((r) => r.status === 200).length);
  });

  it("keyed concurrent syncs still replay byte-identical answers, and each stored answer is exact", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 10);
    const bodies = Array.from({ length: 6 }, (_, i) => ({ clientId: id, addresses: [{ externalId: `${ext}-a${i}`, city: cityOf(i) }] }));
    const keys = bodies.map(() => `k-${uniq()}`);
    const results = await Promise.all(bodies.map((body, i) => h.post("/clients/sync", body, { key, headers: { "idempotency-key": keys[i]! } })));
    expect(results.every((r) => r.status === 200 || r.status === 409), JSON.stringify(results.map((r) => r.status))).toBe(true);
    const ok = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    expect(ok.length).toBeGreaterThan(0);
    // A stored answer is the exact state right after its own write: nested states, none later.
    expectNestedStates(ok.map((i) => ({ own: i, seen: changesShown(results[i]!.body.client, ext) })));
    const sizes = ok.map((i) => changesShown(results[i]!.body.client, ext).size).sort();
    expect(sizes).toEqual(ok.map((_, k) => k + 1));
    for (const i of ok) {
      const replay = await h.post("/clients/sync", bodies[i], { key, headers: { "idempotency-key": keys[i]! } });
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.text).toBe(results[i]!.text);
    }
    // One key sent by several requests at once: one write, the same bytes for all.
    const shared = `k-${uniq()}`;
    const body = { clientId: id, addresses: [{ externalId: `${ext}-a9`, city: "Shared" }] };
    const same = await Promise.all([1, 2, 3, 4].map(() => h.post("/clients/sync", body, { key, headers: { "idempotency-key": shared } })));
    const sameOk = same.filter((r) => r.status === 200);
    expect(sameOk.length).toBeGreaterThan(0);
    expect(new Set(sameOk.map((r) => r.text)).size).toBe(1);
  });
});

describe("a write between the read and the write of a sync (deterministic)", () => {
  /** A sync whose write batch runs only after `between` has run (once). */
  function syncWithWriteBetween(between: () => Promise<unknown>) {
    let done = false;
    return appWithHook(async (call) => {
      if (call === 1 && !done) { // the key lookup shares the first round trip
        done = true;
        await between();
      }
    });
  }

  it("a disjoint change in between: the sync's entry is sealed again on the new head (the client's history moved), and its answer shows both changes", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 3);
    const post = syncWithWriteBetween(() => sync(key, { clientId: id, addresses: [{ externalId: `${ext}-a1`, city: cityOf(1) }] }));
    const res = await post(key, { clientId: id, addresses: [{ externalId: `${ext}-a0`, city: cityOf(0) }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // auth with the read, the write refused (the other sync took the next sequence of the client's
    // history: API.md §11 has no fork), in the client's turn the heads read again (2 statements),
    // the same write sealed on them, and the client read for the answer (it moved meanwhile).
    expect(res.stats.batchSizes).toHaveLength(5); // the key lookup shares the first round trip
    expect(res.stats.batchSizes[2]).toBe(2);
    expect(res.stats.batchSizes[3]).toBe(res.stats.batchSizes[1]);
    const sequences = await h.binding("test").prepare("SELECT sequence FROM client_history WHERE client_id = ? AND part = 0 ORDER BY sequence").bind(id).all<{ sequence: number }>();
    expect(sequences.results.map((r) => r.sequence)).toEqual([1, 2, 3]); // created, the other sync, this one
    expect([...changesShown(res.body.client, ext)].sort()).toEqual([0, 1]);
    const get = await h.get(`/clients/${id}`, { key });
    expect(res.body.client).toEqual(get.body);
  });

  it("a linked client changed in between: the answer shows it as it is", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 1, { linkedClients: [{ child: { type: "individual", name: "Rep" } }] });
    const repId = (await h.get(`/clients/${id}`, { key })).body.linkedClients[0].client.id;
    const post = syncWithWriteBetween(() => sync(key, { clientId: repId, client: { name: "Rep renamed" } }));
    const res = await post(key, { clientId: id, addresses: [{ externalId: `${ext}-a0`, city: cityOf(0) }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.client.linkedClients[0].client.name).toBe("Rep renamed");
    expect(res.body.client).toEqual((await h.get(`/clients/${id}`, { key })).body);
  });

  it("a sync creating a client that links an existing one changed in between: the answer shows it as it is", async () => {
    const { key } = await h.newTenantWithKey();
    const rep = await sync(key, { client: { type: "individual", name: "Rep" } });
    const repId = rep.body.client.id;
    const post = syncWithWriteBetween(() => sync(key, { clientId: repId, client: { name: "Rep renamed" } }));
    const res = await post(key, { client: { type: "company", name: "Co", externalId: `co-${uniq()}` }, linkedClients: [{ clientId: repId }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.client.linkedClients[0].client.name).toBe("Rep renamed");
    expect(res.body.client).toEqual((await h.get(`/clients/${res.body.client.id}`, { key })).body);
  });

  it("a primary email created in between another's creation: the second is planned again and demotes the first", async () => {
    const { key } = await h.newTenantWithKey();
    const { id } = await clientWithAddresses(key, 0);
    const post = syncWithWriteBetween(() => sync(key, { clientId: id, contactMethods: [{ value: "b@example.com", isPrimary: true, externalId: "b" }] }));
    const res = await post(key, { clientId: id, contactMethods: [{ value: "a@example.com", isPrimary: true, externalId: "a" }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rows = await h.rows("test", contactMethods, { clientId: id });
    expect(rows.filter((c) => c.isPrimary).map((c) => c.externalId)).toEqual(["a"]);
    expect(res.body.contactMethods.updated.map((c: { externalId: string }) => c.externalId)).toEqual(["b"]); // demoted
  });

  it("a primary phone turned into an email while another sync creates a primary email: never two primary emails", async () => {
    const { key } = await h.newTenantWithKey();
    const { id } = await clientWithAddresses(key, 0, { contactMethods: [{ value: "5512345678", isPrimary: true, externalId: "p" }] });
    const post = syncWithWriteBetween(() => sync(key, { clientId: id, contactMethods: [{ value: "b@example.com", isPrimary: true, externalId: "b" }] }));
    const res = await post(key, { clientId: id, contactMethods: [{ externalId: "p", type: "email", value: "p@example.com" }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rows = await h.rows("test", contactMethods, { clientId: id });
    expect(rows.filter((c) => c.isPrimary && c.type === "email")).toHaveLength(1);
  });

  it("replaceMode racing a create: the final state is a serial order's (the replace, planned again, removes the new one)", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext, made } = await clientWithAddresses(key, 2);
    let created: Awaited<ReturnType<typeof sync>> | undefined;
    const post = syncWithWriteBetween(async () => {
      created = await sync(key, { clientId: id, addresses: [address(`${ext}-new`)] });
    });
    const res = await post(key, { clientId: id, replaceMode: true, addresses: [{ externalId: `${ext}-a0` }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(created!.status).toBe(200);
    const rows = await h.rows("test", addresses, { clientId: id });
    // The create, then the replace: only a0 is left, and the replace reports both deletions.
    expect(rows.map((a) => a.externalId)).toEqual([`${ext}-a0`]);
    expect(res.body.addresses.deleted.sort()).toEqual([made.body.addresses.created[1].id, created!.body.addresses.created[0].id].sort());
    expect(res.body.client.addresses.map((a: { externalId: string }) => a.externalId)).toEqual([`${ext}-a0`]);
  });

  it("replaceMode racing creates, all at once: the final list is a serial order's", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 3);
    const replace = sync(key, { clientId: id, replaceMode: true, addresses: [{ externalId: `${ext}-a0` }] });
    const creates = [1, 2, 3].map((i) => sync(key, { clientId: id, addresses: [address(`${ext}-n${i}`)] }));
    const [r, ...c] = await Promise.all([replace, ...creates]);
    expect([200, 409]).toContain(r!.status);
    for (const res of c) expect(res.status).toBe(200); // creates conflict with nothing but the replace's set
    const kept = new Set((await h.rows("test", addresses, { clientId: id })).map((a) => a.externalId));
    if (r!.status === 409) {
      // Refused every time: nothing of it happened.
      expect(kept).toEqual(new Set([0, 1, 2].map((k) => `${ext}-a${k}`).concat([1, 2, 3].map((i) => `${ext}-n${i}`))));
      return;
    }
    // Serial: a create before the replace is gone, one after it stays (and saw no a1, a2); a0 stays.
    expect(r!.body.client.addresses.map((a: { externalId: string }) => a.externalId)).toContain(`${ext}-a0`);
    expect(kept.has(`${ext}-a0`)).toBe(true);
    expect(kept.has(`${ext}-a1`) || kept.has(`${ext}-a2`)).toBe(false);
    for (const [i, res] of c.entries()) {
      if (!kept.has(`${ext}-n${i + 1}`)) continue;
      expect(res.body.client.addresses.map((a: { externalId: string }) => a.externalId)).not.toContain(`${ext}-a1`);
    }
  });

  it("If-Match stays strict: a disjoint change in between makes it 412, with nothing written", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, ext } = await clientWithAddresses(key, 2);
    const etag = (await h.get(`/clients/${id}`, { key })).headers.get("etag")!;
    const post = syncWithWriteBetween(() => sync(key, { clientId: id, addresses: [{ externalId: `${ext}-a1`, city: cityOf(1) }] }));
    const res = await post(key, { clientId: id, addresses: [{ externalId: `${ext}-a0`, city: cityOf(0) }] }, { "if-match": etag });
    expect(res.status, JSON.stringify(res.body)).toBe(412);
    const [a0] = await h.rows("test", addresses, { clientId: id, externalId: `${ext}-a0` });
    expect(a0!.city).toBe("CDMX");
  });
});
