// POST /clients/sync, the rules of API.md §6 (and the §4 rules a sync applies), each checked on the
// response AND on the database.
import { describe, expect, it } from "vitest";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents } from "../../src/db/schema";
import { DOCUMENT_KEYS } from "../support/contract-keys";
import { createHarness } from "../support/harness";
import { clabe, countsOf, curp, dumpTenant, pointers, RFC_COMPANY, RFC_INDIVIDUAL, sleep, uniq } from "./helpers";

const h = createHarness();

const sync = (key: string, body: unknown, headers?: Record<string, string>) => h.post("/clients/sync", body, { key, headers });

const address = (over: Record<string, unknown> = {}) => ({
  street: "Av. Reforma 1",
  city: "CDMX",
  state: "CDMX",
  postalCode: "06600",
  country: "MX",
  ...over,
});

/** A tenant with one client created through the API; returns its response. */
async function withClient(body: Record<string, unknown> = {}) {
  const { tenantId, key } = await h.newTenantWithKey();
  const res = await sync(key, { client: { type: "individual", name: "Ana", externalId: `ana-${uniq()}` }, ...body });
  expect(res.status, res.text).toBe(200);
  return { tenantId, key, res, client: res.body.client, id: res.body.client.id as string };
}

const SYNC_KEYS = ["action", "client", "addresses", "contactMethods", "bankAccounts", "documents", "linkedClients", "dryRun", "duplicates"];
const EMPTY_REPORT = { created: [], updated: [], deleted: [] };

