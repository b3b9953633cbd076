// All or nothing (API.md §6 "Atomic"): a write batch aborted at ANY of its statements leaves every
// row of the tenant byte-identical and answers a problem (5xx with the requestId), never 200. And a
// dryRun answers exactly what the real sync then answers (ids and timestamps aside).
import { afterEach, describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";
import { clabe, dumpTenant, normalize, seedWebhookEndpoint, uniq } from "./helpers";

const h = createHarness();
afterEach(() => {
  h.guard.failStatement = undefined;
});
const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });

const address = (over: Record<string, unknown> = {}) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", ...over });

/** A tenant with a client graph touching every table; returns what the representative sync needs. */
async function seedGraph() {
  const { tenantId, key } = await h.newTenantWithKey();
  await seedWebhookEndpoint(h, tenantId);
  const ext = `g-${uniq()}`;
  const other = await sync(key, { client: { type: "individual", name: "Other", externalId: `${ext}-other` } });
  const res = await sync(key, {
    client: { type: "individual", name: "Ana", externalId: ext },
    addresses: [address({ externalId: "a1", isPrimary: true }), address({ externalId: "a2" }), address({ externalId: "ax" }), address({ externalId: "ay" })],
    contactMethods: [{ value: "a@b.co", externalId: "c1", isPrimary: true }, { value: "5512345678", externalId: "c2" }],
    bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: "b1" }],
    documents: [{ type: "ine", externalId: "d1" }, { type: "passport", externalId: "d2" }],
    linkedClients: [
      { child: { type: "individual", name: "Rep", externalId: `${ext}-rep` }, relationshipType: "legal_representative" },
      { child: { type: "individual", name: "Gone", externalId: `${ext}-gone` } },
    ],
  });
  expect(res.status, res.text).toBe(200);
  const [, , ax, ay] = res.body.addresses.created;
  return { tenantId, key, ext, id: res.body.client.id as string, otherId: other.body.client.id as string, ax: ax.id as string, ay: ay.id as string };
}

/** A body with the graph's externalId prefix replaced, to compare two graphs' answers. */
const withoutExt = (body: unknown, ext: string) => JSON.parse(JSON.stringify(body).replaceAll(ext, "EXT"));

/** A sync that writes to every table: client update, and create/update/delete/release in every list and in links. */
function representative(g: { id: string; ext: string; otherId: string; ax: string; ay: string }) {
  return {
    clientId: g.id,
    client: { name: "Ana María", metadata: { v: 2 } },
    addresses: [
      { externalId: "a1", city: "Puebla" },
      { externalId: "a2", _delete: true },
      address({ externalId: "a3", isPrimary: true }), // demotes a1
      { id: g.ax, externalId: "ay", street: "Swap X" }, // swaps externalIds with ay: released first
      { id: g.ay, externalId: "ax" },
    ],
    contactMethods: [{ externalId: "c2", label: "work" }, { value: "new@b.co", externalId: "c3", isPrimary: true }, { externalId: "c1", _delete: true }],
    bankAccounts: [{ externalId: "b1", isActive: false }, { accountNumber: "2", bankName: "B", currency: "USD", country: "US", externalId: "b2" }],
    documents: [{ externalId: "d1", fields: { n: 1 } }, { externalId: "d2", _delete: true }, { type: "rfc", category: "tax", externalId: "d3" }],
    linkedClients: [
      { child: { externalId: `${g.ext}-rep`, lastName: "Pérez" }, relationshipType: "guarantor" },
      { child: { externalId: `${g.ext}-gone` }, _delete: true },
      { clientId: g.otherId, relationshipType: "controlling_beneficiary" },
      { child: { type: "company", name: "New Co", externalId: `${g.ext}-co` } },
    ],
  };
}

