// D1 Sessions API and X-Consistency-Token (API.md §13). Locally miniflare serves every session from
// its one database, so replica lag cannot be shown here; what is shown is the plumbing that gives
// read-your-writes on D1: which session every statement ran in and where it started (the guard's
// record), the token issued after every write, taken back on reads as the session's bookmark, and
// refused when malformed.
import { describe, expect, it } from "vitest";
import { addresses, clients } from "../../src/db/schema";
import { newId } from "../../src/ids";
import { createHarness, type ApiResponse } from "../support/harness";

const h = createHarness();

/** D1's bookmark shape today (what local D1 issues too). */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
const tokenOf = (res: ApiResponse) => res.headers.get("x-consistency-token");
const withToken = (token: string) => ({ "x-consistency-token": token });
const address = { type: "home", street: "Av. Reforma 222", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX" };

/** Every statement of the request ran in the one session it opened, which started at `start`. */
function expectOneSession(res: ApiResponse, start: string) {
  expect(res.stats.sessions).toEqual([start]);
  expect(res.stats.statements.length).toBeGreaterThan(0);
  expect(res.stats.statements.filter((s) => s.session !== start)).toEqual([]);
}

describe("every response of a request that reached D1 carries its bookmark", () => {
  it("after every write (batch, sync, delete): a bookmark newer than one read before it", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const before = await h.get("/clients", { key });
    expect(tokenOf(before)).toMatch(BOOKMARK);

    const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "Hexa" }] }, { key });
    expect(batch.status, batch.text).toBe(200);
    const id = batch.body.data[0].id as string;
    const sync = await h.post("/clients/sync", { clientId: id, addresses: [address] }, { key });
    expect(sync.status, sync.text).toBe(200);
    const removed = await h.delete(`/clients/${id}`, { key });
    expect(removed.status, removed.text).toBe(200);

    // Bookmarks of one database sort as they were issued (fixed-width hex).
    const tokens = [before, batch, sync, removed].map((res) => tokenOf(res)!);
    tokens.forEach((token) => expect(token).toMatch(BOOKMARK));
    expect([...tokens].sort()).toEqual(tokens);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("on errors too, once the request has a session: 404, 401 from the key lookup, 400 on the body; on HEAD", async () => {
    const { key } = await h.newTenantWithKey();
    const missing = await h.get(`/clients/${newId()}`, { key });
    expect(missing.status).toBe(404);
    expect(tokenOf(missing)).toMatch(BOOKMARK);
    const unknownKey = await h.get("/clients", { key: `sk_test_${"A".repeat(43)}` });
    expect(unknownKey.status).toBe(401);
    expect(tokenOf(unknownKey)).toMatch(BOOKMARK);
    const invalid = await h.post("/clients/sync", { clientId: "nope" }, { key });
    expect(invalid.status).toBe(400);
    expect(tokenOf(invalid)).toMatch(BOOKMARK);
    const head = await h.request("HEAD", "/clients", { key });
    expect(tokenOf(head)).toMatch(BOOKMARK);
  });

  it("not when the request never had a session: no X-Environment, an unknown path", async () => {
    const { key } = await h.newTenantWithKey();
    const noEnvironment = await h.get("/clients", { key, env: null });
    expect(noEnvironment.status).toBe(400);
    expect(tokenOf(noEnvironment)).toBeNull();
    const unknownPath = await h.get("/nowhere", { key });
    expect(unknownPath.status).toBe(404);
    expect(tokenOf(unknownPath)).toBeNull();
  });
});

describe("where the request's D1 session starts", () => {
  it("reads without a token: anywhere (first-unconstrained), every statement in that session", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    expectOneSession(await h.get(`/clients/${client.id}`, { key }), "first-unconstrained");
    expectOneSession(await h.get("/clients", { key }), "first-unconstrained");
  });

  it("writes: at the primary, with or without a token (a sync's reads see the latest state)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const token = tokenOf(await h.get("/clients", { key }))!;
    for (const headers of [{}, withToken(token)]) {
      const batch = await h.post("/clients/batch", { items: [{ type: "company", name: "Hexa" }] }, { key, headers });
      expect(batch.status, batch.text).toBe(200);
      expectOneSession(batch, "first-primary");
      const id = batch.body.data[0].id as string;
      const sync = await h.post("/clients/sync", { clientId: id, addresses: [address] }, { key, headers });
      expect(sync.status, sync.text).toBe(200);
      expectOneSession(sync, "first-primary");
      const removed = await h.delete(`/clients/${id}`, { key, headers });
      expect(removed.status, removed.text).toBe(200);
      expectOneSession(removed, "first-primary");
    }
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });
});

