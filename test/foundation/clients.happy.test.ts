// Reading and deleting clients (API.md §4.1, §7): the full client, pagination, delete.
// Clients are seeded straight into D1; the database is checked as well as the responses.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents } from "../../src/db/schema";
import { CLIENT_OWN_KEYS, FULL_CLIENT_KEYS, LINK_KEYS } from "../support/contract-keys";
import { createHarness } from "../support/harness";

const h = createHarness();


/** Whole years from a YYYY-MM-DD date to today, UTC (independent of the app's own helper). */
function yearsSince(date: string): number {
  const today = new Date().toISOString().slice(0, 10);
  const years = Number(today.slice(0, 4)) - Number(date.slice(0, 4));
  return today.slice(5) < date.slice(5) ? years - 1 : years;
}

/** A row as the API shows it: without the tenant. */
function shown<T extends { tenantId: string }>(row: T): Omit<T, "tenantId"> {
  const { tenantId: _tenantId, ...rest } = row;
  return rest;
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("GET /clients/{id}", () => {
  it("answers the full client: every key in order, derived fields, ordered children, linked clients, ETag", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const t0 = Date.parse("2026-01-01T00:00:00.000Z");
    const client = await h.seedClient("test", tenantId, {
      type: "individual",
      name: "Ana",
      middleName: "María",
      lastName: "García",
      nationalities: ["MX", "ES"],
      scopes: ["base", "MX"],
      externalId: `ana-${tenantId}`,
      metadata: { source: "crm", nested: { a: 1 } },
      birthDate: "1990-06-15",
      scopeData: { MX: { rfc: "GAMA900615AB1" } },
      employment: { isEmployee: true, position: "CFO" },
      createdAt: iso(t0),
      updatedAt: iso(t0 + 1000),
    });
    // Addresses: createdAt order differs from insertion order; two share a createdAt (then id decides).
    const late = await h.seedAddress("test", client, { createdAt: iso(t0 + 3000), updatedAt: iso(t0 + 3000), street: "late" });
    const tieHigh = await h.seedAddress("test", client, {
      id: "00000000-0000-7000-8000-00000000000b",
      createdAt: iso(t0 + 2000),
      updatedAt: iso(t0 + 2000),
      street: "tie high",
    });
    const tieLow = await h.seedAddress("test", client, {
      id: "00000000-0000-7000-8000-00000000000a",
      createdAt: iso(t0 + 2000),
      updatedAt: iso(t0 + 2000),
      street: "tie low",
      isPrimary: true,
    });
    // email: the primary one wins over the oldest. phone: `phone` wins over an older `mobile`.
    const oldEmail = await h.seedContactMethod("test", client, { type: "email", value: "old@example.com", createdAt: iso(t0 + 100) });
    const mobile = await h.seedContactMethod("test", client, { type: "mobile", value: "+52 55 0000 0000", createdAt: iso(t0 + 200) });
    const primaryEmail = await h.seedContactMethod("test", client, {
      type: "email",
      value: "primary@example.com",
      isPrimary: true,
      createdAt: iso(t0 + 300),
    });
    const phone = await h.seedContactMethod("test", client, { type: "phone", value: "+52 55 1111 1111", createdAt: iso(t0 + 400) });
    const account = await h.seedBankAccount("test", client, { clabe: "002010077777777771", codigoBanco: "002", codigoPlaza: "010" });
    const document = await h.seedDocument("test", client, { fields: { number: "X1" }, size: 1024, contentType: "application/pdf" });
    // Linked clients: the representative has two emails (none primary: the oldest wins) and a mobile.
    const rep = await h.seedClient("test", tenantId, { name: "Rep", isPrimary: false, createdAt: iso(t0 + 10), updatedAt: iso(t0 + 10) });
    await h.seedContactMethod("test", rep, { type: "email", value: "rep-old@example.com", createdAt: iso(t0 + 20) });
    await h.seedContactMethod("test", rep, { type: "email", value: "rep-new@example.com", createdAt: iso(t0 + 30) });
    await h.seedContactMethod("test", rep, { type: "mobile", value: "+52 55 2222 2222", createdAt: iso(t0 + 40) });
    const bare = await h.seedClient("test", tenantId, { name: "Bare", type: "company", createdAt: iso(t0 + 11), updatedAt: iso(t0 + 11) });
    const repLink = await h.seedLink("test", client, rep, {
      relationshipType: "legal_representative",
      metadata: { since: 2020 },
      createdAt: iso(t0 + 6000),
      updatedAt: iso(t0 + 6000),
    });
    const bareLink = await h.seedLink("test", client, bare, { createdAt: iso(t0 + 5000), updatedAt: iso(t0 + 5000) });
    // A link where the client is the CHILD is not one of its linkedClients.
    await h.seedLink("test", rep, client);

    const res = await h.get(`/clients/${client.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(FULL_CLIENT_KEYS);
    const { version: _version, ...own } = shown(client);
    expect(res.body).toEqual({
      ...own,
      age: yearsSince("1990-06-15"),
      employment: { isEmployee: true, employeeId: null, position: "CFO", department: null, startDate: null },
      email: "primary@example.com",
      phone: "+52 55 1111 1111",
      addresses: [shown(tieLow), shown(tieHigh), shown(late)],
      contactMethods: [shown(oldEmail), shown(mobile), shown(primaryEmail), shown(phone)],
      bankAccounts: [shown(account)],
      documents: [shown(document)],
      linkedClients: [
        {
          id: bareLink.id,
          relationshipType: null,
          client: {
            ...(({ version: _v, ...rest }) => rest)(shown(bare)),
            age: null,
            email: null,
            phone: null,
          },
          metadata: {},
          createdAt: bareLink.createdAt,
          updatedAt: bareLink.updatedAt,
        },
        {
          id: repLink.id,
          relationshipType: "legal_representative",
          client: {
            ...(({ version: _v, ...rest }) => rest)(shown(rep)),
            age: null,
            email: "rep-old@example.com",
            phone: "+52 55 2222 2222",
          },
          metadata: { since: 2020 },
          createdAt: repLink.createdAt,
          updatedAt: repLink.updatedAt,
        },
      ],
      riskAssessments: {},
      tags: [],
    });
    for (const link of res.body.linkedClients) {
      expect(Object.keys(link)).toEqual(LINK_KEYS);
      expect(Object.keys(link.client)).toEqual(CLIENT_OWN_KEYS);
    }

    // ETag: a quoted strong validator, stable while nothing changes, moved by any change in the graph.
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{16,}"$/);
    expect((await h.get(`/clients/${client.id}`, { key })).headers.get("etag")).toBe(etag);
    // A linked client's derived email is part of the representation, so of the ETag.
    await h.db("test").update(contactMethods).set({ value: "rep-changed@example.com" }).where(eq(contactMethods.value, "rep-old@example.com"));
    const afterLinkedChange = await h.get(`/clients/${client.id}`, { key });
    expect(afterLinkedChange.body.linkedClients[1].client.email).toBe("rep-changed@example.com");
    const etag2 = afterLinkedChange.headers.get("etag");
    expect(etag2).not.toBe(etag);
    await h.db("test").update(addresses).set({ street: "moved" }).where(eq(addresses.id, late.id));
    expect((await h.get(`/clients/${client.id}`, { key })).headers.get("etag")).not.toBe(etag2);
  });

  it("costs one round trip: the key lookup and the graph", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const res = await h.get(`/clients/${client.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.stats.roundTrips).toBe(1); // the key lookup shares the first round trip
    // The key lookup, then the whole graph as one statement (db/graph.ts).
    expect(res.stats.batchSizes).toEqual([2]);
    expect(res.stats.statementCount).toBe(2);
    expect(res.stats.rowsWritten).toBe(0);
    expect(res.stats.unmeteredStatements).toBe(0);
    expect(h.lastStats()).toBe(res.stats);
  });

  // API.md §9: reads go through indexes, so what a GET reads depends on the client, not on how many
  // clients the tenant (or the database) holds. Measured at two tenant sizes, both with neighbours
  // on either side of the client in every index (an index range scan reads one row past its end).
  it("reads rows in proportion to the client, not to the tenant's size", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seedOther = async (i: number) => {
      const other = await h.seedClient("test", tenantId, { name: `other ${i}` });
      await h.seedAddress("test", other);
      await h.seedContactMethod("test", other);
    };
    for (let i = 0; i < 3; i++) await seedOther(i);
    const client = await h.seedClient("test", tenantId);
    await h.seedAddress("test", client);
    await h.seedContactMethod("test", client);
    for (let i = 3; i < 6; i++) await seedOther(i);
    const small = await h.get(`/clients/${client.id}`, { key });
    expect(small.status).toBe(200);

    for (let i = 6; i < 46; i++) await seedOther(i);
    const large = await h.get(`/clients/${client.id}`, { key });
    expect(large.stats.statementCount).toBe(2);
    expect(large.stats.rowsRead).toBe(small.stats.rowsRead);
  });

  it("accepts an upper-case id and answers the stored (lower-case) one", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const res = await h.get(`/clients/${client.id.toUpperCase()}`, { key });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(client.id);
  });
});

