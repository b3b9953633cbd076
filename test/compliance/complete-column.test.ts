// The `complete` column (API.md §16, migration 0011) behind GET /clients?complete=: computed in SQL
// by the write batch (compliance/sql.ts) from the same requirement rows as the evaluator, so it
// MUST equal `complete` of GET /clients/{id}/completeness — checked over generated graphs —, kept
// by every write (sync, batch, upload, DELETE of a beneficiary), for the clients a changed
// beneficiary belongs to too, never written by a no-op, and computed by the cron where unknown or
// where a counted document expired.
import { env as workerEnv } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { recomputeCompleteness } from "../../src/db/completeness";
import { clients, type ClientRow } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { completenessEnvironments } from "../../src/write/completeness";
import { pdfBytes, upload } from "../files/support";
import { prng, type Prng } from "../reliability/support";
import { createHarness } from "../support/harness";

const h = createHarness();
const today = () => new Date().toISOString().slice(0, 10);

const CURP = "GODE561231HDFABC09";
const RFC_PF = "GODE561231GR8";
const uploaded = { status: "uploaded", sha256: "a".repeat(64), uploadedAt: "2026-01-01T00:00:00.000Z" };

async function columnOf(id: string): Promise<boolean | null> {
  const [row] = await h.rows("test", clients, { id });
  return row!.complete;
}


const SCOPE_SETS = [[], ["base"], ["MX"], ["MX:AV:INM"], ["MX:AV:AVI", "base"], ["MX:CNBV:TRANSMISOR"], ["MX:AV"], ["MX:CNBV", "MX:AV:VEH"]];

async function randomClient(tenantId: string, r: Prng, type: string, scopes: string[], primary = true): Promise<ClientRow> {
  const mx: Record<string, unknown> = {};
  if (r.chance(0.8)) mx.rfc = RFC_PF;
  if (r.chance(0.7)) mx.curp = CURP;
  if (r.chance(0.5)) mx.actividadVulnerable = r.pick([{ INM: {} }, { AVI: { username: "u" } }, { AVI: {} }, { VEH: {} }]);
  if (r.chance(0.5)) mx.cnbv = { TRANSMISOR: r.pick([{ numeroCuenta: "1", claveSujetoObligado: "2" }, { numeroCuenta: "1" }, { numeroCuenta: " " }]) };
  const client = await h.seedClient("test", tenantId, {
    type,
    name: "X",
    isPrimary: primary,
    lastName: r.chance(0.8) ? r.pick(["Paz", "  ", "\t"]) : null,
    birthDate: r.chance(0.8) ? "1956-12-31" : null,
    nationalities: r.pick([[], ["MX"], ["US"]]),
    scopes,
    metadata: r.chance(0.6) ? { actividadEconomica: r.pick(["Comercio", "", 5]) } : {},
    scopeData: { MX: mx },
  });
  if (r.chance(0.8)) await h.seedAddress("test", client);
  if (r.chance(0.5)) await h.seedContactMethod("test", client, { type: r.pick(["email", "phone", "fax"]), value: "a@b.co" });
  for (const category of ["identity", "address", "incorporation"]) {
    if (!r.chance(0.7)) continue;
    const expiresAt = r.pick([null, null, "2020-01-01", "2999-01-01"]);
    await h.seedDocument("test", client, r.chance(0.8) ? { category, ...uploaded, expiresAt } : { category, expiresAt });
  }
  return client;
}