describe("read-your-writes through the token", () => {
  it("a read sent with a write's token starts its session at that bookmark and sees the write", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const sync = await h.post("/clients/sync", { clientId: client.id, addresses: [address] }, { key });
    expect(sync.status, sync.text).toBe(200);
    const token = tokenOf(sync)!;

    const read = await h.get(`/clients/${client.id}`, { key, headers: withToken(token) });
    expect(read.status, read.text).toBe(200);
    expectOneSession(read, token);
    expect(read.body.addresses.map((a: { street: string }) => a.street)).toEqual([address.street]);
    expect(await h.rows("test", addresses, { clientId: client.id })).toHaveLength(1);
    // The read's own token is at least as fresh as the one it was sent with.
    expect(tokenOf(read)! >= token).toBe(true);

    const list = await h.get("/clients", { key, headers: withToken(token) });
    expect(list.status).toBe(200);
    expectOneSession(list, token);
  });

  it("a well-formed bookmark D1 documents is taken as the session's start", async () => {
    const { key } = await h.newTenantWithKey();
    const documented = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";
    const read = await h.get("/clients", { key, headers: withToken(documented) });
    expect(read.status, read.text).toBe(200);
    expectOneSession(read, documented);
  });
});

describe("a malformed X-Consistency-Token is a 400 after the key's own checks, and nothing runs", () => {
  it("refuses junk, empty, over-long, upper-case, two tokens, a token with a tail", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const real = tokenOf(await h.get("/clients", { key }))!;
    const malformed = [
      "junk",
      "",
      "   ",
      "00000000",
      "../../etc/passwd",
      "00000085-0000024C-00004C6D-8E61117BF38D7ADB71B934EBBF891683", // D1 issues lower-case hex
      `${real}, ${real}`,
      `${real}-zz`,
      `${real} `.repeat(2).trim(),
      `00000000-${"0".repeat(120)}`, // 129 characters
    ];
    for (const token of malformed) {
      // No key at all, or a malformed one: 401 comes first (who is asking, before what they ask).
      for (const res of [
        await h.get("/clients", { headers: withToken(token) }),
        await h.get("/clients", { key: "sk_test_nope", headers: withToken(token) }),
        await h.post("/clients/batch", { items: [{ type: "company", name: "Hexa" }] }, { headers: withToken(token) }),
      ]) {
        expect(res.status, `${JSON.stringify(token)}: ${res.text}`).toBe(401);
        expect(res.body.code).toBe("UNAUTHORIZED");
        expect(res.stats.roundTrips).toBe(0);
        expect(res.stats.sessions).toEqual([]);
      }
      for (const res of [
        await h.get("/clients", { key, headers: withToken(token) }),
        await h.post("/clients/batch", { items: [{ type: "company", name: "Hexa" }] }, { key, headers: withToken(token) }),
      ]) {
        expect(res.status, `${JSON.stringify(token)}: ${res.text}`).toBe(400);
        expect(res.body.code).toBe("BAD_REQUEST");
        expect(res.body.detail).toMatch(/^Malformed X-Consistency-Token header/);
        expect(res.stats.roundTrips).toBe(0);
        expect(res.stats.sessions).toEqual([]);
        expect(tokenOf(res)).toBeNull();
      }
    }
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("X-Environment is still checked first", async () => {
    const res = await h.get("/clients", { env: "prod", headers: withToken("junk") });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/X-Environment/);
  });
});

describe("the OpenAPI document", () => {
  it("documents X-Consistency-Token on every /clients operation, as a request header and on every answer", async () => {
    const doc = (await h.get("/openapi.json")).body;
    let operations = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      if (!path.startsWith("/clients")) continue;
      for (const operation of Object.values<any>(item)) {
        operations++;
        const parameter = operation.parameters.find((p: any) => p.in === "header" && p.name === "X-Consistency-Token");
        expect(parameter, `${path}`).toMatchObject({ in: "header" });
        expect(parameter.required ?? false).toBe(false);
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          expect(response.headers?.["X-Consistency-Token"], `${path} ${status}`).toBeDefined();
        }
      }
    }
    // list, get, history, verify, batch, sync, delete, lookup, search, completeness, copy to live and its
    // preview, a document's file: upload, download, upload-url and complete
    expect(operations).toBe(16);
  });
});
