// The compliance record, write side (API.md §11): every write appends one entry per client it
// changed, in the same D1 batch as the change, chained by hash; what MUST NOT be recorded (no-op,
// replay, dryRun, a refused request, a client a non-atomic batch skipped) is not. Entries are read
// straight from D1 and decoded and verified here with an implementation of the test's own.
import { afterEach, describe, expect, it } from "vitest";
import { displayPrefix } from "../../src/http/keys";
import { createHarness } from "../support/harness";
import { clabe, dumpTenant, seedWebhookEndpoint, uniq } from "../sync/helpers";

const h = createHarness();
afterEach(() => {
  h.guard.failStatement = undefined;
});

const sync = (key: string, body: unknown, headers: Record<string, string> = {}) => h.post("/clients/sync", body, { key, headers });
const address = (over: Record<string, unknown> = {}) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", ...over });

// ---------------------------------------------------------------------------------------------
// An independent reader and verifier of the stored chain
// ---------------------------------------------------------------------------------------------

interface Row {
  client_id: string;
  sequence: number;
  part: number;
  parts: number | null;
  at: string | null;
  operation: string | null;
  hash: string | null;
  linked: string | null;
  body: string;
}

/** Keys sorted at every level, then JSON.stringify (no spaces): built differently from the app's. */
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sorted((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sorted(value));
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A stored body: JSON as is, or base64 of gzip. */
async function gunzipBase64(text: string): Promise<string> {
  if (text.startsWith("{")) return text;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new TextDecoder().decode(await new Response(stream).arrayBuffer());
}

async function rowsOf(clientId: string): Promise<Row[]> {
  const { results } = await h.binding("test").prepare("SELECT * FROM client_history WHERE client_id = ? ORDER BY sequence, part").bind(clientId).all<Row>();
  return results;
}

/** The client's entries as stored, decoded, each checked against its chain; `hash` as stored. */
async function entriesOf(clientId: string): Promise<any[]> {
  const rows = await rowsOf(clientId);
  const entries: any[] = [];
  let previous = "";
  for (const head of rows.filter((r) => r.part === 0)) {
    const parts = rows.filter((r) => r.sequence === head.sequence);
    expect(parts.map((p) => p.part)).toEqual(Array.from({ length: head.parts! }, (_, i) => i));
    const text = await gunzipBase64(parts.map((p) => p.body).join(""));
    const unhashed = JSON.parse(text);
    // Stored as is when short, gzip-compressed (base64) from 2,048 characters on.
    expect(head.body.startsWith(text.length < 2048 ? "{" : "H4sI"), `sequence ${head.sequence}`).toBe(true);
    expect(text).toBe(JSON.stringify(unhashed));
    // The chain: sequence 1, 2, 3… with no gap; each entry names its predecessor's hash and hashes to its own.
    expect(unhashed.sequence).toBe(entries.length + 1);
    expect(head.sequence).toBe(unhashed.sequence);
    expect(unhashed.previousHash).toBe(previous);
    expect(await sha256(previous + canonical(unhashed))).toBe(head.hash);
    expect(head.at).toBe(unhashed.at);
    expect(head.operation).toBe(unhashed.operation);
    expect(Object.keys(unhashed)).toEqual(["id", "clientId", "sequence", "at", "requestId", "operation", "actor", "changes", "previousHash"]);
    previous = head.hash!;
    entries.push({ ...unhashed, hash: head.hash });
  }
  return entries;
}

async function historyCount(tenantId: string): Promise<number> {
  const row = await h.binding("test").prepare("SELECT count(*) AS n FROM client_history WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
  return row!.n;
}

const changeOf = (entry: any, entity: string, id: string) => entry.changes.find((c: any) => c.entity === entity && c.id === id);

// ---------------------------------------------------------------------------------------------

describe("POST /clients/batch records each client it creates", () => {
  it("one entry per client: sequence 1, operation batch, every field it set from null, the actor and the request id", async () => {
    const { tenantId } = await h.newTenantWithKey();
    const key = await h.createKey({ tenantId, name: "Onboarding backend" });
    const res = await h.post(
      "/clients/batch",
      { items: [{ type: "individual", name: "Ana", externalId: `b-${uniq()}`, metadata: { z: 1, a: 2 } }, { type: "company", name: "ACME" }] },
      { key, headers: { "x-on-behalf-of": "analyst@acme.mx" } },
    );
    expect(res.status, res.text).toBe(200);
    for (const client of res.body.data) {
      const [entry, ...more] = await entriesOf(client.id);
      expect(more).toEqual([]);
      expect(entry).toMatchObject({
        clientId: client.id,
        sequence: 1,
        at: client.createdAt,
        requestId: res.headers.get("x-request-id"),
        operation: "batch",
        actor: { keyPrefix: displayPrefix(key), keyName: "Onboarding backend", onBehalfOf: "analyst@acme.mx" },
        previousHash: "",
      });
      expect(entry.changes).toHaveLength(1);
      const [change] = entry.changes;
      expect(change).toMatchObject({ entity: "client", id: client.id, action: "created" });
      expect(change.fields.name).toEqual({ from: null, to: client.name });
      expect(change.fields.version).toEqual({ from: null, to: 1 });
      expect(change.fields.createdAt).toEqual({ from: null, to: client.createdAt });
      expect(change.fields).not.toHaveProperty("tenantId");
      for (const field of Object.values(change.fields) as { from: unknown; to: unknown }[]) {
        expect(field.from).toBeNull();
        expect(field.to).not.toBeNull();
      }
    }
    // The stored value keeps the order its keys were sent in (a GET answers it so).
    const [ana] = await entriesOf(res.body.data[0].id);
    expect(Object.keys(ana.changes[0].fields.metadata.to)).toEqual(["z", "a"]);
  });

  it("a non-atomic batch records only the clients it wrote: not the one a rival's externalId made it skip", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const shared = `race-${uniq()}`;
    let injected = false;
    h.guard.failStatement = (info) => {
      if (!injected && /^insert into "clients"/i.test(info.sql)) {
        injected = true;
        void h.binding("test")
          .prepare(
            `INSERT INTO clients (id, tenant_id, type, name, is_primary, nationalities, scopes, external_id, metadata, scope_data, version, created_at, updated_at)
             VALUES (?, ?, 'individual', 'Rival', 1, '[]', '[]', ?, '{}', '{}', 1, ?, ?)`,
          )
          .bind(crypto.randomUUID(), tenantId, shared, new Date().toISOString(), new Date().toISOString())
          .run();
      }
      return false;
    };
    await seedWebhookEndpoint(h, tenantId);
    const res = await h.post("/clients/batch", { items: [{ type: "individual", name: "Own" }, { type: "individual", name: "Mine", externalId: shared }], atomic: false }, { key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.failed.map((f: any) => f.index)).toEqual([1]);
    const dump = await dumpTenant(h, tenantId);
    // Exactly one entry and one event: the client written.
    expect((dump.client_history as Row[]).map((r) => r.client_id)).toEqual([res.body.data[0].id]);
    expect((dump.event_outbox as { client_id: string }[]).map((r) => r.client_id)).toEqual([res.body.data[0].id]);
  });
});

describe("POST /clients/sync records the client, its records and its links, and each linked client it changes", () => {
  it("create, then an update with a field change, a delete, a demotion, an externalId swap, a link removed and a linked client renamed", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `s-${uniq()}`;
    const made = await sync(key, {
      client: { type: "individual", name: "Ana", externalId: ext },
      addresses: [address({ externalId: `${ext}-a1`, isPrimary: true }), address({ externalId: `${ext}-a2`, street: "Two" })],
      contactMethods: [{ value: "a@b.co", externalId: `${ext}-c1` }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: `${ext}-b1` }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `${ext}-rep` } }, { child: { type: "individual", name: "Gone", externalId: `${ext}-gone` } }],
    });
    expect(made.status, made.text).toBe(200);
    const id = made.body.client.id;
    const [a1, a2] = made.body.client.addresses;
    const [rep, gone] = made.body.client.linkedClients;

    const [created] = await entriesOf(id);
    expect(created).toMatchObject({ sequence: 1, operation: "sync", at: made.body.client.createdAt, actor: { onBehalfOf: null } });
    expect(created.changes.map((c: any) => [c.entity, c.action])).toEqual([
      ["client", "created"],
      ["address", "created"],
      ["address", "created"],
      ["contactMethod", "created"],
      ["bankAccount", "created"],
      ["link", "created"],
      ["link", "created"],
    ]);
    expect(changeOf(created, "link", rep.id).fields.childClientId).toEqual({ from: null, to: rep.client.id });
    // Each linked client the sync created has its own entry.
    expect((await entriesOf(rep.client.id)).map((e) => [e.sequence, e.operation, e.changes[0].action])).toEqual([[1, "sync", "created"]]);

    const update = await sync(
      key,
      {
        clientId: id,
        addresses: [
          { id: a1.id, externalId: `${ext}-a2`, city: "Puebla" }, // takes a2's externalId…
          { id: a2.id, externalId: `${ext}-a1` }, // …which takes a1's: a swap
          address({ externalId: `${ext}-a3`, isPrimary: true }), // demotes a1
        ],
        contactMethods: [{ externalId: `${ext}-c1`, _delete: true }],
        linkedClients: [{ child: { externalId: `${ext}-rep`, name: "Rep Renamed" } }, { child: { externalId: `${ext}-gone` }, _delete: true }],
      },
      { "x-on-behalf-of": "maria" },
    );
    expect(update.status, update.text).toBe(200);
    const [, second] = await entriesOf(id);
    expect(second).toMatchObject({ sequence: 2, previousHash: created.hash, actor: { onBehalfOf: "maria" } });
    const at = second.at;
    const a1Change = changeOf(second, "address", a1.id);
    expect(a1Change.action).toBe("updated");
    expect(a1Change.fields).toEqual({
      city: { from: "CDMX", to: "Puebla" },
      externalId: { from: `${ext}-a1`, to: `${ext}-a2` },
      isPrimary: { from: true, to: false },
      updatedAt: { from: a1.updatedAt, to: at },
    });
    expect(changeOf(second, "address", a2.id).fields.externalId).toEqual({ from: `${ext}-a2`, to: `${ext}-a1` });
    expect(changeOf(second, "address", update.body.addresses.created[0].id)).toMatchObject({ action: "created" });
    const c1 = made.body.client.contactMethods[0];
    expect(changeOf(second, "contactMethod", c1.id)).toMatchObject({ action: "deleted", fields: { value: { from: "a@b.co", to: null } } });
    expect(changeOf(second, "link", gone.id)).toMatchObject({ action: "deleted", fields: { childClientId: { from: gone.client.id, to: null } } });
    // Only its children changed: the client's version moved, nothing else of it.
    expect(changeOf(second, "client", id).fields).toEqual({ version: { from: 1, to: 2 } });
    // The renamed linked client has its own second entry; the deleted link's client none (it did not change).
    const repEntries = await entriesOf(rep.client.id);
    expect(repEntries).toHaveLength(2);
    expect(repEntries[1].changes[0].fields.name).toEqual({ from: "Rep", to: "Rep Renamed" });
    expect(repEntries[1].requestId).toBe(update.headers.get("x-request-id"));
    expect(await entriesOf(gone.client.id)).toHaveLength(1);
    // What the entry says the rows became is what the database holds.
    const get = await h.get(`/clients/${id}`, { key });
    const stored = get.body.addresses.find((a: any) => a.id === a1.id);
    expect(stored).toMatchObject({ city: "Puebla", externalId: `${ext}-a2`, isPrimary: false, updatedAt: at });
  });

  it("records nothing for a no-op, a replay, a dryRun, or a refused request", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `n-${uniq()}`;
    const body = { client: { type: "individual", name: "Ana", externalId: ext }, addresses: [address({ externalId: `${ext}-a` })] };
    const idem = { "idempotency-key": `k-${uniq()}` };
    expect((await sync(key, body, idem)).status).toBe(200);
    const after = await historyCount(tenantId);
    expect(after).toBe(1);
    expect((await sync(key, body, idem)).headers.get("idempotent-replayed")).toBe("true");
    expect((await sync(key, body)).body.action).toBe("unchanged");
    expect((await sync(key, { ...body, client: { externalId: ext, name: "Other" }, dryRun: true })).body.dryRun).toBe(true);
    expect((await sync(key, { client: { externalId: ext, name: "" } })).status).toBe(400);
    expect((await sync(key, { client: { externalId: ext, name: "X" } }, { "x-on-behalf-of": "" })).status).toBe(400);
    expect((await sync(key, { client: { externalId: ext, name: "X" } }, { "x-on-behalf-of": "u".repeat(256) })).status).toBe(400);
    expect(await historyCount(tenantId)).toBe(after);
    // 255 characters is allowed, and recorded as sent.
    const ok = await sync(key, { client: { externalId: ext, name: "X" } }, { "x-on-behalf-of": "u".repeat(255) });
    expect(ok.status, ok.text).toBe(200);
    expect((await entriesOf(ok.body.client.id)).at(-1).actor.onBehalfOf).toBe("u".repeat(255));
  });

  it("10 syncs racing on one client: every change recorded once, sequences 1..n with no gap and no duplicate", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `r-${uniq()}`;
    const made = await sync(key, { client: { type: "individual", name: "Ana", externalId: ext }, addresses: Array.from({ length: 10 }, (_, i) => address({ externalId: `${ext}-a${i}` })) });
    const id = made.body.client.id;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => sync(key, { clientId: id, addresses: [{ externalId: `${ext}-a${i}`, city: `City ${i}` }] })));
    const ok = results.filter((r) => r.status === 200);
    for (const r of results) expect([200, 409]).toContain(r.status);
    const entries = await entriesOf(id); // checks 1..n, no gap, the chain
    expect(entries).toHaveLength(1 + ok.length);
    // Each successful sync has exactly one entry, with its own request id, recording its own city.
    const byRequest = new Map(entries.slice(1).map((e) => [e.requestId, e]));
    for (const r of ok) {
      const entry = byRequest.get(r.headers.get("x-request-id"))!;
      const city = r.body.addresses.updated[0].city;
      expect(entry.changes.find((c: any) => c.entity === "address").fields.city.to).toBe(city);
    }
    // Entries never go back in time.
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
  });
});

