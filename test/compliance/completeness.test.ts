// GET /clients/{id}/completeness (API.md §16): the requirements per scope and client type, documents
// counting only when uploaded and not expired, controlling beneficiaries reaching 25 % each complete
// themselves, one round trip with the key, no reach into another tenant, and asOf.
import { describe, expect, it } from "vitest";
import { clients, type ClientRow } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { pdfBytes, upload } from "../files/support";

const h = createHarness();

// A real CURP (its check digit verifies) and RFCs of the right lengths.
const CURP = "GODE561231HDFABC09";
const RFC_PF = "GODE561231GR8";
const RFC_PM = "ABC680524P76";

const uploaded = { status: "uploaded", sha256: "a".repeat(64), uploadedAt: "2026-01-01T00:00:00.000Z" };

/** An individual complete for MX: every field, an address, an identity and a proof-of-address document uploaded. */
async function completeIndividual(tenantId: string, row: Partial<ClientRow> = {}) {
  const client = await h.seedClient("test", tenantId, {
    type: "individual",
    name: "Ana",
    lastName: "García",
    birthDate: "1956-12-31",
    nationalities: ["MX"],
    scopes: ["MX"],
    scopeData: { MX: { rfc: RFC_PF, curp: CURP } },
    ...row,
  });
  await h.seedAddress("test", client);
  await h.seedDocument("test", client, { category: "identity", ...uploaded });
  await h.seedDocument("test", client, { category: "address", ...uploaded });
  return client;
}

const scopeOf = (body: any, scope: string) => body.scopes.find((s: { scope: string }) => s.scope === scope);
const requirementsMissing = (body: any, scope: string) => scopeOf(body, scope).missing.map((m: { requirement: string }) => m.requirement);

