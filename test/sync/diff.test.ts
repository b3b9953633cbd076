// Diff, not rewrite (API.md §6): an unchanged item causes no statement, a repeated sync writes 0
// rows in the read round trip alone, and updatedAt moves only for the records that changed.
import { afterEach, describe, expect, it } from "vitest";
import { addresses, clientLinks, clients, contactMethods, documents } from "../../src/db/schema";
import type { StatementInfo } from "../support/d1-guard";
import { createHarness } from "../support/harness";
import { clabe, dumpTenant, sleep, uniq } from "./helpers";

const h = createHarness();
afterEach(() => {
  h.guard.failStatement = undefined;
});

const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });

/** Records every statement (with its parameters) the app sends, without failing any. */
function capture(): StatementInfo[] {
  const seen: StatementInfo[] = [];
  h.guard.failStatement = (info) => {
    seen.push({ ...info, params: [...info.params] });
    return false;
  };
  return seen;
}

function fullBody(ext: string) {
  return {
    client: { type: "individual", name: "Ana", externalId: ext, metadata: { source: "crm" } },
    addresses: [
      { externalId: `${ext}-a1`, street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", isPrimary: true },
      { externalId: `${ext}-a2`, street: "Insurgentes 2", city: "CDMX", state: "CDMX", postalCode: "03100", country: "MX" },
    ],
    contactMethods: [{ externalId: `${ext}-c1`, value: "ana@example.com", isPrimary: true }, { externalId: `${ext}-c2`, value: "+52 55 1234 5678" }],
    bankAccounts: [{ externalId: `${ext}-b1`, accountNumber: "1", bankName: "BBVA", currency: "MXN", clabe: clabe() }],
    documents: [{ externalId: `${ext}-d1`, type: "ine", fields: { number: "X1" } }],
    linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `${ext}-rep` }, relationshipType: "legal_representative", metadata: { since: 2020 } }],
  };
}

