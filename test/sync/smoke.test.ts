import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";

const h = createHarness();

describe("sync smoke", () => {
  it("creates, repeats as no-op, and GET equals the response", async () => {
    const { key } = await h.newTenantWithKey();
    const body = {
      client: { type: "individual", name: "Ana", externalId: "ana-1", scopeData: { MX: { rfc: "goma800101ab1" } } },
      addresses: [{ street: "Calle 1", city: "CDMX", state: "CDMX", postalCode: "01000", country: "MX", isPrimary: true, externalId: "a1" }],
      contactMethods: [{ value: "ana@example.com", isPrimary: true, externalId: "c1" }, { value: "+52 55 1234 5678", externalId: "c2" }],
      bankAccounts: [{ accountNumber: "123", bankName: "BBVA", currency: "MXN", clabe: "002010077777777771", externalId: "b1" }],
      documents: [{ type: "ine", category: "identity", externalId: "d1" }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: "rep-1" }, relationshipType: "legal_representative" }],
    };
    const first = await h.post("/clients/sync", body, { key });
    console.log(first.stats.statementCount, first.stats.rowsWritten, first.stats.batchSizes, JSON.stringify(h.logs).slice(0, 3000));
    expect(first.status).toBe(200);
    const get = await h.get(`/clients/${first.body.client.id}`, { key });
    expect(get.body).toEqual(first.body.client);
    expect(get.headers.get("etag")).toBe(first.headers.get("etag"));
    const again = await h.post("/clients/sync", body, { key });
    console.log(again.stats.statementCount, again.stats.rowsRead, again.stats.batchSizes);
    expect(again.status).toBe(200);
    expect(again.stats.rowsWritten).toBe(0);
    expect(again.body.client).toEqual(get.body);
    const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "ACME", externalId: "acme" }, { type: "individual", name: "B" }] }, { key });
    console.log(batch.stats.statementCount, batch.stats.rowsWritten, batch.stats.batchSizes);
    expect(batch.status).toBe(200);
    const g2 = await h.get(`/clients/${batch.body.data[0].id}`, { key });
    expect(g2.body).toEqual(batch.body.data[0]);
  });
});
