// The read side of the compliance record (API.md §11): GET /clients/{id}/history (pages, cursor,
// deleted clients, isolation), GET /clients/{id}?asOf= (the client exactly as GET answered then),
// permissions, and rows read that do not grow with the database.
import { describe, expect, it } from "vitest";
import { historyPageRead, recordAsOfRead, wholeHistoryRead } from "../../src/db/history-reads";
import { clientHistory } from "../../src/db/schema";
import { PERMISSIONS } from "../../src/http/keys";
import { createHarness, type ApiResponse } from "../support/harness";
import { clabe, uniq } from "../sync/helpers";

const h = createHarness();

/** Lets the clock move, so that two writes, or a write and a read, never share a millisecond. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

function ok<T = any>(response: ApiResponse<T>): ApiResponse<T> {
  expect(response.status, response.text).toBe(200);
  return response;
}

async function newClient(key: string, body: Record<string, unknown> = {}) {
  const res = ok(await h.post("/clients/sync", { client: { type: "individual", name: `C ${uniq()}` }, ...body }, { key }));
  return res.body.client.id as string;
}

/** A client with `n` entries: its creation and n − 1 renames. */
async function clientWithEntries(key: string, n: number) {
  const id = await newClient(key);
  for (let i = 2; i <= n; i++) ok(await h.post("/clients/sync", { clientId: id, client: { name: `rename ${i}` } }, { key }));
  return id;
}

