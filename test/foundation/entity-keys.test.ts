// Every body of API.md §4 answers its keys in the contract's order (test/support/contract-keys.ts,
// transcribed from API.md, not from src/entities.ts), on every path that renders it: a sync's
// answer, GET, the list, and a batch's answer.
import { describe, expect, it } from "vitest";
import * as KEYS from "../support/contract-keys";
import { createHarness } from "../support/harness";

const h = createHarness();

describe("key order of every entity (API.md §4)", () => {
  it("a client with one of each child and a link, as sync, GET and the list answer it", async () => {
    const { key } = await h.newTenantWithKey();
    const sync = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Ana", externalId: "ana" },
        addresses: [{ street: "S", city: "C", state: "ST", postalCode: "06600", country: "MX" }],
        contactMethods: [{ value: "ana@example.com" }],
        bankAccounts: [{ accountNumber: "123", bankName: "B", currency: "MXN" }],
        documents: [{ type: "ine" }],
        linkedClients: [{ child: { type: "company", name: "Co" }, relationshipType: "guarantor" }],
      },
      { key },
    );
    expect(sync.status, sync.text).toBe(200);
    const get = await h.get(`/clients/${sync.body.client.id}`, { key });
    const listed = await h.get("/clients?externalId=ana", { key });
    const expectKeys = (client: any, where: string) => {
      expect(Object.keys(client), where).toEqual(KEYS.FULL_CLIENT_KEYS);
      expect(Object.keys(client.addresses[0]), where).toEqual(KEYS.ADDRESS_KEYS);
      expect(Object.keys(client.contactMethods[0]), where).toEqual(KEYS.CONTACT_METHOD_KEYS);
      expect(Object.keys(client.bankAccounts[0]), where).toEqual(KEYS.BANK_ACCOUNT_KEYS);
      expect(Object.keys(client.documents[0]), where).toEqual(KEYS.DOCUMENT_KEYS);
      expect(Object.keys(client.linkedClients[0]), where).toEqual(KEYS.LINK_KEYS);
      expect(Object.keys(client.linkedClients[0].client), where).toEqual(KEYS.CLIENT_OWN_KEYS);
    };
    expectKeys(sync.body.client, "sync");
    expectKeys(get.body, "GET");
    expectKeys(listed.body.data[0], "list");
    // The sync's reports list the same objects.
    expect(Object.keys(sync.body.addresses.created[0])).toEqual(KEYS.ADDRESS_KEYS);
    expect(Object.keys(sync.body.contactMethods.created[0])).toEqual(KEYS.CONTACT_METHOD_KEYS);
    expect(Object.keys(sync.body.bankAccounts.created[0])).toEqual(KEYS.BANK_ACCOUNT_KEYS);
    expect(Object.keys(sync.body.documents.created[0])).toEqual(KEYS.DOCUMENT_KEYS);
    expect(Object.keys(sync.body.linkedClients.created[0])).toEqual(KEYS.LINK_KEYS);
  });

  it("a batch answers full clients", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await h.post("/clients/batch", { items: [{ type: "company", name: "Co" }] }, { key });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.data[0])).toEqual(KEYS.FULL_CLIENT_KEYS);
  });

  it("rows the harness seeds (built from the same declarations) answer every column they hold", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const rows = {
      addresses: await h.seedAddress("test", client),
      contactMethods: await h.seedContactMethod("test", client),
      bankAccounts: await h.seedBankAccount("test", client),
      documents: await h.seedDocument("test", client),
    };
    const res = await h.get(`/clients/${client.id}`, { key });
    expect(res.status, res.text).toBe(200);
    for (const [list, row] of Object.entries(rows)) {
      const { tenantId: _tenantId, ...shown } = row;
      expect(res.body[list], list).toEqual([shown]);
    }
  });
});