describe("GET /clients/{id}/completeness", () => {
  it("a complete individual: complete, one round trip with the key", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await completeIndividual(tenantId);
    const res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ clientId: client.id, complete: true, scopes: [{ scope: "MX", complete: true, missing: [] }] });
    expect(res.stats.roundTrips).toBe(1);
  });

  it("an empty individual lists every missing requirement of the scope and its parents, with pointers", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { type: "individual", name: "Beto", nationalities: ["MX"], scopes: ["MX:AV:INM"] });
    const res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(res.status).toBe(200);
    expect(res.body.complete).toBe(false);
    expect(res.body.scopes).toHaveLength(1);
    expect(requirementsMissing(res.body, "MX:AV:INM")).toEqual([
      "base.lastName",
      "base.address",
      "base.identityDocument",
      "MX.birthDate",
      "MX.rfc",
      "MX.curp",
      "MX.proofOfAddress",
      "MX:AV.activity",
      "MX:AV.contact",
      "MX:AV:INM.activity",
    ]);
    const byId = Object.fromEntries(scopeOf(res.body, "MX:AV:INM").missing.map((m: any) => [m.requirement, m]));
    expect(byId["MX.rfc"].pointer).toBe("/scopeData/MX/rfc");
    expect(byId["MX:AV:INM.activity"].pointer).toBe("/scopeData/MX/actividadVulnerable/INM");
    expect(byId["base.identityDocument"]).toEqual({ pointer: "/documents", requirement: "base.identityDocument", reason: "No document of category identity" });
  });

  it("CURP is only asked of Mexican nationals", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await completeIndividual(tenantId, { nationalities: ["US"], scopeData: { MX: { rfc: RFC_PF } } });
    const res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(res.body.complete).toBe(true);
  });

  it("a document counts only when its file is uploaded and it has not expired", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { type: "individual", name: "Carla", lastName: "Ruiz", scopes: ["base"] });
    await h.seedAddress("test", client);
    const pending = await h.seedDocument("test", client, { category: "identity" });
    let res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(scopeOf(res.body, "base").missing).toEqual([
      { pointer: "/documents", requirement: "base.identityDocument", reason: `No document of category identity has an uploaded file (${pending.id}: pending_upload)` },
    ]);
    const expired = await h.seedDocument("test", client, { category: "identity", ...uploaded, expiresAt: "2020-01-01" });
    res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(scopeOf(res.body, "base").missing[0].reason).toBe(`Every uploaded document of category identity has expired (${expired.id}: 2020-01-01)`);
    await h.seedDocument("test", client, { category: "identity", ...uploaded, expiresAt: "2999-01-01" });
    res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(res.body).toMatchObject({ complete: true, scopes: [{ scope: "base", complete: true, missing: [] }] });
  });

  it("a client without scopes answers to base", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { type: "company", name: "Acme", scopes: [] });
    const res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(res.body.scopes.map((s: any) => s.scope)).toEqual(["base"]);
    expect(requirementsMissing(res.body, "base")).toEqual(["base.address", "base.incorporationDocument"]);
  });

  it("a company needs controlling beneficiaries reaching 25 %, each complete, and a legal representative", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const company = await h.seedClient("test", tenantId, { type: "company", name: "Acme", nationalities: ["MX"], scopes: ["MX"], scopeData: { MX: { rfc: RFC_PM } } });
    await h.seedAddress("test", company);
    await h.seedDocument("test", company, { category: "incorporation", ...uploaded });
    await h.seedDocument("test", company, { category: "address", ...uploaded });
    let res = await h.get(`/clients/${company.id}/completeness`, { key });
    expect(scopeOf(res.body, "MX").missing).toEqual([
      { pointer: "/linkedClients", requirement: "MX.legalRepresentative", reason: "No linked client with relationshipType legal_representative" },
      { pointer: "/linkedClients", requirement: "MX.controllingBeneficiaries", reason: "No linked controlling_beneficiary" },
    ]);

    // A representative, a beneficiary under the threshold, and a company declared as beneficiary.
    const rep = await h.seedClient("test", tenantId, { type: "individual", name: "Rep", isPrimary: false });
    await h.seedLink("test", company, rep, { relationshipType: "legal_representative", createdAt: "2026-01-01T00:00:00.001Z" });
    const small = await completeIndividual(tenantId, { isPrimary: false });
    await h.seedLink("test", company, small, { relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 10 }, createdAt: "2026-01-01T00:00:00.002Z" });
    const holding = await h.seedClient("test", tenantId, { type: "company", name: "Holding", isPrimary: false });
    await h.seedLink("test", company, holding, { relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 60 }, createdAt: "2026-01-01T00:00:00.003Z" });
    res = await h.get(`/clients/${company.id}/completeness`, { key });
    expect(scopeOf(res.body, "MX").missing).toEqual([
      {
        pointer: "/linkedClients/2/client/type",
        requirement: "MX.controllingBeneficiaries",
        reason: `A beneficiario controlador is a natural person; linked client ${holding.id} is a company`,
      },
      {
        pointer: "/linkedClients",
        requirement: "MX.controllingBeneficiaries",
        reason: "No linked controlling_beneficiary individual declares metadata.ownershipPercent of at least 25",
      },
    ]);

    // An incomplete beneficiary of 30 %: its own gaps are the company's.
    const owner = await h.seedClient("test", tenantId, { type: "individual", name: "Owner", nationalities: ["MX"], isPrimary: false });
    await h.seedLink("test", company, owner, { relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 30 }, createdAt: "2026-01-01T00:00:00.004Z" });
    res = await h.get(`/clients/${company.id}/completeness`, { key });
    expect(res.stats.roundTrips).toBe(1);
    const missing = scopeOf(res.body, "MX").missing.filter((m: any) => m.pointer.startsWith("/linkedClients/3"));
    expect(missing.map((m: any) => m.pointer)).toEqual([
      "/linkedClients/3/client/lastName",
      "/linkedClients/3/client/addresses",
      "/linkedClients/3/client/documents",
      "/linkedClients/3/client/birthDate",
      "/linkedClients/3/client/scopeData/MX/rfc",
      "/linkedClients/3/client/scopeData/MX/curp",
      "/linkedClients/3/client/documents",
    ]);
    expect(missing[0].reason).toBe(`Beneficiario controlador ${owner.id}: Last name (apellido paterno): not set (base.lastName)`);
  });

  it("a company complete with a complete beneficiary of 25 %", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const company = await h.seedClient("test", tenantId, { type: "trust", name: "Fideicomiso 1", nationalities: ["MX"], scopes: ["MX", "base"], scopeData: { MX: { rfc: RFC_PM } } });
    await h.seedAddress("test", company);
    await h.seedDocument("test", company, { category: "incorporation", ...uploaded });
    await h.seedDocument("test", company, { category: "address", ...uploaded });
    const rep = await h.seedClient("test", tenantId, { type: "individual", name: "Delegado", isPrimary: false });
    await h.seedLink("test", company, rep, { relationshipType: "legal_representative" });
    const owner = await completeIndividual(tenantId, { isPrimary: false });
    await h.seedLink("test", company, owner, { relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 25 } });
    const res = await h.get(`/clients/${company.id}/completeness`, { key });
    expect(res.body).toEqual({
      clientId: company.id,
      complete: true,
      scopes: [
        { scope: "MX", complete: true, missing: [] },
        { scope: "base", complete: true, missing: [] },
      ],
    });
  });

  it("TRANSMISOR and AVI scope data", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await completeIndividual(tenantId, {
      scopes: ["MX:CNBV:TRANSMISOR", "MX:AV:AVI"],
      metadata: { actividadEconomica: "Comerciante" },
      scopeData: { MX: { rfc: RFC_PF, curp: CURP, cnbv: { TRANSMISOR: { numeroCuenta: "123" } }, actividadVulnerable: { AVI: {} } } },
    });
    await h.seedContactMethod("test", client, { type: "email", value: "a@example.com" });
    const res = await h.get(`/clients/${client.id}/completeness`, { key });
    expect(requirementsMissing(res.body, "MX:CNBV:TRANSMISOR")).toEqual(["MX:CNBV:TRANSMISOR.claveSujetoObligado"]);
    expect(requirementsMissing(res.body, "MX:AV:AVI")).toEqual(["MX:AV:AVI.username"]);
  });

  it("another tenant's client is a 404 and nothing of it is read; a key without clients:read is a 403", async () => {
    const { tenantId } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const client = await completeIndividual(tenantId);
    const res = await h.get(`/clients/${client.id}/completeness`, { key: other.key });
    expect(res.status).toBe(404);
    expect(res.stats.roundTrips).toBe(1);
    const noRead = await h.createKey({ tenantId, permissions: ["clients:create"] });
    expect((await h.get(`/clients/${client.id}/completeness`, { key: noRead })).status).toBe(403);
    expect((await h.get(`/clients/not-a-uuid/completeness`, { key: other.key })).status).toBe(400);
    expect((await h.get(`/clients/${client.id}/completeness?foo=1`, { key: other.key })).status).toBe(400);
  });

  it("asOf: the completeness as it was, needing clients:history", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const sync = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Dora", lastName: "Paz", scopes: ["base"] },
        addresses: [{ street: "Calle 1", city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX" }],
        documents: [{ type: "ine", category: "identity", contentType: "application/pdf", externalId: "ine-1" }],
      },
      { key },
    );
    expect(sync.status, sync.text).toBe(200);
    const id = sync.body.client.id;
    const documentId = sync.body.documents.created[0].id;
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expect((await upload(h, `/clients/${id}/documents/${documentId}/file`, key, pdfBytes(1000))).status).toBe(200);
    expect((await h.get(`/clients/${id}/completeness`, { key })).body.complete).toBe(true);
    const then = await h.get(`/clients/${id}/completeness?asOf=${before}`, { key });
    expect(then.status, then.text).toBe(200);
    expect(then.body.complete).toBe(false);
    expect(requirementsMissing(then.body, "base")).toEqual(["base.identityDocument"]);
    expect(then.stats.roundTrips).toBe(1);
    expect((await h.get(`/clients/${id}/completeness?asOf=2020-01-01T00:00:00Z`, { key })).status).toBe(404);
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read"] });
    expect((await h.get(`/clients/${id}/completeness?asOf=${before}`, { key: readOnly })).status).toBe(403);
  });
});

describe("link metadata.ownershipPercent", () => {
  it("is a number in (0, 100]: anything else is a 400 at its pointer, and nothing is written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    for (const bad of ["25", 0, -1, 100.5, null]) {
      const res = await h.post(
        "/clients/sync",
        {
          client: { type: "company", name: "Acme" },
          linkedClients: [{ child: { type: "individual", name: "Owner" }, relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: bad } }],
        },
        { key },
      );
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toContain("/linkedClients/0/metadata/ownershipPercent");
    }
    expect(await h.count("test", clients, tenantId)).toBe(0);
    const ok = await h.post(
      "/clients/sync",
      {
        client: { type: "company", name: "Acme" },
        linkedClients: [{ child: { type: "individual", name: "Owner" }, relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 33.5 } }],
      },
      { key },
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.client.linkedClients[0].metadata).toEqual({ ownershipPercent: 33.5 });
  });
});
