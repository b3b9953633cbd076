// Lookup keys (API.md §14) follow every kind of change, in the write batch itself: batch, sync
// updates, `_delete` of a child, replaceMode, an externalId swap, DELETE of a client. Read straight
// from D1. What MUST NOT happen: a stale key left behind, a key in another tenant's name, more than
// two key statements in a write batch, a key write on a no-op.
import { describe, expect, it } from "vitest";
import { clientLookupKeys } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { clabe, curp, RFC_INDIVIDUAL, uniq } from "../sync/helpers";

const h = createHarness();

async function keysOf(tenantId: string, env: "test" | "live" = "test") {
  // The name search's keys (kind nameBlock) are tested by test/lookup/search.test.ts.
  const rows = (await h.rows(env, clientLookupKeys, { tenantId })).filter((r) => r.kind !== "nameBlock");
  return rows
    .map((r) => `${r.kind}:${r.key ? r.key + "=" : ""}${r.normalized}@${r.clientId}/${r.childId ?? "-"}${r.deletedAt ? " deleted" : ""}`)
    .sort();
}
/** The statements that write lookup keys (not the duplicates read, which only reads them). */
const keyStatements = (stats: { statements: { sql: string; roundTrip: number }[] }) => stats.statements.filter((s) => /client_lookup_keys/.test(s.sql) && !/^select/i.test(s.sql));