describe("diff, not rewrite", () => {
  it("a repeated sync is answered from the read round trip alone and writes 0 rows", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = fullBody(`ana-${uniq()}`);
    const first = await sync(key, body);
    expect(first.status, first.text).toBe(200);
    const before = await dumpTenant(h, tenantId);
    await sleep(3);
    const again = await sync(key, body);
    expect(again.status, again.text).toBe(200);
    expect(again.stats.rowsWritten).toBe(0);
    expect(again.stats.roundTrips).toBe(1); // auth lookup + the read batch: the key lookup shares the first round trip
    expect(again.stats.batchSizes).toHaveLength(1); // the key lookup shares the first round trip
    expect(again.stats.statements.every((s) => /^\s*select/i.test(s.sql))).toBe(true);
    expect(again.body.action).toBe("unchanged");
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"]) {
      expect(again.body[list]).toEqual({ created: [], updated: [], deleted: [] });
    }
    expect(again.body.client).toEqual(first.body.client);
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    // Same again by clientId and with ids instead of externalIds.
    const byId = await sync(key, {
      clientId: first.body.client.id,
      addresses: first.body.client.addresses.map((a: any) => ({ id: a.id, city: a.city })),
      linkedClients: [{ clientId: first.body.linkedClients.created[0].client.id, relationshipType: "legal_representative" }],
    });
    expect(byId.stats.rowsWritten).toBe(0);
    expect(byId.stats.roundTrips).toBe(1); // the key lookup shares the first round trip
  });

  it("an unchanged item causes no statement; a changed one is the only row its statement carries", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `ana-${uniq()}`;
    const body = fullBody(ext);
    const first = await sync(key, body);
    const seen = capture();
    const res = await sync(key, {
      ...body,
      addresses: [body.addresses[0], { ...body.addresses[1], city: "Monterrey" }],
    });
    expect(res.status, res.text).toBe(200);
    const writes = seen.filter((s) => !/^\s*select/i.test(s.sql));
    // The client's history entry and its outbox row (none: no endpoint) first, then the version
    // guard, the version bump, the one address update; nothing for the other lists; then the
    // completeness column of the client (API.md §16).
    expect(writes).toHaveLength(6);
    expect(writes[0]!.sql).toMatch(/^insert into "client_history"/i);
    expect(writes[1]!.sql).toMatch(/^insert into "event_outbox"/i);
    expect(writes[2]!.sql).toMatch(/insert into "write_guards"/i);
    expect(writes[3]!.sql).toMatch(/update "clients" set "version"/i);
    expect(writes[4]!.sql).toMatch(/^update "addresses"/i);
    expect(writes[5]!.sql).toMatch(/^update "clients" set "complete"/i);
    // The entry says exactly what changed: the address's city and updatedAt, the client's version.
    const entryRows = JSON.parse(writes[0]!.params.find((p) => typeof p === "string" && p.startsWith("[")) as string);
    expect(entryRows).toHaveLength(1);
    const rows = JSON.parse(writes[4]!.params.find((p) => typeof p === "string" && p.startsWith("[")) as string);
    expect(rows.map((r: any) => [r.id, r.city])).toEqual([[first.body.addresses.created[1].id, "Monterrey"]]);
    expect(res.stats.rowsWritten).toBeGreaterThan(0);
    expect(res.body.addresses.updated.map((a: any) => a.id)).toEqual([first.body.addresses.created[1].id]);
    for (const list of ["contactMethods", "bankAccounts", "documents", "linkedClients"]) {
      expect(res.body[list]).toEqual({ created: [], updated: [], deleted: [] });
    }
  });

  it("updatedAt moves only for records whose own fields changed; the ETag moves for any change", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `ana-${uniq()}`;
    const body = fullBody(ext);
    const first = await sync(key, body);
    const id = first.body.client.id;
    const [c0] = await h.rows("test", clients, { id });
    await sleep(5);

    // A child changes: only that child's updatedAt moves; the client's stays; action unchanged.
    const child = await sync(key, { clientId: id, documents: [{ externalId: `${ext}-d1`, fields: { number: "X2" } }] });
    expect(child.body.action).toBe("unchanged");
    expect(child.headers.get("etag")).not.toBe(first.headers.get("etag"));
    const [c1] = await h.rows("test", clients, { id });
    expect(c1!.updatedAt).toBe(c0!.updatedAt);
    expect(c1!.version).toBe(c0!.version + 1);
    const [d1] = await h.rows("test", documents, { clientId: id });
    expect(d1!.updatedAt > first.body.documents.created[0].updatedAt).toBe(true);
    expect(d1!.createdAt).toBe(first.body.documents.created[0].createdAt);
    const addressRows = await h.rows("test", addresses, { clientId: id });
    expect(addressRows.map((a) => a.updatedAt)).toEqual(first.body.addresses.created.map((a: any) => a.updatedAt));
    const links = await h.rows("test", clientLinks, { parentClientId: id });
    expect(links[0]!.updatedAt).toBe(first.body.linkedClients.created[0].updatedAt);

    // The client's own field changes: the client's updatedAt moves; children's do not.
    await sleep(5);
    const own = await sync(key, { clientId: id, client: { metadata: { source: "erp" } } });
    expect(own.body.action).toBe("updated");
    const [c2] = await h.rows("test", clients, { id });
    expect(c2!.updatedAt > c1!.updatedAt).toBe(true);
    const cm = await h.rows("test", contactMethods, { clientId: id });
    expect(cm.map((c) => c.updatedAt)).toEqual(first.body.contactMethods.created.map((c: any) => c.updatedAt));
    const [d2] = await h.rows("test", documents, { clientId: id });
    expect(d2!.updatedAt).toBe(d1!.updatedAt);

    // The same values sent again (other key order, explicit defaults) change nothing.
    const same = await sync(key, { clientId: id, client: { metadata: { source: "erp" }, name: "Ana", type: "individual" }, addresses: [{ ...body.addresses[1], type: "home" }] });
    expect(same.body.action).toBe("unchanged");
    expect(same.stats.rowsWritten).toBe(0);
    const [c3] = await h.rows("test", clients, { id });
    expect(c3).toEqual(c2);

    // Only the linked client changes: its updatedAt moves, the link's does not, the parent's ETag does.
    await sleep(5);
    const linkedOnly = await sync(key, { clientId: id, linkedClients: [{ child: { externalId: `${ext}-rep`, lastName: "Pérez" } }] });
    expect(linkedOnly.status, linkedOnly.text).toBe(200);
    expect(linkedOnly.body.action).toBe("unchanged");
    const [rep] = await h.rows("test", clients, { externalId: `${ext}-rep` });
    expect(rep!.lastName).toBe("Pérez");
    expect(rep!.updatedAt > first.body.linkedClients.created[0].client.updatedAt).toBe(true);
    const [link] = await h.rows("test", clientLinks, { parentClientId: id });
    expect(link!.updatedAt).toBe(first.body.linkedClients.created[0].updatedAt);
    expect(linkedOnly.headers.get("etag")).not.toBe(own.headers.get("etag"));
    const get = await h.get(`/clients/${id}`, { key });
    expect(get.headers.get("etag")).toBe(linkedOnly.headers.get("etag"));
    expect(get.body).toEqual(linkedOnly.body.client);
  });
});