describe("DELETE /clients/{id} records what the client was, and each client that linked to it", () => {
  it("the client's entry deletes every record it had (to null); a parent's entry removes its link and moves its version", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `d-${uniq()}`;
    const made = await sync(key, {
      client: { type: "individual", name: "Ana", externalId: ext },
      addresses: [address({ externalId: `${ext}-a` })],
      documents: [{ type: "ine", externalId: `${ext}-d` }],
      linkedClients: [{ child: { type: "individual", name: "Child" } }],
    });
    const id = made.body.client.id;
    const parent = await sync(key, { client: { type: "company", name: "Parent" }, linkedClients: [{ clientId: id, relationshipType: "guarantor" }] });
    const parentId = parent.body.client.id;
    const res = await h.delete(`/clients/${id}`, { key, headers: { "x-on-behalf-of": "compliance officer" } });
    expect(res.status, res.text).toBe(200);

    const entries = await entriesOf(id);
    const last = entries.at(-1);
    expect(last).toMatchObject({ sequence: 2, operation: "delete", actor: { onBehalfOf: "compliance officer" } });
    expect(last.changes.map((c: any) => [c.entity, c.action])).toEqual([
      ["client", "deleted"],
      ["address", "deleted"],
      ["document", "deleted"],
      ["link", "deleted"],
    ]);
    // Every field it had, to null: the record as it was is kept.
    expect(changeOf(last, "client", id).fields.name).toEqual({ from: "Ana", to: null });
    expect(changeOf(last, "client", id).fields.externalId).toEqual({ from: ext, to: null });
    for (const change of last.changes) for (const f of Object.values(change.fields) as any[]) expect(f.to).toBeNull();
    // The deletion is on the partial index purge reads.
    const [row] = (await rowsOf(id)).filter((r) => r.sequence === 2);
    expect(row!.operation).toBe("delete");

    const parentEntries = await entriesOf(parentId);
    const removed = parentEntries.at(-1);
    expect(removed).toMatchObject({ sequence: 2, operation: "delete", requestId: res.headers.get("x-request-id") });
    const link = parent.body.client.linkedClients[0];
    expect(removed.changes).toEqual([
      { entity: "client", id: parentId, action: "updated", fields: { version: { from: 1, to: 2 } } },
      expect.objectContaining({ entity: "link", id: link.id, action: "deleted" }),
    ]);
    // The linked child is untouched.
    expect(await entriesOf(made.body.client.linkedClients[0].client.id)).toHaveLength(1);
  });
});

