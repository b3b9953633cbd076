// GET /clients/{id}/history/verify (API.md §11): a chain written by batch, sync and delete verifies;
// any edit made to the stored rows behind the API's back — a body, a hash, a column, a removed or
// moved entry, a missing part — is found, at the first sequence that does not verify.
import { describe, expect, it } from "vitest";
import { entryHash, packBody, unpackBody, withoutHash, type HistoryEntry } from "../../src/history/entry";
import { createHarness } from "../support/harness";
import { clabe, uniq } from "../sync/helpers";

const h = createHarness();
const d1 = () => h.binding("test");

interface Life {
  key: string;
  id: string;
  /** The entries as GET /history answered them, before any tampering. */
  entries: HistoryEntry[];
}

/**
 * A client whose chain has 5 entries: created by a batch (1), given children and links by a sync
 * (2), updated by syncs — own fields and children (3), a link and a child's primary flag (4) — and
 * deleted (5).
 */
async function aLife(): Promise<Life> {
  const { key } = await h.newTenantWithKey();
  const x = uniq();
  const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "ACME", externalId: `acme-${x}` }, { type: "individual", name: "Rep" }] }, { key });
  expect(batch.status, batch.text).toBe(200);
  const [id, rep] = batch.body.data.map((c: any) => c.id as string) as [string, string];
  const steps = [
    {
      clientId: id,
      addresses: [{ externalId: `a-${x}`, street: "S 1", city: "C", state: "ST", postalCode: "06600", country: "MX", isPrimary: true }],
      contactMethods: [{ externalId: `m-${x}`, value: "acme@example.com", isPrimary: true }],
      bankAccounts: [{ externalId: `b-${x}`, accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe() }],
      documents: [{ externalId: `d-${x}`, type: "acta", fields: { folio: 7 } }],
      linkedClients: [{ clientId: rep, relationshipType: "legal_representative" }, { child: { type: "individual", name: "Owner", externalId: `o-${x}` } }],
    },
    { clientId: id, client: { name: "ACME S.A.", metadata: { tier: 1 } }, addresses: [{ externalId: `a-${x}`, street: "S 2" }], documents: [{ externalId: `d-${x}`, _delete: true }] },
    { clientId: id, linkedClients: [{ clientId: rep, metadata: { note: "signs" } }], contactMethods: [{ externalId: `m2-${x}`, value: "ops@example.com", isPrimary: true }] },
  ];
  for (const body of steps) {
    const res = await h.post("/clients/sync", body, { key });
    expect(res.status, res.text).toBe(200);
  }
  expect((await h.delete(`/clients/${id}`, { key })).status).toBe(200);
  const history = await h.get(`/clients/${id}/history`, { key });
  expect(history.body.data.map((e: HistoryEntry) => e.operation)).toEqual(["batch", "sync", "sync", "sync", "delete"]);
  return { key, id, entries: history.body.data };
}

const verify = async (life: Life) => {
  const res = await h.get(`/clients/${life.id}/history/verify`, { key: life.key });
  expect(res.status, res.text).toBe(200);
  return res.body;
};

async function bodyOf(id: string, sequence: number): Promise<string> {
  const row = await d1().prepare("SELECT body FROM client_history WHERE client_id = ? AND sequence = ? AND part = 0").bind(id, sequence).first<{ body: string }>();
  return row!.body;
}

async function setColumn(id: string, sequence: number, column: string, value: unknown) {
  const result = await d1().prepare(`UPDATE client_history SET ${column} = ? WHERE client_id = ? AND sequence = ? AND part = 0`).bind(value, id, sequence).run();
  expect(result.meta.changes).toBe(1);
}

/** Entry `sequence` with one of its recorded values changed, re-packed as the write side packs it. */
async function alteredEntry(id: string, sequence: number, alter: (entry: any) => void): Promise<Omit<HistoryEntry, "hash">> {
  const entry = JSON.parse(await unpackBody(await bodyOf(id, sequence)));
  alter(entry);
  await setColumn(id, sequence, "body", await packBody(JSON.stringify(entry)));
  return entry;
}