describe("lookup keys are written by the write batch", () => {
  it("batch: a client's RFC, CURP, externalId and string metadata, normalized", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `ext-${uniq()}`;
    const res = await h.post(
      "/clients/batch",
      {
        items: [
          {
            type: "individual",
            name: "Ana",
            externalId: ext,
            metadata: { crm: "A-1", n: 5, long: "x".repeat(256), nested: { a: "b" } },
            scopeData: { MX: { rfc: RFC_INDIVIDUAL.toLowerCase(), curp: curp() } },
          },
        ],
      },
      { key },
    );
    if (res.status !== 200) console.log(JSON.stringify(h.logs.at(-1)).slice(0, 1500), JSON.stringify(res.body));
    expect(res.status).toBe(200);
    const id = res.body.data[0].id;
    expect(await keysOf(tenantId)).toEqual(
      [`curp:${curp()}@${id}/-`, `externalId:${ext}@${id}/-`, `metadata:crm=A-1@${id}/-`, `rfc:${RFC_INDIVIDUAL}@${id}/-`].sort(),
    );
    // In the same (write) round trip as the rows.
    const keyed = keyStatements(res.stats);
    expect(keyed.length).toBe(1); // a create: only the INSERT (no key of a new record to remove)
    const writeTrip = res.stats.statements.find((s) => /^insert into "clients"/i.test(s.sql))!.roundTrip;
    expect(keyed.every((s) => s.roundTrip === writeTrip)).toBe(true);
  });

  it("sync: e-mails, phones and bank accounts keyed; an update moves the key; _delete and replaceMode remove it; a no-op writes none", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `c-${uniq()}`;
    const created = await h.post(
      "/clients/sync",
      {
        client: { type: "individual", name: "Beto", externalId: ext },
        contactMethods: [
          { externalId: "e1", type: "email", value: "Beto@Example.COM" },
          { externalId: "p1", type: "mobile", value: "+52 1 55 1234 5678" },
          { externalId: "o1", type: "other", value: "@beto" },
        ],
        bankAccounts: [{ externalId: "b1", accountNumber: "12-34.56 78", bankName: "BBVA", currency: "MXN", clabe: clabe() }],
      },
      { key },
    );
    if (created.status !== 200) console.log(JSON.stringify(created.body));
    expect(created.status).toBe(200);
    const id = created.body.client.id;
    const cm = Object.fromEntries(created.body.contactMethods.created.map((c: any) => [c.externalId, c.id]));
    const ba = created.body.bankAccounts.created[0].id;
    expect(await keysOf(tenantId)).toEqual(
      [
        `externalId:${ext}@${id}/-`,
        `email:beto@example.com@${id}/${cm.e1}`,
        `phone:5512345678@${id}/${cm.p1}`,
        `accountNumber:12345678@${id}/${ba}`,
        `clabe:${clabe()}@${id}/${ba}`,
      ].sort(),
    );

    // A no-op writes nothing, keys included.
    const noop = await h.post("/clients/sync", { clientId: id, contactMethods: [{ externalId: "e1", value: "Beto@Example.COM" }] }, { key });
    expect(noop.status).toBe(200);
    expect(keyStatements(noop.stats)).toEqual([]);

    // An update that changes no identifier writes no key either (a rename: only the name search's
    // keys — an INSERT of the new ones, a DELETE of the stale ones; the identifiers' keys untouched).
    const before = await keysOf(tenantId);
    const renamed = await h.post("/clients/sync", { clientId: id, client: { name: "Roberto" } }, { key });
    expect(renamed.body.action).toBe("updated");
    expect(keyStatements(renamed.stats).length).toBe(2);
    expect(await keysOf(tenantId)).toEqual(before);
    const address = await h.post("/clients/sync", { clientId: id, addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", country: "MX" }] }, { key });
    expect(address.status, address.text).toBe(200);
    expect(keyStatements(address.stats)).toEqual([]);

    // The e-mail changes: its key moves; the phone is deleted with _delete; the bank account by replaceMode.
    const changed = await h.post(
      "/clients/sync",
      {
        clientId: id,
        contactMethods: [
          { externalId: "e1", value: "roberto@example.com" },
          { externalId: "p1", _delete: true },
        ],
        bankAccounts: [],
        replaceMode: true,
      },
      { key },
    );
    expect(changed.status).toBe(200);
    expect(keyStatements(changed.stats).length).toBe(2);
    expect(await keysOf(tenantId)).toEqual([`externalId:${ext}@${id}/-`, `email:roberto@example.com@${id}/${cm.e1}`].sort());
  });

  it("an externalId swap between two clients moves both keys", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const [a, b] = [`a-${uniq()}`, `b-${uniq()}`];
    const made = await h.post("/clients/batch", { items: [{ type: "company", name: "A", externalId: a }, { type: "company", name: "B", externalId: b }] }, { key });
    const [idA, idB] = made.body.data.map((c: any) => c.id);
    // A frees its externalId, then B takes it; then A takes B's old one.
    expect((await h.post("/clients/sync", { clientId: idA, client: { externalId: `tmp-${uniq()}` } }, { key })).status).toBe(200);
    expect((await h.post("/clients/sync", { clientId: idB, client: { externalId: a } }, { key })).status).toBe(200);
    expect((await h.post("/clients/sync", { clientId: idA, client: { externalId: b } }, { key })).status).toBe(200);
    expect(await keysOf(tenantId)).toEqual([`externalId:${a}@${idB}/-`, `externalId:${b}@${idA}/-`].sort());
  });

  it("an inline linked child's identifiers are keyed to it; DELETE marks a client's keys deleted and leaves its parent's", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(
      "/clients/sync",
      {
        client: { type: "company", name: "Parent SA", externalId: `p-${uniq()}` },
        linkedClients: [{ child: { type: "individual", name: "Rep", scopeData: { MX: { rfc: RFC_INDIVIDUAL } } }, relationshipType: "legal_representative" }],
        contactMethods: [{ value: "parent@example.com" }],
      },
      { key },
    );
    expect(res.status).toBe(200);
    const parent = res.body.client;
    const child = res.body.linkedClients.created[0].client.id;
    expect(await keysOf(tenantId)).toContain(`rfc:${RFC_INDIVIDUAL}@${child}/-`);

    const del = await h.delete(`/clients/${child}`, { key });
    expect(del.status).toBe(200);
    expect(keyStatements(del.stats).length).toBe(1);
    const keys = await keysOf(tenantId);
    expect(keys).toContain(`rfc:${RFC_INDIVIDUAL}@${child}/- deleted`);
    expect(keys.filter((k) => k.includes(parent.id)).every((k) => !k.endsWith("deleted"))).toBe(true);

    const delParent = await h.delete(`/clients/${parent.id}`, { key });
    expect(delParent.status).toBe(200);
    expect((await keysOf(tenantId)).every((k) => k.endsWith(" deleted"))).toBe(true);
  });

  it("8 concurrent syncs of one client's different contact methods: every key is there, once", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const made = await h.post("/clients/sync", { client: { type: "individual", name: "Conc", externalId: `cc-${uniq()}` } }, { key });
    const id = made.body.client.id;
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.post("/clients/sync", { clientId: id, contactMethods: [{ externalId: `m${i}`, value: `user${i}@example.com` }] }, { key })),
    );
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
    const emails = (await keysOf(tenantId)).filter((k) => k.startsWith("email:"));
    expect(emails.map((k) => k.split("@")[0]).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `email:user${i}`).sort());
  });

  it("keys are the tenant's and the environment's own", async () => {
    const one = await h.newTenantWithKey("test");
    const two = await h.newTenantWithKey("live");
    const ext = `same-${uniq()}`;
    expect((await h.post("/clients/batch", { items: [{ type: "company", name: "X", externalId: ext }] }, { key: one.key })).status).toBe(200);
    expect((await h.post("/clients/batch", { items: [{ type: "company", name: "Y", externalId: ext }] }, { key: two.key, env: "live" })).status).toBe(200);
    expect((await keysOf(one.tenantId)).length).toBe(1);
    expect((await keysOf(one.tenantId, "live")).length).toBe(0);
    expect((await keysOf(two.tenantId, "live")).length).toBe(1);
    expect((await keysOf(two.tenantId, "test")).length).toBe(0);
  });

  it("a write refused by a fault at the key statement leaves nothing written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    h.guard.failStatement = (info) => /^insert into "client_lookup_keys"/i.test(info.sql.trim());
    try {
      const res = await h.post("/clients/batch", { items: [{ type: "company", name: "F", externalId: `f-${uniq()}` }] }, { key });
      expect(res.status).toBe(500);
    } finally {
      h.guard.failStatement = undefined;
    }
    expect(await h.count("test", (await import("../../src/db/schema")).clients, tenantId)).toBe(0);
    expect(await keysOf(tenantId)).toEqual([]);
  });
});
