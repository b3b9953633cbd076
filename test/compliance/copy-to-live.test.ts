// POST /clients/{id}/copy-to-live[/preview] (API.md §16): the test graph written into live as a
// sync through the one write path, matched by externalId, idempotent, recorded as operation copy in
// live; refused (4xx, nothing written in either database) for a live key of another tenant, a test
// key in X-Live-Authorization, a call in live, a client without externalId or failing live rules.
import { describe, expect, it } from "vitest";
import { addresses, clientHistory, clients, documents } from "../../src/db/schema";
import { maximalSyncBody } from "../../bench/lib/workloads";
import { upload } from "../files/support";
import { createHarness } from "../support/harness";

const h = createHarness();
let n = 0;
const uniq = () => `${Date.now().toString(36)}-${++n}`;

async function tenantWithBothKeys() {
  const tenantId = h.newTenant();
  const testKey = await h.createKey({ env: "test", tenantId });
  const liveKey = await h.createKey({ env: "live", tenantId });
  return { tenantId, testKey, liveKey };
}

async function testClient(key: string, ext = `c-${uniq()}`) {
  const res = await h.post(
    "/clients/sync",
    {
      client: { type: "company", name: "Acme", externalId: ext, scopes: ["MX"], scopeData: { MX: { rfc: "ABC680524P76" } } },
      addresses: [
        { street: "Calle 1", city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX", externalId: `${ext}-a` },
        { street: "Sin externalId", city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX" },
      ],
      contactMethods: [{ value: "acme@example.com" }],
      documents: [{ type: "acta", category: "incorporation", externalId: `${ext}-d` }],
      linkedClients: [{ child: { type: "individual", name: "Owner", externalId: `${ext}-owner` }, relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 60 } }],
    },
    { key },
  );
  expect(res.status, res.text).toBe(200);
  return { id: res.body.client.id as string, ext };
}

const copy = (id: string, testKey: string, liveAuth: string | null, preview = false, env = "test") =>
  h.post(`/clients/${id}/copy-to-live${preview ? "/preview" : ""}`, undefined, {
    key: testKey,
    env,
    headers: liveAuth === null ? {} : { "x-live-authorization": liveAuth },
  });

describe("copy test → live", () => {
  it("preview writes nothing; copy creates the graph in live with new ids, recorded as copy; a second copy writes nothing", async () => {
    const { tenantId, testKey, liveKey } = await tenantWithBothKeys();
    const { id, ext } = await testClient(testKey);

    const preview = await copy(id, testKey, `Bearer ${liveKey}`, true);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ action: "created", dryRun: true });
    expect(preview.body.addresses.created).toHaveLength(2);
    expect(await h.count("live", clients, tenantId)).toBe(0);

    const first = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.action).toBe("created");
    // Test read, live read, live write, then the test side's record (read, write).
    expect(first.stats.roundTrips).toBe(5);
    expect(first.stats.statementCount).toBeLessThanOrEqual(50);
    console.log(`copy to live: ${first.stats.statementCount} statements, batches ${JSON.stringify(first.stats.batchSizes)}`);
    const liveId = first.body.client.id;
    expect(liveId).not.toBe(id);
    expect(first.body.client).toMatchObject({ externalId: ext, name: "Acme", scopes: ["MX"] });
    expect(first.body.client.linkedClients[0]).toMatchObject({ relationshipType: "controlling_beneficiary", metadata: { ownershipPercent: 60 } });
    expect(await h.count("live", clients, tenantId)).toBe(2);
    expect(await h.count("live", addresses, tenantId)).toBe(2);
    expect((await h.rows("live", documents, { clientId: liveId }))[0]).toMatchObject({ externalId: `${ext}-d`, status: "pending_upload" });
    const entries = await h.rows("live", clientHistory, { clientId: liveId });
    expect(entries.map((e) => e.operation)).toEqual(["copy"]);
    // Both histories record it, under the same request id; the test client's data is untouched and its chain verifies.
    const testEntries = await h.rows("test", clientHistory, { clientId: id });
    expect(testEntries.map((e) => e.operation)).toEqual(["sync", "copy"]);
    const history = await h.get(`/clients/${id}/history`, { key: testKey });
    expect(history.body.data[1]).toMatchObject({ operation: "copy", requestId: first.headers.get("x-request-id") });
    expect(history.body.data[1].changes).toEqual([{ entity: "client", id, action: "updated", fields: { version: { from: 1, to: 2 } } }]);
    const liveHistory = await h.get(`/clients/${liveId}/history`, { key: liveKey, env: "live" });
    expect(liveHistory.body.data[0]).toMatchObject({ operation: "copy", requestId: first.headers.get("x-request-id") });
    expect((await h.get(`/clients/${id}/history/verify`, { key: testKey })).body.valid).toBe(true);
    expect((await h.get(`/clients/${id}?asOf=${new Date().toISOString()}`, { key: testKey })).status).toBe(200);

    const second = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(second.status, second.text).toBe(200);
    expect(second.body.action).toBe("unchanged");
    expect(second.stats.rowsWritten).toBe(0);
    expect((await h.rows("test", clientHistory, { clientId: id })).map((e) => e.operation)).toEqual(["sync", "copy"]);
    expect(second.body.addresses).toEqual({ created: [], updated: [], deleted: [] });

    // A change in test: only the difference is written.
    await h.post("/clients/sync", { client: { externalId: ext, name: "Acme SA" } }, { key: testKey });
    const third = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ action: "updated", client: { id: liveId, name: "Acme SA" } });
    expect(third.body.addresses.updated).toEqual([]);
    expect((await h.rows("live", clientHistory, { clientId: liveId })).map((e) => e.operation)).toEqual(["copy", "copy"]);
  });

  it("refuses, writing nothing: a live key of another tenant, a test key, no header, a call in live, a key without the permissions", async () => {
    const { tenantId, testKey } = await tenantWithBothKeys();
    const other = await tenantWithBothKeys();
    const { id } = await testClient(testKey);
    const readOnlyLive = await h.createKey({ env: "live", tenantId, permissions: ["clients:read", "clients:create"] });
    const cases: [string | null, number][] = [
      [`Bearer ${other.liveKey}`, 403],
      [`Bearer ${testKey}`, 401],
      [null, 401],
      ["Bearer sk_live_nope", 401],
      [`Bearer ${readOnlyLive}`, 403],
    ];
    for (const [auth, status] of cases) {
      const res = await copy(id, testKey, auth);
      expect(res.status, `${auth}: ${res.text}`).toBe(status);
      if (status === 401 || auth?.includes(other.liveKey)) expect(res.body.errors[0].pointer).toBe("/headers/x-live-authorization");
    }
    expect(await h.count("live", clients, tenantId)).toBe(0);
    expect(await h.count("live", clients, other.tenantId)).toBe(0);
    // Called in live (never live → test): a 400 after the key's own check.
    const liveCall = await copy(id, other.liveKey, `Bearer ${other.liveKey}`, false, "live");
    expect(liveCall.status).toBe(400);
    // Another tenant's test client is a 404.
    expect((await copy(id, other.testKey, `Bearer ${other.liveKey}`)).status).toBe(404);
    expect(await h.count("live", clients, other.tenantId)).toBe(0);
  });

  it("a client without externalId, or one whose externalId live gives to a child record, is a 4xx and nothing is written", async () => {
    const { tenantId, testKey, liveKey } = await tenantWithBothKeys();
    const plain = await h.post("/clients/sync", { client: { type: "individual", name: "NoExt" } }, { key: testKey });
    const res = await copy(plain.body.client.id, testKey, `Bearer ${liveKey}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.pointer)).toEqual(["/externalId"]);

    // Live already has an address with the test address's externalId under another client: 409.
    const { id, ext } = await testClient(testKey);
    const clash = await h.post("/clients/sync", { client: { type: "individual", name: "Live", externalId: `live-${uniq()}` }, addresses: [{ street: "x", city: "c", state: "s", postalCode: "01000", country: "MX", externalId: `${ext}-a` }] }, { key: liveKey, env: "live" });
    expect(clash.status, clash.text).toBe(200);
    const before = await h.count("live", clients, tenantId);
    const refused = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(refused.status, refused.text).toBe(409);
    expect(await h.count("live", clients, tenantId)).toBe(before);
  });
});

describe("copy test → live: files (API.md §15)", () => {
  it("copies an uploaded document's file into live's bucket and marks the live document uploaded with the same sha256; a second copy copies nothing", async () => {
    const { tenantId, testKey, liveKey } = await tenantWithBothKeys();
    const { id, ext } = await testClient(testKey);
    const [document] = await h.rows("test", documents, { clientId: id });
    const bytes = new TextEncoder().encode(`%PDF-1.4 acta ${ext}\n%%EOF`);
    const put = await upload(h, `/clients/${id}/documents/${document!.id}/file`, testKey, bytes);
    expect(put.status, put.text).toBe(200);
    const sha256 = put.body.sha256 as string;

    const first = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(first.status, first.text).toBe(200);
    const liveId = first.body.client.id as string;
    const [liveDocument] = await h.rows("live", documents, { clientId: liveId });
    expect(liveDocument).toMatchObject({ externalId: `${ext}-d`, status: "uploaded", sha256, size: bytes.length, contentType: "application/pdf" });
    const file = await h.get(`/clients/${liveId}/documents/${liveDocument!.id}/file`, { key: liveKey, env: "live" });
    expect(file.status).toBe(200);
    expect(file.text).toBe(new TextDecoder().decode(bytes));
    expect(file.headers.get("etag")).toBe(`"${sha256}"`);
    expect((await h.rows("live", clientHistory, { clientId: liveId })).map((e) => e.operation)).toEqual(["copy", "upload"]);
    expect((await h.get(`/clients/${liveId}/history/verify`, { key: liveKey, env: "live" })).body.valid).toBe(true);

    const second = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(second.status).toBe(200);
    expect(second.stats.rowsWritten).toBe(0);
    expect((await h.rows("live", clientHistory, { clientId: liveId })).map((e) => e.operation)).toEqual(["copy", "upload"]);
    expect(await h.count("live", clients, tenantId)).toBe(2);
  });
});

describe("copy test → live: the largest graph", () => {
  it("a maximal client (250 of each list, 250 linked clients) copies within D1's limits (the guard checks every statement), and a second copy writes nothing", async () => {
    const { tenantId, testKey, liveKey } = await tenantWithBothKeys();
    const ext = `max-${uniq()}`;
    const created = await h.post("/clients/sync", maximalSyncBody(ext), { key: testKey });
    expect(created.status, created.text).toBe(200);
    const id = created.body.client.id as string;
    const first = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(first.status, first.text).toBe(200);
    console.log(`maximal copy to live: ${first.stats.statementCount} statements, batches ${JSON.stringify(first.stats.batchSizes)}`);
    expect(first.stats.statementCount).toBeLessThanOrEqual(50);
    expect(await h.count("live", clients, tenantId)).toBe(251);
    const second = await copy(id, testKey, `Bearer ${liveKey}`);
    expect(second.status, second.text).toBe(200);
    expect(second.stats.rowsWritten).toBe(0);
  }, 120_000);
});