// -------------------------------------------------------------------------------------------------
describe("which client", () => {
  it("creates a client from `client` when there is no clientId; the response is the stored graph", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `new-${uniq()}`;
    const res = await sync(key, { client: { type: "company", name: "ACME", externalId: ext, scopeData: { MX: { rfc: RFC_COMPANY } } } });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body)).toEqual(SYNC_KEYS);
    expect(res.body.action).toBe("created");
    expect(res.body.dryRun).toBe(false);
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"]) {
      expect(res.body[list]).toEqual(EMPTY_REPORT);
    }
    const [row] = await h.rows("test", clients, { tenantId, externalId: ext });
    expect(row).toMatchObject({ id: res.body.client.id, type: "company", name: "ACME", isPrimary: true, version: 1 });
    const get = await h.get(`/clients/${row!.id}`, { key });
    expect(get.body).toEqual(res.body.client);
    expect(res.headers.get("etag")).toBe(get.headers.get("etag"));
  });

  it("updates the client whose externalId `client.externalId` names, without creating another", async () => {
    const { tenantId, key, id } = await withClient();
    const [before] = await h.rows("test", clients, { id });
    const res = await sync(key, { client: { externalId: before!.externalId, name: "Ana María" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.action).toBe("updated");
    expect(res.body.client.id).toBe(id);
    expect(await h.count("test", clients, tenantId)).toBe(1);
    const [after] = await h.rows("test", clients, { id });
    expect(after).toMatchObject({ name: "Ana María", type: "individual", version: before!.version + 1 });
  });

  it("updates the client named by clientId with the partial `client`", async () => {
    const { key, id } = await withClient();
    const res = await sync(key, { clientId: id, client: { lastName: "López" } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.action).toBe("updated");
    const [row] = await h.rows("test", clients, { id });
    expect(row).toMatchObject({ name: "Ana", lastName: "López" });
  });

  it("answers 404 for a clientId of another tenant (or unknown), and touches nothing", async () => {
    const other = await withClient();
    const { tenantId, key } = await h.newTenantWithKey();
    const otherBefore = await dumpTenant(h, other.tenantId);
    for (const clientId of [other.id, crypto.randomUUID()]) {
      const res = await sync(key, { clientId, client: { name: "Stolen" }, addresses: [address()] });
      expect(res.status, res.text).toBe(404);
      expect(res.body.code).toBe("NOT_FOUND");
      expect(pointers(res.body)).toEqual(["/clientId"]);
    }
    expect(await dumpTenant(h, other.tenantId)).toEqual(otherBefore);
    expect(await countsOf(h, tenantId)).toMatchObject({ clients: 0, addresses: 0 });
  });

  it("requires `client` without clientId, and type and name when creating", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const none = await sync(key, { addresses: [address()] });
    expect(none.status).toBe(400);
    expect(pointers(none.body)).toEqual(["/client"]);
    const partial = await sync(key, { client: { externalId: `x-${uniq()}` } });
    expect(partial.status).toBe(400);
    expect(pointers(partial.body).sort()).toEqual(["/client/name", "/client/type"]);
    expect(await countsOf(h, tenantId)).toMatchObject({ clients: 0, addresses: 0 });
  });

  it("answers 409 when the client's externalId would become another client's", async () => {
    const { tenantId, key, id } = await withClient();
    const other = await sync(key, { client: { type: "individual", name: "Bea", externalId: `bea-${uniq()}` } });
    const before = await dumpTenant(h, tenantId);
    const res = await sync(key, { clientId: id, client: { externalId: other.body.client.externalId } });
    expect(res.status, res.text).toBe(409);
    expect(pointers(res.body)).toEqual(["/client/externalId"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });
});

// -------------------------------------------------------------------------------------------------
describe("partial updates", () => {
  it("replaces present keys, clears with null, leaves absent keys (client)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const created = await sync(key, {
      client: {
        type: "individual",
        name: "Ana",
        middleName: "María",
        lastName: "García",
        birthDate: "1990-06-15",
        nationalities: "mx",
        scopes: ["base", "MX"],
        externalId: `ana-${uniq()}`,
        metadata: { a: 1, keep: true },
        employment: { isEmployee: true, position: "CFO" },
        scopeData: { MX: { rfc: RFC_INDIVIDUAL.toLowerCase(), curp: curp() } },
      },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.body.client.id;
    const [stored] = await h.rows("test", clients, { id });
    expect(stored).toMatchObject({
      nationalities: ["MX"],
      employment: { isEmployee: true, employeeId: null, position: "CFO", department: null, startDate: null },
      scopeData: { MX: { rfc: RFC_INDIVIDUAL, curp: curp() } },
    });

    const res = await sync(key, { clientId: id, client: { middleName: null, metadata: { b: 2 }, employment: null, nationalities: null } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.action).toBe("updated");
    const [row] = await h.rows("test", clients, { id });
    expect(row).toMatchObject({
      name: "Ana",
      middleName: null,
      lastName: "García",
      birthDate: "1990-06-15",
      nationalities: [],
      scopes: ["base", "MX"],
      metadata: { b: 2 },
      employment: null,
      scopeData: { MX: { rfc: RFC_INDIVIDUAL, curp: curp() } },
    });
    expect(res.body.client).toMatchObject({ middleName: null, lastName: "García", metadata: { b: 2 }, employment: null });
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("replaces present keys, clears with null, leaves absent keys (items)", async () => {
    const { key, id } = await withClient({
      addresses: [address({ externalId: "a1", metadata: { x: 1 }, scopeData: { MX: { neighborhood: "Juárez" } } })],
      bankAccounts: [{ accountNumber: "1", bankName: "BBVA", currency: "MXN", label: "main", externalId: "b1" }],
    });
    const res = await sync(key, {
      clientId: id,
      addresses: [{ externalId: "a1", city: "Guadalajara", country: null, metadata: null }],
      bankAccounts: [{ externalId: "b1", label: null }],
    });
    expect(res.status, res.text).toBe(200);
    const [a] = await h.rows("test", addresses, { clientId: id });
    expect(a).toMatchObject({
      street: "Av. Reforma 1",
      city: "Guadalajara",
      state: "CDMX",
      postalCode: "06600",
      country: null,
      metadata: {},
      scopeData: { MX: { neighborhood: "Juárez" } },
    });
    const [b] = await h.rows("test", bankAccounts, { clientId: id });
    expect(b).toMatchObject({ accountNumber: "1", bankName: "BBVA", label: null, currency: "MXN" });
    expect(res.body.addresses.updated).toEqual([expect.objectContaining({ city: "Guadalajara", country: null })]);
  });

  it("applies the §4 rules to the merged client: a CURP on a client becoming a company is a 400", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const created = await sync(key, { client: { type: "individual", name: "Ana", scopeData: { MX: { curp: curp() } } } });
    expect(created.status, created.text).toBe(200);
    const before = await dumpTenant(h, tenantId);
    const res = await sync(key, { clientId: created.body.client.id, client: { type: "company" } });
    expect(res.status, res.text).toBe(400);
    expect(pointers(res.body)).toEqual(["/client/scopeData/MX/curp"]);
    // A 13-character (individual) RFC on a client becoming a company: same.
    const rfc = await sync(key, { client: { type: "individual", name: "Bea", scopeData: { MX: { rfc: RFC_INDIVIDUAL } } } });
    const before2 = await dumpTenant(h, tenantId);
    const res2 = await sync(key, { clientId: rfc.body.client.id, client: { type: "company" } });
    expect(res2.status).toBe(400);
    expect(pointers(res2.body)).toEqual(["/client/scopeData/MX/rfc"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before2);
    expect(before2.clients).toContainEqual(before.clients![0]);
  });

  it("applies the §4 rules to merged items: changing an address's country to MX checks its postal code", async () => {
    const { tenantId, key, id } = await withClient({ addresses: [address({ country: "GB", postalCode: "SW1A 1AA", externalId: "uk" })] });
    const before = await dumpTenant(h, tenantId);
    const res = await sync(key, { clientId: id, addresses: [{ externalId: "uk", country: "MX" }] });
    expect(res.status).toBe(400);
    expect(pointers(res.body)).toEqual(["/addresses/0/postalCode"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });
});

// -------------------------------------------------------------------------------------------------
describe("matching items", () => {
  it("matches by id, then by externalId, else creates", async () => {
    const { key, id, res } = await withClient({ addresses: [address({ externalId: "a1" }), address({ street: "Second" })] });
    const [a1, a2] = res.body.addresses.created;
    const out = await sync(key, {
      clientId: id,
      addresses: [
        { id: a2.id, street: "Second, renamed", externalId: "a2" }, // by id (and takes an externalId)
        { externalId: "a1", street: "First, renamed" }, // by externalId
        address({ street: "Third", externalId: "a3" }), // new
      ],
    });
    expect(out.status, out.text).toBe(200);
    expect(out.body.addresses.updated.map((a: any) => a.id).sort()).toEqual([a1.id, a2.id].sort());
    expect(out.body.addresses.created).toHaveLength(1);
    const rows = await h.rows("test", addresses, { clientId: id });
    expect(rows.map((r) => [r.street, r.externalId]).sort()).toEqual([
      ["First, renamed", "a1"],
      ["Second, renamed", "a2"],
      ["Third", "a3"],
    ]);
  });

  it("matches against the stored state: reusing a renamed child's old externalId targets that child (400)", async () => {
    const { tenantId, key, id, res } = await withClient({ addresses: [address({ externalId: "a1" })] });
    const a1 = res.body.addresses.created[0].id;
    const before = await dumpTenant(h, tenantId);
    const out = await sync(key, { clientId: id, addresses: [{ id: a1, externalId: "a1-old" }, address({ street: "New", externalId: "a1" })] });
    expect(out.status, out.text).toBe(400);
    expect(pointers(out.body)).toEqual(["/addresses/1"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("lets one sync swap the externalIds of two children", async () => {
    const { key, id, res } = await withClient({ addresses: [address({ externalId: "x" }), address({ externalId: "y" })] });
    const [ax, ay] = res.body.addresses.created;
    const out = await sync(key, { clientId: id, addresses: [{ id: ax.id, externalId: "y" }, { id: ay.id, externalId: "x" }] });
    expect(out.status, out.text).toBe(200);
    const rows = await h.rows("test", addresses, { clientId: id });
    expect(Object.fromEntries(rows.map((r) => [r.id, r.externalId]))).toEqual({ [ax.id]: "y", [ay.id]: "x" });
    expect(out.stats.batchSizes).toHaveLength(2); // no retry; the key lookup shares the first round trip
  });

  it("answers 404 with the item's pointer for another client's child id and another tenant's child id", async () => {
    const mine = await withClient();
    const neighbour = await sync(mine.key, {
      client: { type: "individual", name: "Neighbour" },
      addresses: [address()],
      contactMethods: [{ value: "n@example.com" }],
    });
    const foreign = await withClient({ documents: [{ type: "ine" }] });
    const before = await dumpTenant(h, mine.tenantId);
    const res = await sync(mine.key, {
      clientId: mine.id,
      addresses: [address({ externalId: "ok" }), { id: neighbour.body.addresses.created[0].id, street: "x" }],
      contactMethods: [{ id: neighbour.body.contactMethods.created[0].id, _delete: true }],
      documents: [{ id: foreign.res.body.documents.created[0].id, type: "passport" }],
    });
    expect(res.status, res.text).toBe(404);
    expect(pointers(res.body)).toEqual(["/addresses/1/id", "/contactMethods/0/id", "/documents/0/id"]);
    expect(await dumpTenant(h, mine.tenantId)).toEqual(before);
    expect((await h.rows("test", documents, { id: foreign.res.body.documents.created[0].id }))[0]?.type).toBe("ine");
  });

  it("answers 409 for an externalId held by a child of another client (never re-parents)", async () => {
    const mine = await withClient();
    const ext = `shared-${uniq()}`;
    const other = await sync(mine.key, { client: { type: "individual", name: "Other" }, bankAccounts: [{ accountNumber: "9", bankName: "B", currency: "MXN", externalId: ext }] });
    expect(other.status).toBe(200);
    const before = await dumpTenant(h, mine.tenantId);
    const res = await sync(mine.key, { clientId: mine.id, bankAccounts: [{ accountNumber: "1", bankName: "Mine", currency: "MXN", externalId: ext }] });
    expect(res.status, res.text).toBe(409);
    expect(pointers(res.body)).toEqual(["/bankAccounts/0/externalId"]);
    expect(await dumpTenant(h, mine.tenantId)).toEqual(before);
  });

  it("checks an item's clientId: equal is fine, different is 400, any when creating is 400", async () => {
    const { tenantId, key, id } = await withClient();
    const ok = await sync(key, { clientId: id, addresses: [address({ clientId: id.toUpperCase() })] });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.addresses.created[0].clientId).toBe(id);
    const before = await dumpTenant(h, tenantId);
    const wrong = await sync(key, { clientId: id, addresses: [address({ clientId: crypto.randomUUID() })] });
    expect(wrong.status).toBe(400);
    expect(pointers(wrong.body)).toEqual(["/addresses/0/clientId"]);
    const creating = await sync(key, { client: { type: "individual", name: "New" }, contactMethods: [{ value: "a@b.co", clientId: id }] });
    expect(creating.status).toBe(400);
    expect(pointers(creating.body)).toEqual(["/contactMethods/0/clientId"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("answers 400 for the same id or externalId twice in one list, or two items targeting one child", async () => {
    const { tenantId, key, id, res } = await withClient({ addresses: [address({ externalId: "a1" })] });
    const a1 = res.body.addresses.created[0].id;
    const before = await dumpTenant(h, tenantId);
    const dupId = await sync(key, { clientId: id, addresses: [{ id: a1, city: "X" }, { id: a1, city: "Y" }] });
    expect(dupId.status).toBe(400);
    expect(pointers(dupId.body)).toEqual(["/addresses/1/id"]);
    const dupExt = await sync(key, { clientId: id, documents: [{ externalId: "d" }, { externalId: "d" }] });
    expect(dupExt.status).toBe(400);
    expect(pointers(dupExt.body)).toEqual(["/documents/1/externalId"]);
    const same = await sync(key, { clientId: id, addresses: [{ id: a1, city: "X" }, { externalId: "a1", city: "Y" }] });
    expect(same.status).toBe(400);
    expect(pointers(same.body)).toEqual(["/addresses/1"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("_delete: by id deletes, unknown id is 404, an externalId matching nothing is a no-op", async () => {
    const { tenantId, key, id, res } = await withClient({ contactMethods: [{ value: "a@b.co", externalId: "c1" }, { value: "+525512345678", externalId: "c2" }] });
    const [c1, c2] = res.body.contactMethods.created;
    const del = await sync(key, { clientId: id, contactMethods: [{ id: c1.id, _delete: true }] });
    expect(del.status, del.text).toBe(200);
    expect(del.body.contactMethods).toEqual({ created: [], updated: [], deleted: [c1.id] });
    expect((await h.rows("test", contactMethods, { clientId: id })).map((r) => r.id)).toEqual([c2.id]);
    expect(del.body.client.email).toBeNull();

    const byExt = await sync(key, { clientId: id, contactMethods: [{ externalId: "c2", _delete: true }] });
    expect(byExt.body.contactMethods.deleted).toEqual([c2.id]);
    expect(await h.count("test", contactMethods, tenantId)).toBe(0);

    const before = await dumpTenant(h, tenantId);
    const unknown = await sync(key, { clientId: id, contactMethods: [{ id: crypto.randomUUID(), _delete: true }] });
    expect(unknown.status).toBe(404);
    expect(pointers(unknown.body)).toEqual(["/contactMethods/0/id"]);
    const gone = await sync(key, { clientId: id, contactMethods: [{ externalId: "c1", _delete: true }, { externalId: "never", _delete: true }] });
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body.contactMethods).toEqual(EMPTY_REPORT);
    expect(gone.stats.rowsWritten).toBe(0);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("replaceMode deletes untargeted children of the lists present only", async () => {
    const { tenantId, key, id, res } = await withClient({
      addresses: [address({ externalId: "a1" }), address({ externalId: "a2" })],
      contactMethods: [{ value: "a@b.co" }],
      documents: [{ type: "ine" }, { type: "passport" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN" }],
    });
    const a2 = res.body.addresses.created[1].id;
    const out = await sync(key, { clientId: id, replaceMode: true, addresses: [{ externalId: "a1" }, address({ externalId: "a3" })], documents: [] });
    expect(out.status, out.text).toBe(200);
    expect(out.body.addresses.deleted).toEqual([a2]);
    expect(out.body.documents.deleted.sort()).toEqual(res.body.documents.created.map((d: any) => d.id).sort());
    expect(out.body.contactMethods).toEqual(EMPTY_REPORT);
    expect(out.body.bankAccounts).toEqual(EMPTY_REPORT);
    expect(await countsOf(h, tenantId)).toMatchObject({ addresses: 2, contact_methods: 1, bank_accounts: 1, documents: 0 });
    expect((await h.rows("test", addresses, { clientId: id })).map((r) => r.externalId).sort()).toEqual(["a1", "a3"]);
  });
});

// -------------------------------------------------------------------------------------------------
describe("links", () => {
  it("clientId only links an existing client (404 for unknown or another tenant's)", async () => {
    const { tenantId, key, id } = await withClient();
    const other = await sync(key, { client: { type: "company", name: "Holding" } });
    const res = await sync(key, { clientId: id, linkedClients: [{ clientId: other.body.client.id, relationshipType: "controlling_beneficiary" }] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.action).toBe("unchanged");
    expect(res.body.linkedClients.created).toEqual([
      expect.objectContaining({ relationshipType: "controlling_beneficiary", metadata: {}, client: expect.objectContaining({ id: other.body.client.id, isPrimary: true }) }),
    ]);
    const links = await h.rows("test", clientLinks, { parentClientId: id });
    expect(links).toMatchObject([{ childClientId: other.body.client.id, relationshipType: "controlling_beneficiary", tenantId }]);
    expect(res.body.client.linkedClients).toEqual(res.body.linkedClients.created);

    const foreign = await withClient();
    const before = await dumpTenant(h, tenantId);
    for (const clientId of [foreign.id, crypto.randomUUID()]) {
      const bad = await sync(key, { clientId: id, linkedClients: [{ clientId }] });
      expect(bad.status, bad.text).toBe(404);
      expect(pointers(bad.body)).toEqual(["/linkedClients/0/clientId"]);
    }
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("child only creates a non-primary client, or updates and links the one its externalId names", async () => {
    const { tenantId, key, id } = await withClient();
    const ext = `rep-${uniq()}`;
    const res = await sync(key, { clientId: id, linkedClients: [{ child: { type: "individual", name: "Rep", externalId: ext }, relationshipType: "legal_representative" }] });
    expect(res.status, res.text).toBe(200);
    const [rep] = await h.rows("test", clients, { tenantId, externalId: ext });
    expect(rep).toMatchObject({ name: "Rep", isPrimary: false });
    expect(res.body.linkedClients.created[0].client).toMatchObject({ id: rep!.id, isPrimary: false });

    const existing = await sync(key, { client: { type: "individual", name: "Existing", externalId: `ex-${uniq()}` } });
    const again = await sync(key, {
      clientId: id,
      linkedClients: [{ child: { externalId: existing.body.client.externalId, lastName: "Linked" }, relationshipType: "guarantor" }],
    });
    expect(again.status, again.text).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(3);
    const [row] = await h.rows("test", clients, { id: existing.body.client.id });
    expect(row).toMatchObject({ name: "Existing", lastName: "Linked", isPrimary: true });
    expect(await h.rows("test", clientLinks, { parentClientId: id, childClientId: existing.body.client.id })).toHaveLength(1);
  });

  it("clientId and child: updates that client with child and links it", async () => {
    const { tenantId, key, id } = await withClient();
    const other = await sync(key, { client: { type: "individual", name: "Other" } });
    const res = await sync(key, { clientId: id, linkedClients: [{ clientId: other.body.client.id, child: { middleName: "Middle" } }] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.linkedClients.created[0].client).toMatchObject({ id: other.body.client.id, middleName: "Middle" });
    expect((await h.rows("test", clients, { id: other.body.client.id }))[0]).toMatchObject({ middleName: "Middle", name: "Other" });
    expect(await h.count("test", clients, tenantId)).toBe(2);
  });

  it("re-listing a link updates its type and metadata; identical re-listing writes nothing", async () => {
    const { key, id } = await withClient();
    const other = await sync(key, { client: { type: "individual", name: "Other" } });
    const first = await sync(key, { clientId: id, linkedClients: [{ clientId: other.body.client.id, relationshipType: "guarantor", metadata: { a: 1 } }] });
    const link = first.body.linkedClients.created[0];
    await sleep(3);
    const res = await sync(key, { clientId: id, linkedClients: [{ clientId: other.body.client.id, relationshipType: "legal_representative", metadata: { b: 2 } }] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.linkedClients.created).toEqual([]);
    expect(res.body.linkedClients.updated).toEqual([expect.objectContaining({ id: link.id, relationshipType: "legal_representative", metadata: { b: 2 } })]);
    const [row] = await h.rows("test", clientLinks, { id: link.id });
    expect(row).toMatchObject({ relationshipType: "legal_representative", metadata: { b: 2 }, createdAt: link.createdAt });
    expect(row!.updatedAt > link.updatedAt).toBe(true);
    const same = await sync(key, { clientId: id, linkedClients: [{ clientId: other.body.client.id, relationshipType: "legal_representative", metadata: { b: 2 } }] });
    expect(same.body.linkedClients).toEqual(EMPTY_REPORT);
    expect(same.stats.rowsWritten).toBe(0);
  });

  it("_delete and replaceMode remove links, never the linked clients", async () => {
    const { tenantId, key, id } = await withClient();
    const ext = `c-${uniq()}`;
    const made = await sync(key, {
      clientId: id,
      linkedClients: [
        { child: { type: "individual", name: "C1" } },
        { child: { type: "individual", name: "C2", externalId: ext } },
        { child: { type: "individual", name: "C3" } },
        { child: { type: "individual", name: "C4" } },
      ],
    });
    expect(made.status, made.text).toBe(200);
    const [l1, l2, l3, l4] = made.body.linkedClients.created;
    const del = await sync(key, { clientId: id, linkedClients: [{ clientId: l1.client.id, _delete: true }, { child: { externalId: ext }, _delete: true }] });
    expect(del.status, del.text).toBe(200);
    expect(del.body.linkedClients.deleted.sort()).toEqual([l1.id, l2.id].sort());
    expect(await h.count("test", clients, tenantId)).toBe(5);
    const replaced = await sync(key, { clientId: id, replaceMode: true, linkedClients: [{ clientId: l3.client.id }] });
    expect(replaced.body.linkedClients.deleted).toEqual([l4.id]);
    expect((await h.rows("test", clientLinks, { parentClientId: id })).map((l) => l.id)).toEqual([l3.id]);
    expect(await h.count("test", clients, tenantId)).toBe(5);
    expect(replaced.body.client.linkedClients.map((l: any) => l.id)).toEqual([l3.id]);
  });

  it("refuses a link to the client itself (by clientId, by child.externalId, by a renamed externalId)", async () => {
    const { tenantId, key, id, client } = await withClient();
    const before = await dumpTenant(h, tenantId);
    const byId = await sync(key, { clientId: id, linkedClients: [{ clientId: id }] });
    expect(byId.status).toBe(400);
    expect(pointers(byId.body)).toEqual(["/linkedClients/0"]);
    const byExt = await sync(key, { clientId: id, linkedClients: [{ child: { externalId: client.externalId, name: "Me" } }] });
    expect(byExt.status).toBe(400);
    // The client takes a new externalId and a child names its old one: still the client itself.
    const renamed = await sync(key, { clientId: id, client: { externalId: `renamed-${uniq()}` }, linkedClients: [{ child: { externalId: client.externalId } }] });
    expect(renamed.status, renamed.text).toBe(400);
    expect(pointers(renamed.body)).toEqual(["/linkedClients/0"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });
});

// -------------------------------------------------------------------------------------------------
describe("primary flags (§4.6)", () => {
  it("making an item primary demotes the previous one, which is reported as updated", async () => {
    const { key, id, res } = await withClient({
      addresses: [address({ isPrimary: true, externalId: "a1" })],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", isPrimary: true, externalId: "b1" }],
    });
    const oldAddress = res.body.addresses.created[0];
    await sleep(3);
    const out = await sync(key, {
      clientId: id,
      addresses: [address({ isPrimary: true, externalId: "a2" })],
      bankAccounts: [{ externalId: "b1", isPrimary: false }, { accountNumber: "2", bankName: "B", currency: "MXN", isPrimary: true }],
    });
    expect(out.status, out.text).toBe(200);
    expect(out.body.addresses.updated).toEqual([expect.objectContaining({ id: oldAddress.id, isPrimary: false })]);
    expect(out.body.addresses.updated[0].updatedAt > oldAddress.updatedAt).toBe(true);
    const rows = await h.rows("test", addresses, { clientId: id });
    expect(rows.filter((r) => r.isPrimary).map((r) => r.externalId)).toEqual(["a2"]);
    const banks = await h.rows("test", bankAccounts, { clientId: id });
    expect(banks.filter((r) => r.isPrimary).map((r) => r.accountNumber)).toEqual(["2"]);
  });

  it("two items claiming one slot are a 400", async () => {
    const { tenantId, key, id } = await withClient();
    const before = await dumpTenant(h, tenantId);
    const res = await sync(key, { clientId: id, addresses: [address({ isPrimary: true }), address({ isPrimary: true })] });
    expect(res.status).toBe(400);
    expect(pointers(res.body)).toEqual(["/addresses/1/isPrimary"]);
    const cm = await sync(key, { clientId: id, contactMethods: [{ value: "a@b.co", isPrimary: true }, { value: "c@d.co", type: "email", isPrimary: true }] });
    expect(cm.status).toBe(400);
    expect(pointers(cm.body)).toEqual(["/contactMethods/1/isPrimary"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("contact methods have one primary per type", async () => {
    const { key, id, res } = await withClient({
      contactMethods: [
        { value: "a@b.co", isPrimary: true },
        { value: "+52 55 1111 2222", isPrimary: true },
      ],
    });
    expect(res.body.client).toMatchObject({ email: "a@b.co", phone: "+52 55 1111 2222" });
    const out = await sync(key, { clientId: id, contactMethods: [{ value: "new@b.co", isPrimary: true }] });
    expect(out.status, out.text).toBe(200);
    expect(out.body.contactMethods.updated).toEqual([expect.objectContaining({ value: "a@b.co", isPrimary: false })]);
    const rows = await h.rows("test", contactMethods, { clientId: id });
    expect(rows.filter((r) => r.isPrimary).map((r) => r.value).sort()).toEqual(["+52 55 1111 2222", "new@b.co"]);
    expect(out.body.client).toMatchObject({ email: "new@b.co", phone: "+52 55 1111 2222" });
  });
});

// -------------------------------------------------------------------------------------------------
describe("item rules", () => {
  it("infers a contact method's type from its value when absent", async () => {
    const { key, id } = await withClient({
      contactMethods: [{ value: "ana@example.com" }, { value: "+52 (55) 1234-5678" }, { value: "ask reception" }, { value: "55 1234 5678", type: "mobile" }],
    });
    const rows = await h.rows("test", contactMethods, { clientId: id });
    const types = Object.fromEntries(rows.map((r) => [r.value, r.type]));
    expect(types).toEqual({
      "ana@example.com": "email",
      "+52 (55) 1234-5678": "phone",
      "ask reception": "other",
      "55 1234 5678": "mobile",
    });
    // Inferred as email (it contains @), so it must look like one.
    const bad = await sync(key, { clientId: id, contactMethods: [{ value: "@ana on the fediverse" }] });
    expect(bad.status).toBe(400);
    expect(pointers(bad.body)).toEqual(["/contactMethods/0/value"]);
  });

  it("checks contact values against their type", async () => {
    const { key, id } = await withClient();
    const res = await sync(key, { clientId: id, contactMethods: [{ value: "not-an-email", type: "email" }, { value: "12", type: "phone" }] });
    expect(res.status).toBe(400);
    expect(pointers(res.body)).toEqual(["/contactMethods/0/value", "/contactMethods/1/value"]);
  });

  it("fills codigoBanco/codigoPlaza from the CLABE; a contradiction is a 400", async () => {
    const { tenantId, key, id } = await withClient();
    const value = clabe("072", "580", 123);
    const ok = await sync(key, { clientId: id, bankAccounts: [{ accountNumber: "1", bankName: "Banorte", currency: "MXN", clabe: value }] });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.bankAccounts.created[0]).toMatchObject({ clabe: value, codigoBanco: "072", codigoPlaza: "580", country: "MX" });
    expect((await h.rows("test", bankAccounts, { clientId: id }))[0]).toMatchObject({ codigoBanco: "072", codigoPlaza: "580" });
    const before = await dumpTenant(h, tenantId);
    const bad = await sync(key, {
      clientId: id,
      bankAccounts: [
        { accountNumber: "2", bankName: "B", currency: "MXN", clabe: clabe("002", "180", 7), codigoBanco: "012", codigoPlaza: "180" },
        { accountNumber: "3", bankName: "B", currency: "MXN", clabe: clabe("002", "180", 9), codigoPlaza: "181" },
        { accountNumber: "3", bankName: "B", currency: "USD", country: "US", clabe: clabe("002", "180", 8) },
      ],
    });
    expect(bad.status).toBe(400);
    expect(pointers(bad.body)).toEqual(["/bankAccounts/0/codigoBanco", "/bankAccounts/1/codigoPlaza", "/bankAccounts/2/clabe"]);
    // A CLABE whose check digit does not verify.
    const digit = await sync(key, { clientId: id, bankAccounts: [{ accountNumber: "4", bankName: "B", currency: "MXN", clabe: "002180000000000001" }] });
    expect(digit.status).toBe(400);
    expect(pointers(digit.body)).toEqual(["/bankAccounts/0/clabe"]);
    // Given and agreeing: accepted as given.
    const agree = await sync(key, { clientId: id, bankAccounts: [{ accountNumber: "5", bankName: "B", currency: "MXN", clabe: clabe("002", "180", 5), codigoBanco: "002", codigoPlaza: "180" }] });
    expect(agree.status, agree.text).toBe(200);
    expect(agree.body.bankAccounts.created[0]).toMatchObject({ codigoBanco: "002", codigoPlaza: "180" });
    expect(await h.count("test", bankAccounts, tenantId)).toBe(before.bank_accounts!.length + 1);
  });

  it("requires a 5-digit postal code for MX addresses only", async () => {
    const { tenantId, key, id } = await withClient();
    const bad = await sync(key, { clientId: id, addresses: [address({ postalCode: "6600" })] });
    expect(bad.status).toBe(400);
    expect(pointers(bad.body)).toEqual(["/addresses/0/postalCode"]);
    const ok = await sync(key, { clientId: id, addresses: [address({ country: "gb", postalCode: "SW1A 1AA" }), address({ country: null, postalCode: "X" })] });
    expect(ok.status, ok.text).toBe(200);
    expect(await h.count("test", addresses, tenantId)).toBe(2);
    expect(ok.body.addresses.created[0].country).toBe("GB");
  });

  it("requires an item's creation fields when it creates", async () => {
    const { key, id } = await withClient();
    const res = await sync(key, { clientId: id, addresses: [{ externalId: "new", street: "x" }], bankAccounts: [{ bankName: "B" }], contactMethods: [{ label: "x" }] });
    expect(res.status).toBe(400);
    expect(pointers(res.body)).toEqual(
      expect.arrayContaining(["/addresses/0/city", "/addresses/0/state", "/addresses/0/postalCode", "/bankAccounts/0/accountNumber", "/bankAccounts/0/currency", "/contactMethods/0/value"]),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe("response, dryRun, ETag and If-Match", () => {
  it("answers every list, empty for lists absent from the body", async () => {
    const { key, id } = await withClient();
    const res = await sync(key, { clientId: id, documents: [{ type: "ine", category: "identity", fields: { n: "1" } }] });
    expect(Object.keys(res.body)).toEqual(SYNC_KEYS);
    expect(res.body.action).toBe("unchanged");
    expect(res.body.documents.created).toEqual([expect.objectContaining({ type: "ine", status: "pending_upload", fields: { n: "1" }, clientId: id })]);
    expect(Object.keys(res.body.documents.created[0])).toEqual(DOCUMENT_KEYS);
    for (const list of ["addresses", "contactMethods", "bankAccounts", "linkedClients"]) expect(res.body[list]).toEqual(EMPTY_REPORT);
    const get = await h.get(`/clients/${id}`, { key });
    expect(res.body.client).toEqual(get.body);
  });

  it("dryRun answers what the sync would do and writes nothing", async () => {
    const { tenantId, key, id } = await withClient({ addresses: [address({ externalId: "a1" })] });
    const before = await dumpTenant(h, tenantId);
    const body = {
      clientId: id,
      client: { name: "Renamed" },
      addresses: [{ externalId: "a1", _delete: true }],
      contactMethods: [{ value: "a@b.co" }],
      linkedClients: [{ child: { type: "company", name: "Child Co" } }],
      dryRun: true,
    };
    const res = await sync(key, body);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ action: "updated", dryRun: true, client: { name: "Renamed", email: "a@b.co" } });
    expect(res.body.addresses.deleted).toHaveLength(1);
    expect(res.body.linkedClients.created).toHaveLength(1);
    expect(res.stats.rowsWritten).toBe(0);
    expect(res.stats.batchSizes).toHaveLength(1); // auth + read: no write round trip; the key lookup shares the first round trip
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    // dryRun of a create, too.
    const create = await sync(key, { client: { type: "individual", name: "Nobody" }, addresses: [address()], dryRun: true });
    expect(create.status).toBe(200);
    expect(create.body.action).toBe("created");
    expect(create.stats.rowsWritten).toBe(0);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    // Errors are still found.
    const bad = await sync(key, { clientId: id, addresses: [{ id: crypto.randomUUID(), city: "x" }], dryRun: true });
    expect(bad.status).toBe(404);
  });

  it("sends the ETag GET sends; If-Match: 412 on mismatch, success on match", async () => {
    const { tenantId, key, id, res } = await withClient();
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await h.get(`/clients/${id}`, { key })).headers.get("etag")).toBe(etag);

    const changed = await sync(key, { clientId: id, addresses: [address()] }, { "if-match": etag! });
    expect(changed.status, changed.text).toBe(200);
    const etag2 = changed.headers.get("etag");
    expect(etag2).not.toBe(etag); // only a child changed: the ETag moves anyway
    expect((await h.get(`/clients/${id}`, { key })).headers.get("etag")).toBe(etag2);

    const before = await dumpTenant(h, tenantId);
    const stale = await sync(key, { clientId: id, client: { name: "Lost" } }, { "if-match": etag! });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe("PRECONDITION_FAILED");
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    const absent = await sync(key, { client: { type: "individual", name: "New", externalId: `n-${uniq()}` } }, { "if-match": etag! });
    expect(absent.status).toBe(412);
    expect(await dumpTenant(h, tenantId)).toEqual(before);

    const ok = await sync(key, { clientId: id, client: { name: "Kept" } }, { "if-match": `"nope", ${etag2}` });
    expect(ok.status, ok.text).toBe(200);
    expect((await h.rows("test", clients, { id }))[0]!.name).toBe("Kept");
    const star = await sync(key, { clientId: id, client: { name: "Star" } }, { "if-match": "*" });
    expect(star.status).toBe(200);
  });
});