describe("GET /clients/{id}/history", () => {
  it("pages through the entries in sequence order: limit, cursor, hasMore", async () => {
    const { key } = await h.newTenantWithKey();
    const id = await clientWithEntries(key, 5);
    const all = ok(await h.get(`/clients/${id}/history`, { key }));
    expect(all.body.data.map((e: any) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(all.body.pagination).toEqual({ hasMore: false, nextCursor: null });
    expect(all.body.data[0]).toMatchObject({ clientId: id, operation: "sync", previousHash: "" });
    expect(all.body.data[1].previousHash).toBe(all.body.data[0].hash);
    expect(all.body.data[4].changes).toEqual([
      { entity: "client", id, action: "updated", fields: expect.objectContaining({ name: { from: "rename 4", to: "rename 5" } }) },
    ]);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ApiResponse = ok(await h.get(`/clients/${id}/history?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key }));
      seen.push(...page.body.data.map((e: any) => e.sequence));
      expect(page.body.pagination.hasMore).toBe(page.body.pagination.nextCursor !== null);
      cursor = page.body.pagination.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
    // Entries of a page are the entries of the full read.
    const second = ok(await h.get(`/clients/${id}/history?limit=2`, { key }));
    expect(second.body.data).toEqual(all.body.data.slice(0, 2));
    // An exact multiple: the last full page says there is no more.
    const four = ok(await h.get(`/clients/${id}/history?limit=4`, { key }));
    const rest = ok(await h.get(`/clients/${id}/history?limit=1&cursor=${four.body.pagination.nextCursor}`, { key }));
    expect(rest.body).toEqual({ data: [all.body.data[4]], pagination: { hasMore: false, nextCursor: null } });
  });

  it("defaults to 50 entries a page and takes limits from 1 to 200", async () => {
    const { key } = await h.newTenantWithKey();
    // One batch makes 51 clients, and a sync linking all of them gives the parent 1 entry; 51
    // entries come cheapest from 51 renames of one client.
    const id = await clientWithEntries(key, 52);
    const page = ok(await h.get(`/clients/${id}/history`, { key }));
    expect(page.body.data).toHaveLength(50);
    expect(page.body.pagination.hasMore).toBe(true);
    expect(ok(await h.get(`/clients/${id}/history?limit=200`, { key })).body.data).toHaveLength(52);
    for (const limit of ["0", "201", "-1", "x", "1.5"]) {
      const res = await h.get(`/clients/${id}/history?limit=${limit}`, { key });
      expect(res.status, limit).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: "/limit" })]);
    }
    const unknown = await h.get(`/clients/${id}/history?since=1`, { key });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ pointer: "/since", code: "unrecognized_keys" })]);
  });

  it("refuses every cursor it did not issue to this client's history: forged, edited, another client's, tenant's or a list cursor", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const id = await clientWithEntries(key, 3);
    const other = await clientWithEntries(key, 3);
    const cursor = ok(await h.get(`/clients/${id}/history?limit=1`, { key })).body.pagination.nextCursor as string;
    const otherCursor = ok(await h.get(`/clients/${other}/history?limit=1`, { key })).body.pagination.nextCursor as string;
    const listCursor = ok(await h.get(`/clients?limit=1`, { key })).body.pagination.nextCursor as string;
    expect(ok(await h.get(`/clients/${id}/history?limit=1&cursor=${cursor}`, { key })).body.data[0].sequence).toBe(2);

    const [payload, mac] = cursor.split(".") as [string, string];
    const forgedPayload = btoa(JSON.stringify([0])).replace(/=+$/, "");
    const secondTenant = await h.createKey({ tenantId: h.newTenant() });
    const refused = [
      `${forgedPayload}.${mac}`, // another position under the old MAC
      `${payload}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`, // an edited MAC
      cursor.slice(0, -2), // truncated
      otherCursor, // another client's history
      listCursor, // a list cursor
      "not-a-cursor",
    ];
    for (const bad of refused) {
      const res = await h.get(`/clients/${id}/history?cursor=${bad}`, { key });
      expect(res.status, bad).toBe(400);
      expect(res.body.errors, bad).toEqual([expect.objectContaining({ pointer: "/cursor", code: "invalid_value" })]);
    }
    // The cursor of this history, sent by another tenant, is refused too (not read as a position).
    expect((await h.get(`/clients/${id}/history?cursor=${cursor}`, { key: secondTenant })).status).toBe(400);
    // Reported with the query's other problems, in one answer.
    const both = await h.get(`/clients/${id}/history?limit=0&cursor=${otherCursor}`, { key });
    expect(both.body.errors.map((e: any) => e.pointer).sort()).toEqual(["/cursor", "/limit"]);
    expect(tenantId).toBeTruthy();
  });

  it("still answers a deleted client's history, ending with its deletion", async () => {
    const { key } = await h.newTenantWithKey();
    const id = await clientWithEntries(key, 2);
    ok(await h.delete(`/clients/${id}`, { key }));
    expect((await h.get(`/clients/${id}`, { key })).status).toBe(404);
    const history = ok(await h.get(`/clients/${id}/history`, { key }));
    expect(history.body.data.map((e: any) => [e.sequence, e.operation])).toEqual([
      [1, "sync"],
      [2, "sync"],
      [3, "delete"],
    ]);
    expect(history.body.data[2].changes[0]).toMatchObject({ entity: "client", id, action: "deleted" });
    // Paged too.
    const first = ok(await h.get(`/clients/${id}/history?limit=2`, { key }));
    const next = ok(await h.get(`/clients/${id}/history?limit=2&cursor=${first.body.pagination.nextCursor}`, { key }));
    expect(next.body.data.map((e: any) => e.sequence)).toEqual([3]);
  });

  it("answers an empty page for a client stored without history, and 404 for an unknown id, another tenant's or another environment's", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seeded = await h.seedClient("test", tenantId);
    expect(ok(await h.get(`/clients/${seeded.id}/history`, { key })).body).toEqual({ data: [], pagination: { hasMore: false, nextCursor: null } });

    const id = await clientWithEntries(key, 2);
    const other = await h.newTenantWithKey();
    const live = await h.newTenantWithKey("live");
    const liveSameTenant = await h.createKey({ env: "live", tenantId });
    const unknown = crypto.randomUUID();
    for (const [path, k] of [
      [`/clients/${unknown}/history`, key],
      [`/clients/${id}/history`, other.key],
      [`/clients/${id}/history/verify`, other.key],
      [`/clients/${id}?asOf=2999-01-01T00:00:00Z`, other.key],
    ] as const) {
      const res = await h.get(path, { key: k });
      expect(res.status, path).toBe(404);
      expect(res.body).toMatchObject({ code: "NOT_FOUND", detail: `Client ${path.split("/")[2]!.split("?")[0]} not found` });
    }
    // A deleted client of another tenant is as unknown as one that never was.
    ok(await h.delete(`/clients/${id}`, { key }));
    expect((await h.get(`/clients/${id}/history`, { key: other.key })).status).toBe(404);
    // The other environment's database has none of it.
    for (const k of [live.key, liveSameTenant]) {
      expect((await h.get(`/clients/${id}/history`, { key: k, env: "live" })).status).toBe(404);
    }
    expect(await h.rows("live", clientHistory, { clientId: id })).toEqual([]);
    // 400 for a malformed id, without echoing it.
    const malformed = await h.get(`/clients/not-a-uuid/history`, { key });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toContain("not-a-uuid");
  });

  it("needs clients:history (read is not enough), and is one round trip with the key lookup", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const id = await clientWithEntries(key, 2);
    const readOnly = await h.createKey({ tenantId, permissions: PERMISSIONS.filter((p) => p !== "clients:history") });
    for (const path of [`/clients/${id}/history`, `/clients/${id}/history/verify`]) {
      const res = await h.get(path, { key: readOnly });
      expect(res.status).toBe(403);
      expect(res.body.detail).toBe("API key lacks permission: test:clients:history");
    }
    // 403 before the query's own 400 (API.md §3: the key's answer first).
    expect((await h.get(`/clients/${id}/history?limit=0`, { key: readOnly })).status).toBe(403);
    const historyOnly = await h.createKey({ tenantId, permissions: ["clients:history"] });
    for (const path of [`/clients/${id}/history`, `/clients/${id}/history/verify`]) {
      const res = ok(await h.get(path, { key: historyOnly }));
      expect(res.stats.roundTrips).toBe(1);
    }
    expect((await h.get(`/clients/${id}/history`, { key: "sk_test_short" })).status).toBe(401);
  });
});

// -------------------------------------------------------------------------------------------------
// asOf
// -------------------------------------------------------------------------------------------------

interface Seen {
  at: string;
  text: string;
  label: string;
}

describe("GET /clients/{id}?asOf=", () => {
  it("answers, for instants across a client's life, exactly the GET body of that instant; 404 before and after", async () => {
    const { key } = await h.newTenantWithKey();
    const x = uniq();
    const seen: Seen[] = [];
    let anaId = "";
    /** GET Ana now; the instant after it (before the next write) sees the same state. */
    const record = async (label: string) => {
      await tick();
      const res = ok(await h.get(`/clients/${anaId}`, { key }));
      seen.push({ at: new Date().toISOString(), text: res.text, label });
      await tick();
    };

    const bob = ok(
      await h.post(
        "/clients/batch",
        { items: [{ type: "individual", name: "Bob", externalId: `bob-${x}`, birthDate: "1975-02-03" }] },
        { key },
      ),
    ).body.data[0].id as string;
    ok(await h.post("/clients/sync", { clientId: bob, contactMethods: [{ externalId: `bob-mail-${x}`, value: "bob@old.example", isPrimary: true }] }, { key }));
    await tick();
    const beforeAna = new Date().toISOString();
    await tick();

    const created = ok(
      await h.post(
        "/clients/sync",
        {
          client: {
            type: "individual",
            name: "Ana",
            lastName: "Gómez",
            birthDate: "1990-06-15",
            nationalities: ["MX"],
            scopes: ["base", "MX"],
            externalId: `ana-${x}`,
            metadata: { segment: "retail", nested: { b: 1, a: 2 } },
            employment: { isEmployee: true, position: "Analyst" },
            scopeData: { MX: { rfc: "GOMA900615AB1" } },
          },
          addresses: [{ externalId: `home-${x}`, street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", isPrimary: true }],
          contactMethods: [
            { externalId: `mail-${x}`, value: "ana@example.com", isPrimary: true },
            { externalId: `phone-${x}`, value: "+52 55 1234 5678" },
          ],
          bankAccounts: [{ externalId: `bank-${x}`, accountNumber: "0123", bankName: "BBVA", currency: "MXN", clabe: clabe(), isPrimary: true }],
          documents: [{ externalId: `ine-${x}`, type: "ine", category: "identity", expiresAt: "2031-12-31", fields: { number: "123" } }],
          linkedClients: [
            { clientId: bob, relationshipType: "guarantor", metadata: { since: 2020 } },
            { child: { type: "individual", name: "Carl", externalId: `carl-${x}` }, relationshipType: "legal_representative" },
          ],
        },
        { key },
      ),
    );
    anaId = created.body.client.id;
    const carl = created.body.client.linkedClients.find((l: any) => l.client.name === "Carl").client.id as string;
    await record("created with children and links");

    // Her own fields, a child updated, one deleted, one created, a new primary email (demoting the old one).
    ok(
      await h.post(
        "/clients/sync",
        {
          clientId: anaId,
          client: { middleName: "Lucía", metadata: { segment: "premium" }, employment: null },
          addresses: [{ externalId: `home-${x}`, street: "Reforma 2" }],
          contactMethods: [
            { externalId: `phone-${x}`, _delete: true },
            { externalId: `mail2-${x}`, value: "ana@new.example", isPrimary: true },
          ],
          documents: [{ externalId: `rfc-${x}`, type: "rfc", category: "tax" }],
        },
        { key },
      ),
    );
    await record("fields and children updated");

    // Only a link's metadata.
    ok(await h.post("/clients/sync", { clientId: anaId, linkedClients: [{ clientId: bob, metadata: { since: 2021 } }] }, { key }));
    await record("link updated");

    // A linked client changes his own name and email: Ana's answer shows it.
    ok(
      await h.post(
        "/clients/sync",
        { clientId: bob, client: { name: "Robert" }, contactMethods: [{ externalId: `bob-mail-${x}`, value: "robert@new.example" }] },
        { key },
      ),
    );
    await record("linked client renamed");

    ok(await h.post("/clients/sync", { clientId: anaId, linkedClients: [{ clientId: bob, _delete: true }] }, { key }));
    await record("link removed");

    // A linked client deleted: the link goes with it.
    ok(await h.delete(`/clients/${carl}`, { key }));
    await record("linked client deleted");

    // Bob keeps changing after the link is gone: Ana's past answers do not move.
    ok(await h.post("/clients/sync", { clientId: bob, client: { name: "Roberto" } }, { key }));
    await record("an unlinked client changed");

    ok(await h.delete(`/clients/${anaId}`, { key }));
    const history = ok(await h.get(`/clients/${anaId}/history`, { key })).body.data as any[];
    const deletedAt = history.at(-1).at as string;
    expect(history.at(-1).operation).toBe("delete");

    // Every step changed the answer, but the last: Bob is no longer linked.
    expect(new Set(seen.slice(0, -1).map((s) => s.text)).size).toBe(seen.length - 1);
    expect(seen.at(-1)!.text).toBe(seen.at(-2)!.text);
    for (const { at, text, label } of seen) {
      const res = ok(await h.get(`/clients/${anaId}?asOf=${at}`, { key }));
      expect(res.text, label).toBe(text);
      expect(res.headers.get("etag"), label).toBeNull();
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    }
    // The instant of an entry itself shows that entry's state (at <= asOf).
    const second = history[1];
    expect(ok(await h.get(`/clients/${anaId}?asOf=${second.at}`, { key })).text).toBe(seen[1]!.text);
    // Offsets name the same instant.
    const shifted = new Date(Date.parse(seen[2]!.at) + 5.5 * 3_600_000).toISOString().replace("Z", "+05:30");
    expect(ok(await h.get(`/clients/${anaId}?asOf=${encodeURIComponent(shifted)}`, { key })).text).toBe(seen[2]!.text);

    for (const at of [beforeAna, deletedAt, new Date(Date.parse(deletedAt) + 1).toISOString(), "2999-01-01T00:00:00Z", "2000-01-01T00:00:00+01:00"]) {
      const res = await h.get(`/clients/${anaId}?asOf=${encodeURIComponent(at)}`, { key });
      expect(res.status, at).toBe(404);
      expect(res.body.detail).toBe(`Client ${anaId} not found`);
    }
    // The instant just before the deletion still shows her.
    expect(ok(await h.get(`/clients/${anaId}?asOf=${new Date(Date.parse(deletedAt) - 1).toISOString()}`, { key })).text).toBe(seen.at(-1)!.text);
  });

  it("computes age for the instant's date", async () => {
    const { key } = await h.newTenantWithKey();
    const now = new Date();
    // Turns 30 two days from now (UTC).
    const birthday = new Date(Date.UTC(now.getUTCFullYear() - 30, now.getUTCMonth(), now.getUTCDate() + 2)).toISOString().slice(0, 10);
    const id = await newClient(key, { client: { type: "individual", name: "Birthday", birthDate: birthday } });
    expect(ok(await h.get(`/clients/${id}`, { key })).body.age).toBe(29);
    const later = new Date(now.getTime() + 3 * 86_400_000).toISOString();
    const asOf = ok(await h.get(`/clients/${id}?asOf=${later}`, { key }));
    expect(asOf.body.age).toBe(30);
    expect(asOf.body.birthDate).toBe(birthday);
  });

  it("accepts ISO 8601 with Z or an offset, with or without milliseconds; refuses the rest with a 400 at /asOf", async () => {
    const { key } = await h.newTenantWithKey();
    const id = await newClient(key);
    for (const at of ["2999-01-01T00:00:00Z", "2999-01-01T00:00:00.5Z", "2999-01-01T00:00:00.123Z", "2999-01-01T02:00:00+02:00", "2999-01-01T00:00:00.123456-03:00"]) {
      expect((await h.get(`/clients/${id}?asOf=${encodeURIComponent(at)}`, { key })).status, at).toBe(200);
    }
    for (const at of ["yesterday", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00Z", "1767225600000", ""]) {
      const res = await h.get(`/clients/${id}?asOf=${encodeURIComponent(at)}`, { key });
      expect(res.status, at).toBe(400);
      expect(res.body.errors, at).toEqual([expect.objectContaining({ pointer: "/asOf", code: "invalid_value" })]);
    }
    const twice = await h.get(`/clients/${id}?asOf=2999-01-01T00:00:00Z&asOf=2999-01-01T00:00:00Z`, { key });
    expect(twice.body.errors).toEqual([expect.objectContaining({ pointer: "/asOf", code: "invalid_type" })]);
    // Like GET /clients, an unknown query parameter is refused, not ignored.
    const unknown = await h.get(`/clients/${id}?asof=2999-01-01T00:00:00Z`, { key });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ pointer: "/asof", code: "unrecognized_keys" })]);
    // Without asOf, GET is as before: an ETag.
    expect((await h.get(`/clients/${id}`, { key })).headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("needs clients:history besides clients:read (403 before a malformed asOf's 400), in one round trip", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const id = await newClient(key);
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read"] });
    const historyOnly = await h.createKey({ tenantId, permissions: ["clients:history"] });
    ok(await h.get(`/clients/${id}`, { key: readOnly }));
    for (const path of [`/clients/${id}?asOf=2999-01-01T00:00:00Z`, `/clients/${id}?asOf=garbage`]) {
      const res = await h.get(path, { key: readOnly });
      expect(res.status, path).toBe(403);
      expect(res.body.detail).toBe("API key lacks permission: test:clients:history");
    }
    const noRead = await h.get(`/clients/${id}?asOf=2999-01-01T00:00:00Z`, { key: historyOnly });
    expect(noRead.status).toBe(403);
    expect(noRead.body.detail).toBe("API key lacks permission: test:clients:read");
    const res = ok(await h.get(`/clients/${id}?asOf=2999-01-01T00:00:00Z`, { key }));
    expect(res.stats.roundTrips).toBe(1);
    // The key, the client's entries, its linked clients' entries, and the chains' ends (each next
    // entry, each live version: a chain cut short is refused, test/history/damaged.test.ts).
    expect(res.stats.statementCount).toBe(5);
    // HEAD answers the same headers, without a body.
    const head = await h.request("HEAD", `/clients/${id}?asOf=2999-01-01T00:00:00Z`, { key });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers.get("etag")).toBeNull();
  });
});

// -------------------------------------------------------------------------------------------------
// Rows read
// -------------------------------------------------------------------------------------------------

describe("rows read by history reads", () => {
  it("do not grow with the database: the same at two tenant sizes, and with other tenants' histories", async () => {
    const { key } = await h.newTenantWithKey();
    const x = uniq();
    const friend = await clientWithEntries(key, 3);
    const id = await newClient(key, {
      client: { type: "individual", name: "Measured", externalId: `m-${x}` },
      addresses: [{ street: "S", city: "C", state: "ST", postalCode: "1000" }],
      linkedClients: [{ clientId: friend }],
    });
    ok(await h.post("/clients/sync", { clientId: id, client: { name: "Measured 2" } }, { key }));
    // Entries of other clients after this one's in the primary key, as there will be later: an
    // index range read ends on the first key past it, when there is one.
    await clientWithEntries(key, 2);
    const asOf = "2999-01-01T00:00:00Z";
    const paths = [`/clients/${id}/history`, `/clients/${id}/history?limit=1`, `/clients/${id}/history/verify`, `/clients/${id}?asOf=${asOf}`];
    const measure = async () => {
      const out: number[] = [];
      for (const path of paths) {
        const res = ok(await h.get(path, { key }));
        expect(res.stats.unmeteredStatements, path).toBe(0);
        out.push(res.stats.rowsRead);
      }
      return out;
    };
    const small = await measure();

    // The tenant grows: clients with histories, links among them; other tenants too.
    for (let i = 0; i < 4; i++) {
      const batch = ok(await h.post("/clients/batch", { items: Array.from({ length: 10 }, (_, j) => ({ type: "company", name: `Co ${i}.${j}` })) }, { key }));
      const [first, ...others] = batch.body.data.map((c: any) => c.id as string);
      ok(await h.post("/clients/sync", { clientId: first, client: { name: "hub" }, linkedClients: others.map((clientId: string) => ({ clientId })) }, { key }));
    }
    const stranger = await h.newTenantWithKey();
    for (let i = 0; i < 3; i++) await clientWithEntries(stranger.key, 4);
    const large = await measure();
    expect(large).toEqual(small);
    expect(small.every((n) => n > 0)).toBe(true);
  });

  it("use the primary key of client_history (EXPLAIN QUERY PLAN)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const id = await newClient(key);
    const db = h.db("test");
    const reads = [
      historyPageRead(db, tenantId, id, { limit: 2, after: 1 }),
      wholeHistoryRead(db, tenantId, id),
      recordAsOfRead(db, tenantId, id, "2999-01-01T00:00:00.000Z"),
    ];
    for (const statement of reads.flatMap((r) => r.statements)) {
      const { sql, params } = (statement as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
      const plan = await h.binding("test").prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      const details = plan.results.map((r) => r.detail);
      // No table is scanned (json_each is the entry's own list); every lookup goes through an index.
      const scans = details.filter((d) => /^SCAN /.test(d) && !/VIRTUAL TABLE|CONSTANT ROW/.test(d));
      expect(scans, `${sql}\n${details.join("\n")}`).toEqual([]);
      if (/from "client_history"/i.test(sql)) {
        expect(details.some((d) => /client_history .*USING (PRIMARY KEY|INDEX sqlite_autoindex_client_history)/.test(d)), `${sql}\n${details.join("\n")}`).toBe(true);
      }
    }
  });
});