describe("the complete column", () => {
  it("equals GET /clients/{id}/completeness over generated graphs (the SQL and the evaluator agree)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seen = { complete: 0, incomplete: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const r = prng(seed);
      const type = r.pick(["individual", "company", "trust"]);
      const scopes = r.pick(SCOPE_SETS);
      const client = await randomClient(tenantId, r, type, scopes);
      if (type !== "individual") {
        if (r.chance(0.7)) await h.seedLink("test", client, await h.seedClient("test", tenantId, { name: "Rep", isPrimary: false }), { relationshipType: "legal_representative" });
        const owners = r.pick([0, 1, 2]);
        for (let i = 0; i < owners; i++) {
          const ownerType = r.chance(0.85) ? "individual" : "company";
          const owner = await randomClient(tenantId, r, ownerType, [], false);
          const metadata = r.pick([{ ownershipPercent: 50 }, { ownershipPercent: 25 }, { ownershipPercent: 10 }, {}]);
          await h.seedLink("test", client, owner, { relationshipType: r.chance(0.9) ? "controlling_beneficiary" : "guarantor", metadata });
        }
      }
      await recomputeCompleteness(h.db("test"), tenantId, [client.id], today());
      const api = await h.get(`/clients/${client.id}/completeness`, { key });
      expect(api.status).toBe(200);
      expect(await columnOf(client.id), `seed ${seed}: ${JSON.stringify(api.body)}`).toBe(api.body.complete);
      seen[api.body.complete ? "complete" : "incomplete"]++;
    }
    // The generator reaches both answers (else this test could not fail).
    expect(seen.complete).toBeGreaterThan(3);
    expect(seen.incomplete).toBeGreaterThan(3);
  }, 120_000);

  it("is kept by sync, upload and batch; GET /clients?complete= lists by it; a no-op writes nothing", async () => {
    const { key } = await h.newTenantWithKey();
    const sync = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Dora", lastName: "Paz", scopes: ["base"], externalId: "dora" },
        addresses: [{ street: "Calle 1", city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX", externalId: "a1" }],
        documents: [{ type: "ine", category: "identity", contentType: "application/pdf", externalId: "ine-1" }],
      },
      { key },
    );
    expect(sync.status, sync.text).toBe(200);
    const id = sync.body.client.id;
    expect(await columnOf(id)).toBe(false);
    const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "Acme" }] }, { key });
    expect(batch.status).toBe(200);
    expect(await columnOf(batch.body.data[0].id)).toBe(false);

    const listed = async (complete: boolean) => (await h.get(`/clients?complete=${complete}`, { key })).body.data.map((c: { id: string }) => c.id);
    expect(await listed(false)).toEqual([id, batch.body.data[0].id]);
    expect(await listed(true)).toEqual([]);

    const documentId = sync.body.documents.created[0].id;
    expect((await upload(h, `/clients/${id}/documents/${documentId}/file`, key, pdfBytes(500))).status).toBe(200);
    expect(await columnOf(id)).toBe(true);
    expect(await listed(true)).toEqual([id]);
    expect(await listed(false)).toEqual([batch.body.data[0].id]);
    const page = await h.get(`/clients?complete=true&limit=1`, { key });
    expect(page.stats.roundTrips).toBe(1);

    // A no-op sync: nothing written, the column untouched.
    const again = await h.post("/clients/sync", { client: { externalId: "dora", lastName: "Paz" } }, { key });
    expect(again.status).toBe(200);
    expect(again.stats.rowsWritten).toBe(0);
    // A change that breaks it: the address removed.
    const removed = await h.post("/clients/sync", { client: { externalId: "dora" }, addresses: [{ externalId: "a1", _delete: true }] }, { key });
    expect(removed.status, removed.text).toBe(200);
    expect(await columnOf(id)).toBe(false);
  });

  it("a cursor of one filter is refused under another", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    for (let i = 0; i < 3; i++) await h.post("/clients/batch", { items: [{ type: "company", name: `C${i}` }] }, { key });
    void tenantId;
    const first = await h.get(`/clients?complete=false&limit=1`, { key });
    expect(first.body.pagination.hasMore).toBe(true);
    const cursor = first.body.pagination.nextCursor;
    expect((await h.get(`/clients?complete=false&limit=1&cursor=${cursor}`, { key })).status).toBe(200);
    expect((await h.get(`/clients?complete=true&limit=1&cursor=${cursor}`, { key })).status).toBe(400);
    expect((await h.get(`/clients?limit=1&cursor=${cursor}`, { key })).status).toBe(400);
    expect((await h.get(`/clients?complete=yes`, { key })).status).toBe(400);
  });

  it("a beneficiary's change, or its DELETE, recomputes the company it belongs to", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const company = await h.seedClient("test", tenantId, { type: "company", name: "Acme", nationalities: ["MX"], scopes: ["MX"], scopeData: { MX: { rfc: "ABC680524P76" } } });
    await h.seedAddress("test", company);
    await h.seedDocument("test", company, { category: "incorporation", ...uploaded });
    await h.seedDocument("test", company, { category: "address", ...uploaded });
    const rep = await h.seedClient("test", tenantId, { type: "individual", name: "Rep", isPrimary: false });
    await h.seedLink("test", company, rep, { relationshipType: "legal_representative" });
    const owner = await h.seedClient("test", tenantId, {
      type: "individual", name: "Owner", lastName: "Paz", birthDate: "1956-12-31", nationalities: ["MX"], isPrimary: false,
      scopeData: { MX: { rfc: RFC_PF, curp: CURP } },
    });
    await h.seedAddress("test", owner);
    await h.seedDocument("test", owner, { category: "identity", ...uploaded });
    await h.seedDocument("test", owner, { category: "address", ...uploaded });
    await h.seedLink("test", company, owner, { relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 40 } });
    await recomputeCompleteness(h.db("test"), tenantId, [company.id], today());
    expect(await columnOf(company.id)).toBe(true);

    // The owner's own sync clears its last name: the company's column is computed in that batch.
    const cleared = await h.post("/clients/sync", { clientId: owner.id, client: { lastName: null } }, { key });
    expect(cleared.status, cleared.text).toBe(200);
    expect(await columnOf(company.id)).toBe(false);
    const back = await h.post("/clients/sync", { clientId: owner.id, client: { lastName: "Paz" } }, { key });
    expect(back.status).toBe(200);
    expect(await columnOf(company.id)).toBe(true);
    expect((await h.get(`/clients?complete=true`, { key })).body.data.map((c: { id: string }) => c.id)).toContain(company.id);

    // The owner deleted: the link goes with it, and so does the company's completeness.
    expect((await h.delete(`/clients/${owner.id}`, { key })).status).toBe(200);
    expect(await columnOf(company.id)).toBe(false);
    expect((await h.get(`/clients/${company.id}/completeness`, { key })).body.complete).toBe(false);
  });

  it("the cron computes unknown clients and those whose counted document expired", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { type: "individual", name: "Eva", lastName: "Sol", scopes: ["base"] });
    await h.seedAddress("test", client);
    await h.seedDocument("test", client, { category: "identity", ...uploaded, expiresAt: "2999-01-01" });
    expect(await columnOf(client.id)).toBeNull();
    expect((await h.get(`/clients?complete=true`, { key })).body.data).toEqual([]);
    await completenessEnvironments(workerEnv as unknown as Env);
    expect(await columnOf(client.id)).toBe(true);
    const [row] = await h.rows("test", clients, { id: client.id });
    expect(row!.completeUntil).toBe("2999-01-01");
    // On 2999-01-02 the document has expired: the cron computes the client again.
    await completenessEnvironments(workerEnv as unknown as Env, new Date("2999-01-02T00:00:00Z"));
    expect(await columnOf(client.id)).toBe(false);
    void key;
  });
});