describe("a write batch aborted halfway", () => {
  it("leaves every row byte-identical and answers 500 with the requestId, for every statement of the batch", { timeout: 120_000 }, async () => {
    // The write batch of the representative sync, measured on a graph of its own.
    const probe = await seedGraph();
    const probeBefore = await dumpTenant(h, probe.tenantId);
    const ok = await sync(probe.key, representative(probe));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.stats.batchSizes).toHaveLength(2); // the key lookup shares the first round trip
    const size = ok.stats.batchSizes[1]!;
    const kinds = ok.stats.statements.filter((s) => s.roundTrip === 1).map((s) => s.sql.slice(0, 40).replace(/\s+/g, " "));
    // Guard, client inserts/updates, link delete, child deletes, inserts/updates, link insert/update,
    // then the history entries and their outbox rows (API.md §11, §12), the lookup keys'
    // DELETE and INSERT (§14), and the completeness column (§16).
    expect(size).toBe(23);
    // One entry per client it changed (the client, the inline-updated Rep, the new Co), each with its event.
    const after = await dumpTenant(h, probe.tenantId);
    const entries = (after.client_history as { part: number }[]).filter((r) => r.part === 0);
    expect(entries.length - probeBefore.client_history.length).toBe(3);
    expect(after.event_outbox).toHaveLength(entries.length);
    expect(ok.stats.statements.filter((s) => s.roundTrip === 1 && /^update "addresses" set "external_id" = (null|\?) where/i.test(s.sql))).toHaveLength(1);
    console.log(`representative write batch: ${size} statements\n  ${kinds.join("\n  ")}`);

    for (let n = 0; n < size; n++) {
      const g = await seedGraph();
      const before = await dumpTenant(h, g.tenantId);
      const logged = h.logs.length;
      let failed = 0;
      h.guard.failStatement = (info) => {
        const hit = info.kind === "batch" && info.record.roundTrips === 2 && info.index === n; // the key lookup shares the first round trip
        if (hit) failed++;
        return hit;
      };
      const res = await sync(g.key, representative(g));
      h.guard.failStatement = undefined;
      expect(failed, `statement ${n}`).toBe(1);
      expect(res.status, `statement ${n}: ${res.text}`).toBe(500);
      expect(res.body).toMatchObject({ code: "INTERNAL_SERVER_ERROR", status: 500 });
      expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
      expect(res.text).not.toMatch(/json|sqlite|D1_|select|insert|update/i);
      expect(h.logs.length).toBe(logged + 1);
      expect(h.logs.at(-1)!.details.requestId).toBe(res.body.requestId);
      // Nothing at all: neither the change, nor its history entries, nor its outbox rows.
      expect(await dumpTenant(h, g.tenantId), `statement ${n}`).toEqual(before);
      // And nothing was half-done: the same sync then succeeds, with the same effect as on the probe.
      const retry = await sync(g.key, representative(g));
      expect(retry.status, retry.text).toBe(200);
      expect(normalize(withoutExt(retry.body, g.ext))).toEqual(normalize(withoutExt(ok.body, probe.ext)));
      // …and records it once: the same entries as the probe's, each with its outbox row.
      const recorded = await dumpTenant(h, g.tenantId);
      expect(recorded.client_history.length - before.client_history.length).toBe(after.client_history.length - probeBefore.client_history.length);
      expect(recorded.event_outbox.length - before.event_outbox.length).toBe(after.event_outbox.length - probeBefore.event_outbox.length);
    }
  });
});

describe("dryRun", () => {
  it("answers what the real sync then answers, for a create and for an update", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `dry-${uniq()}`;
    const create = {
      client: { type: "company", name: "ACME", externalId: ext },
      addresses: [address({ isPrimary: true })],
      contactMethods: [{ value: "info@acme.mx" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe() }],
      documents: [{ type: "acta", category: "incorporation" }],
      linkedClients: [{ child: { type: "individual", name: "Rep" }, relationshipType: "legal_representative" }],
    };
    const dry = await sync(key, { ...create, dryRun: true });
    const real = await sync(key, create);
    expect(dry.status).toBe(200);
    expect(real.status).toBe(200);
    expect(dry.body.dryRun).toBe(true);
    expect(real.body.dryRun).toBe(false);
    expect(normalize({ ...dry.body, dryRun: false })).toEqual(normalize(real.body));

    const g = await seedGraph();
    const body = representative(g);
    const before = await dumpTenant(h, g.tenantId);
    const dry2 = await sync(g.key, { ...body, dryRun: true });
    expect(dry2.stats.rowsWritten).toBe(0);
    expect(await dumpTenant(h, g.tenantId)).toEqual(before);
    const real2 = await sync(g.key, body);
    expect(dry2.status, dry2.text).toBe(200);
    expect(real2.status, real2.text).toBe(200);
    // Existing records keep their ids: only the new ones are renumbered.
    const existing = new Set<string>(
      Object.values(before).flatMap((rows) => (rows as { id?: string }[]).flatMap((r) => (r.id ? [r.id] : []))),
    );
    expect(normalize({ ...dry2.body, dryRun: false }, existing)).toEqual(normalize(real2.body, existing));
  });
});