describe("GET /clients", () => {
  async function pages(key: string, query: string) {
    const seen: any[] = [];
    const responses: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.get(`/clients?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key });
      expect(res.status).toBe(200);
      responses.push(res.body);
      seen.push(...res.body.data);
      cursor = res.body.pagination.nextCursor;
      expect(res.body.pagination.hasMore).toBe(cursor !== null);
    } while (cursor !== null && responses.length < 50);
    return { seen, responses };
  }

  it("lists every client of the tenant exactly once across pages, ordered by createdAt then id", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const t0 = Date.parse("2026-02-01T00:00:00.000Z");
    const seeded = [];
    // Insertion order is not the listing order; three clients share a createdAt.
    for (const offset of [5, 1, 3, 3, 3, 0, 9]) {
      seeded.push(await h.seedClient("test", tenantId, { createdAt: iso(t0 + offset), updatedAt: iso(t0 + offset) }));
    }
    const expected = [...seeded]
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1))
      .map((c) => c.id);
    const { seen, responses } = await pages(key, "limit=3");
    expect(responses.map((r) => r.data.length)).toEqual([3, 3, 1]);
    expect(seen.map((c) => c.id)).toEqual(expected);
    expect(Object.keys(seen[0])).toEqual(FULL_CLIENT_KEYS);
    expect(responses.at(-1).pagination).toEqual({ hasMore: false, nextCursor: null });

    // An exact page boundary: the last full page says there is no more.
    const exact = await pages(key, "limit=7");
    expect(exact.responses).toHaveLength(1);
    expect(exact.responses[0].pagination).toEqual({ hasMore: false, nextCursor: null });
  });

  it("never repeats or skips a client when clients are inserted between page requests", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const initial = [];
    for (let i = 0; i < 5; i++) initial.push(await h.seedClient("test", tenantId, { name: `c${i}` }));
    const first = await h.get(`/clients?limit=2`, { key });
    expect(first.body.data.map((c: any) => c.id)).toEqual(initial.slice(0, 2).map((c) => c.id));
    // Inserted after the first page: one sorting before the cursor (not shown), two after (shown once).
    const early = await h.seedClient("test", tenantId, { createdAt: "2000-01-01T00:00:00.000Z", name: "early" });
    const later = [await h.seedClient("test", tenantId, { name: "later 1" }), await h.seedClient("test", tenantId, { name: "later 2" })];
    const seen = [...first.body.data];
    let cursor = first.body.pagination.nextCursor;
    while (cursor) {
      const res = await h.get(`/clients?limit=2&cursor=${encodeURIComponent(cursor)}`, { key });
      seen.push(...res.body.data);
      cursor = res.body.pagination.nextCursor;
    }
    const ids = seen.map((c) => c.id);
    expect(ids).toEqual([...initial, ...later].map((c) => c.id));
    expect(ids).not.toContain(early.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("defaults to 20 per page and takes limits from 1 to 200", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    for (let i = 0; i < 21; i++) await h.seedClient("test", tenantId);
    const byDefault = await h.get(`/clients`, { key });
    expect(byDefault.body.data).toHaveLength(20);
    expect(byDefault.body.pagination.hasMore).toBe(true);
    expect(typeof byDefault.body.pagination.nextCursor).toBe("string");
    expect((await h.get(`/clients?limit=1`, { key })).body.data).toHaveLength(1);
    const max = await h.get(`/clients?limit=200`, { key });
    expect(max.body.data).toHaveLength(21);
    expect(max.body.pagination).toEqual({ hasMore: false, nextCursor: null });
    // One round trip (the key lookup and the page), whatever the page size.
    expect(max.stats.roundTrips).toBe(1); // the key lookup shares the first round trip
    expect(max.stats.batchSizes).toEqual([3]); // the key lookup, the page's graphs, the probe for one more
  });

  it("reads rows in proportion to the page, not to the tenant's size", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seedOne = async () => {
      const c = await h.seedClient("test", tenantId);
      await h.seedAddress("test", c);
      await h.seedContactMethod("test", c);
    };
    for (let i = 0; i < 3; i++) await seedOne();
    const small = await h.get(`/clients?limit=2`, { key });
    for (let i = 0; i < 30; i++) await seedOne();
    const large = await h.get(`/clients?limit=2`, { key });
    expect(large.body.data.map((c: any) => c.id)).toEqual(small.body.data.map((c: any) => c.id));
    expect(large.stats.rowsRead).toBe(small.stats.rowsRead);
  });

  it.each(["0", "201", "-1", "abc", "1.5", "", "1e2"])("rejects limit=%s with a 400 pointing at /limit", async (limit) => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get(`/clients?limit=${limit}`, { key });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "BAD_REQUEST", errors: [{ pointer: "/limit" }] });
  });

  it.each(["not-a-cursor", "eyJ4IjoxfQ", "%00%01", "W10"])("rejects a bad cursor (%s) with a 400", async (cursor) => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get(`/clients?cursor=${cursor}`, { key });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "BAD_REQUEST", errors: [{ pointer: "/cursor" }] });
  });

  it("refuses every cursor it did not issue to this query: forged, edited, truncated, another tenant's or filter's", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    for (let i = 0; i < 3; i++) await h.seedClient("test", tenantId);
    const first = await h.get(`/clients?limit=1`, { key });
    const issued: string = first.body.pagination.nextCursor;
    expect(issued).toEqual(expect.any(String));
    expect((await h.get(`/clients?limit=1&cursor=${issued}`, { key })).status).toBe(200);

    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const [payload, mac] = issued.split(".") as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const other = await h.newTenantWithKey();
    const forged = [
      b64(["garbage", "nonsense"]), // a position the service never issued: no longer an empty 200 page
      b64(["", ""]), // no longer the first page
      `${b64(["0000-00-00", "0"])}.${mac}`, // another position under a real MAC
      `${flip(payload, 2)}.${mac}`, // edited position
      `${payload}.${flip(mac, 3)}`, // edited MAC
      issued.slice(0, -1), // truncated
      payload, // MAC left out
    ];
    for (const cursor of forged) {
      const res = await h.get(`/clients?limit=1&cursor=${encodeURIComponent(cursor)}`, { key });
      expect(res.status, cursor).toBe(400);
      expect(res.body).toMatchObject({ code: "BAD_REQUEST", errors: [{ pointer: "/cursor" }] });
    }
    // Issued to another tenant, or to another filter: not a position for this query.
    expect((await h.get(`/clients?limit=1&cursor=${issued}`, { key: other.key })).status).toBe(400);
    expect((await h.get(`/clients?limit=1&externalId=x&cursor=${issued}`, { key })).status).toBe(400);
  });

  it("rejects an unknown query parameter", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get(`/clients?page=2`, { key });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ pointer: "/page" })]);
  });

  it("filters by externalId", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await h.seedClient("test", tenantId, { externalId: "crm-1" });
    const wanted = await h.seedClient("test", tenantId, { externalId: "crm/2 ü" });
    await h.seedClient("test", tenantId);
    const res = await h.get(`/clients?externalId=${encodeURIComponent("crm/2 ü")}`, { key });
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: any) => c.id)).toEqual([wanted.id]);
    expect(res.body.pagination).toEqual({ hasMore: false, nextCursor: null });
    const none = await h.get(`/clients?externalId=nobody`, { key });
    expect(none.body).toEqual({ data: [], pagination: { hasMore: false, nextCursor: null } });
  });
});

describe("DELETE /clients/{id}", () => {
  it("removes the client, its children and every link touching it; linked clients stay", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const parent = await h.seedClient("test", tenantId, { name: "parent" });
    const child = await h.seedClient("test", tenantId, { name: "child", isPrimary: false });
    const bystander = await h.seedClient("test", tenantId, { name: "bystander" });
    await h.seedAddress("test", client);
    await h.seedAddress("test", client);
    await h.seedContactMethod("test", client);
    await h.seedBankAccount("test", client);
    await h.seedDocument("test", client);
    await h.seedLink("test", parent, client);
    await h.seedLink("test", client, child);
    await h.seedLink("test", parent, bystander);
    await h.seedAddress("test", child);

    const res = await h.delete(`/clients/${client.id}`, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: client.id, deleted: true });
    // The API key with the client's graph, the links to it, their parents and the history heads
    // (the write path decides from a read); one write batch: the guard that the client still
    // exists, the 7 statements of the delete, its history entries and their outbox rows, and its
    // lookup keys marked deleted (API.md §14), and the completeness column of the clients it changed (§16).
    expect(res.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(res.stats.batchSizes).toEqual([5, 12]);

    for (const table of [addresses, contactMethods, bankAccounts, documents]) {
      expect(await h.rows("test", table, { clientId: client.id })).toEqual([]);
    }
    expect(await h.rows("test", clients, { id: client.id })).toEqual([]);
    expect(await h.rows("test", clientLinks, { parentClientId: client.id })).toEqual([]);
    expect(await h.rows("test", clientLinks, { childClientId: client.id })).toEqual([]);
    // Linked clients, their own data and unrelated links stay.
    expect((await h.rows("test", clients, { tenantId })).map((c) => c.id).sort()).toEqual(
      [parent.id, child.id, bystander.id].sort(),
    );
    expect(await h.rows("test", addresses, { clientId: child.id })).toHaveLength(1);
    expect(await h.rows("test", clientLinks, { parentClientId: parent.id })).toHaveLength(1);
    // The parent's graph changed (it lost a link): its version moved.
    const [parentAfter] = await h.rows("test", clients, { id: parent.id });
    expect(parentAfter!.version).toBe(parent.version + 1);
    expect((await h.get(`/clients/${parent.id}`, { key })).body.linkedClients.map((l: any) => l.client.id)).toEqual([
      bystander.id,
    ]);

    const get = await h.get(`/clients/${client.id}`, { key });
    expect(get.status).toBe(404);
    expect(get.body.code).toBe("NOT_FOUND");
    const again = await h.delete(`/clients/${client.id}`, { key });
    expect(again.status).toBe(404);
  });

  it("answers 404 for an unknown id and 400 for a malformed one, writing nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await h.seedClient("test", tenantId);
    const before = await h.count("test", clients, tenantId);
    const unknown = await h.delete(`/clients/${crypto.randomUUID()}`, { key });
    expect(unknown.status).toBe(404);
    expect(unknown.stats.rowsWritten).toBe(0);
    const malformed = await h.delete(`/clients/not-a-uuid`, { key });
    expect(malformed.status).toBe(400);
    expect(await h.count("test", clients, tenantId)).toBe(before);
  });
});