describe("a fault at any statement of a write batch leaves the change with its entries, or neither", () => {
  async function everyStatement(label: string, prepare: () => Promise<{ tenantId: string; send: () => Promise<{ status: number; stats: any }> }>) {
    const probe = await prepare();
    const ok = await probe.send();
    expect(ok.status, label).toBe(200);
    const size = ok.stats.batchSizes.at(-1)!;
    for (let n = 0; n < size; n++) {
      const { tenantId, send } = await prepare();
      const before = await dumpTenant(h, tenantId);
      h.guard.failStatement = (info) => info.kind === "batch" && info.record.roundTrips === ok.stats.roundTrips && info.index === n;
      const res = await send();
      h.guard.failStatement = undefined;
      expect(res.status, `${label}, statement ${n}`).toBe(500);
      expect(await dumpTenant(h, tenantId), `${label}, statement ${n}`).toEqual(before);
      const retry = await send();
      expect(retry.status, `${label}, statement ${n}, retried`).toBe(200);
      const after = await dumpTenant(h, tenantId);
      expect(after.client_history.length, label).toBeGreaterThan(before.client_history.length);
      expect(after.event_outbox.length, label).toBeGreaterThan(before.event_outbox.length);
    }
    return size;
  }

  it("POST /clients/batch", async () => {
    const size = await everyStatement("batch", async () => {
      const { tenantId, key } = await h.newTenantWithKey();
      await seedWebhookEndpoint(h, tenantId);
      return { tenantId, send: () => h.post("/clients/batch", { items: [{ type: "individual", name: "A" }, { type: "company", name: "B" }] }, { key }) };
    });
    expect(size).toBe(5); // clients, history, outbox, the lookup keys (every client has a name: API.md §14 search), completeness (§16)
  });

  it("DELETE /clients/{id}", async () => {
    const size = await everyStatement("delete", async () => {
      const { tenantId, key } = await h.newTenantWithKey();
      await seedWebhookEndpoint(h, tenantId);
      const made = await sync(key, { client: { type: "individual", name: "A" }, addresses: [address()], linkedClients: [{ child: { type: "individual", name: "C" } }] });
      const id = made.body.client.id;
      await sync(key, { client: { type: "company", name: "P" }, linkedClients: [{ clientId: id }] });
      return { tenantId, send: () => h.delete(`/clients/${id}`, { key }) };
    });
    expect(size).toBe(12); // with the lookup keys marked deleted (every client has a name's keys: API.md §14 search), and the completeness column (§16)
  });
});