describe("GET /clients/{id}/history/verify", () => {
  it("is valid for a chain written by batch, sync and delete: entries and head", async () => {
    const life = await aLife();
    expect(await verify(life)).toEqual({ valid: true, entries: 5, head: life.entries[4]!.hash });
    // Each entry's hash is the one the contract defines, recomputed here.
    for (const entry of life.entries) expect(await entryHash(withoutHash(entry))).toBe(entry.hash);
    // The clients the sync created or linked have their own chains, which verify too.
    const rep = life.entries[1]!.changes.find((c) => c.entity === "link")!.fields.childClientId!.to as string;
    const repVerify = await h.get(`/clients/${rep}/history/verify`, { key: life.key });
    expect(repVerify.body).toMatchObject({ valid: true });
  });

  it("is valid with no entries for a client stored without history; 404 for an unknown one", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seeded = await h.seedClient("test", tenantId);
    expect((await h.get(`/clients/${seeded.id}/history/verify`, { key })).body).toEqual({ valid: true, entries: 0, head: "" });
    expect((await h.get(`/clients/${crypto.randomUUID()}/history/verify`, { key })).status).toBe(404);
  });

  it("finds an entry's body edited (a field changed, re-packed) at that entry", async () => {
    const life = await aLife();
    await alteredEntry(life.id, 3, (entry) => {
      entry.changes[0].fields.name.to = "Someone else";
    });
    expect(await verify(life)).toEqual({ valid: false, entries: 5, brokenAt: 3 });
    // The history shows the edit, with the hash it was stored with (which no longer matches).
    const shown = (await h.get(`/clients/${life.id}/history`, { key: life.key })).body.data[2];
    expect(shown.changes[0].fields.name.to).toBe("Someone else");
    expect(shown.hash).toBe(life.entries[2]!.hash);
  });

  it("finds an edited entry whose hash was recomputed at the next entry (the chain carries the old hash)", async () => {
    const life = await aLife();
    const altered = await alteredEntry(life.id, 2, (entry) => {
      entry.changes.find((c: any) => c.entity === "bankAccount").fields.accountNumber.to = "999";
    });
    await setColumn(life.id, 2, "hash", await entryHash(altered));
    expect(await verify(life)).toEqual({ valid: false, entries: 5, brokenAt: 3 });
  });

  it("finds a hash column edited, on any entry, the last one included", async () => {
    for (const sequence of [2, 5]) {
      const life = await aLife();
      await setColumn(life.id, sequence, "hash", "0".repeat(64));
      expect(await verify(life)).toEqual({ valid: false, entries: 5, brokenAt: sequence });
    }
  });

  it("finds an entry deleted", async () => {
    for (const sequence of [1, 3]) {
      const life = await aLife();
      await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = ?").bind(life.id, sequence).run();
      expect(await verify(life)).toEqual({ valid: false, entries: 4, brokenAt: sequence });
    }
  });

  it("finds entries removed from the end: a deleted client's chain ends with its deletion, a live client's with its version", async () => {
    const life = await aLife();
    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 5").bind(life.id).run();
    expect(await verify(life)).toEqual({ valid: false, entries: 4, brokenAt: 5 });

    const { key } = await h.newTenantWithKey();
    const created = await h.post("/clients/sync", { client: { type: "individual", name: "Live" } }, { key });
    const id = created.body.client.id as string;
    for (const name of ["Live 2", "Live 3"]) expect((await h.post("/clients/sync", { clientId: id, client: { name } }, { key })).status).toBe(200);
    // Only children changed: the entry records the client's version move too.
    expect((await h.post("/clients/sync", { clientId: id, addresses: [{ street: "S", city: "C", state: "ST", postalCode: "1" }] }, { key })).status).toBe(200);
    const live = { key, id, entries: [] };
    expect(await verify(live)).toMatchObject({ valid: true, entries: 4 });
    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 4").bind(id).run();
    expect(await verify(live)).toEqual({ valid: false, entries: 3, brokenAt: 4 });
    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 3").bind(id).run();
    expect(await verify(live)).toEqual({ valid: false, entries: 2, brokenAt: 3 });
  });

  it("finds two entries whose sequence numbers were swapped", async () => {
    const life = await aLife();
    const move = (from: number, to: number) => d1().prepare("UPDATE client_history SET sequence = ? WHERE client_id = ? AND sequence = ?").bind(to, life.id, from);
    await d1().batch([move(2, -1), move(3, 2), move(-1, 3)]);
    expect(await verify(life)).toEqual({ valid: false, entries: 5, brokenAt: 2 });
  });

  it("finds a body that does not decode, and a column that disagrees with the entry (at, operation, client, linked)", async () => {
    const cases: [string, (life: Life) => Promise<void>, number][] = [
      ["garbage body", (life) => setColumn(life.id, 4, "body", "bm90IGd6aXA="), 4],
      ["at moved", (life) => setColumn(life.id, 3, "at", "2000-01-01T00:00:00.000Z"), 3],
      ["operation", (life) => setColumn(life.id, 5, "operation", "sync"), 5],
      ["linked", (life) => setColumn(life.id, 2, "linked", null), 2],
      ["part count", (life) => setColumn(life.id, 1, "parts", 2), 1],
      [
        "another client's entry",
        async (life) => {
          // The first entry of the client it linked to (same tenant), put in place of its own.
          const rep = life.entries[1]!.changes.find((c) => c.entity === "link")!.fields.childClientId!.to as string;
          await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 1").bind(life.id).run();
          await d1().prepare("UPDATE client_history SET client_id = ? WHERE client_id = ? AND sequence = 1").bind(life.id, rep).run();
        },
        1,
      ],
    ];
    for (const [label, tamper, brokenAt] of cases) {
      const life = await aLife();
      await tamper(life);
      expect(await verify(life), label).toEqual({ valid: false, entries: 5, brokenAt });
    }
  });

  it("verifies an entry stored in several parts, and finds one of its parts missing", async () => {
    const life = await aLife();
    // Entry 2 rewritten in 3 parts, as the write side stores a large body (db/history.ts).
    const body = await bodyOf(life.id, 2);
    const cut = [0, Math.floor(body.length / 3), Math.floor((2 * body.length) / 3), body.length];
    const row = await d1().prepare("SELECT tenant_id FROM client_history WHERE client_id = ? AND sequence = 2").bind(life.id).first<{ tenant_id: string }>();
    await setColumn(life.id, 2, "body", body.slice(0, cut[1]));
    await setColumn(life.id, 2, "parts", 3);
    for (const part of [1, 2]) {
      await d1()
        .prepare("INSERT INTO client_history (tenant_id, client_id, sequence, part, body) VALUES (?, ?, 2, ?, ?)")
        .bind(row!.tenant_id, life.id, part, body.slice(cut[part], cut[part + 1]))
        .run();
    }
    expect(await verify(life)).toEqual({ valid: true, entries: 5, head: life.entries[4]!.hash });
    expect((await h.get(`/clients/${life.id}/history`, { key: life.key })).body.data[1]).toEqual(life.entries[1]);

    await d1().prepare("DELETE FROM client_history WHERE client_id = ? AND sequence = 2 AND part = 1").bind(life.id).run();
    expect(await verify(life)).toEqual({ valid: false, entries: 5, brokenAt: 2 });
  });
});
