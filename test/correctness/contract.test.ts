// Contract details a review found wrong (issue 10, item 8): codes read from a cleared CLABE, the error
// of the right union branch, and an ETag that stands for exactly one body.
import { afterEach, describe, expect, it, vi } from "vitest";
import { bankAccounts } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { clabe, pointers, uniq } from "../sync/helpers";

const h = createHarness();
const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });

describe("a cleared CLABE", () => {
  it("takes codigoBanco and codigoPlaza along, unless the item sets them", async () => {
    const { key } = await h.newTenantWithKey();
    const ext = `c-${uniq()}`;
    const account = (over: Record<string, unknown>) => ({ externalId: over.externalId, accountNumber: "1", bankName: "Banorte", currency: "MXN", ...over });
    const made = await sync(key, {
      client: { type: "individual", name: "Ana", externalId: ext },
      bankAccounts: [account({ externalId: "a", clabe: clabe("072", "580", 1) }), account({ externalId: "b", clabe: clabe("072", "580", 2) })],
    });
    expect(made.status, made.text).toBe(200);
    const id = made.body.client.id;
    const cleared = await sync(key, { clientId: id, bankAccounts: [{ externalId: "a", clabe: null }, { externalId: "b", clabe: null, codigoBanco: "012" }] });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.bankAccounts.updated.map((b: any) => [b.externalId, b.clabe, b.codigoBanco, b.codigoPlaza])).toEqual([
      ["a", null, null, null],
      ["b", null, "012", null],
    ]);
    const rows = await h.rows("test", bankAccounts, { clientId: id });
    expect(rows.map((r) => [r.externalId, r.clabe, r.codigoBanco, r.codigoPlaza]).sort()).toEqual([
      ["a", null, null, null],
      ["b", null, "012", null],
    ]);
  });
});

describe("errors of a union", () => {
  it("11 nationalities are too many, not 'expected string'; a bad single code is a bad code", async () => {
    const { key } = await h.newTenantWithKey();
    const eleven = ["MX", "US", "CA", "GB", "FR", "DE", "ES", "IT", "PT", "BR", "AR"];
    const res = await h.post("/clients/batch", { items: [{ type: "individual", name: "A", nationalities: eleven }, { type: "individual", name: "B", nationalities: "XX" }] }, { key });
    expect(res.status).toBe(400);
    expect(pointers(res.body)).toEqual(["/items/0/nationalities", "/items/1/nationalities"]);
    expect(res.body.errors[0].code).toBe("too_big");
    expect(res.body.errors[0].detail).not.toMatch(/expected string/i);
    expect(res.body.errors[1].detail).toMatch(/ISO 3166-1/);
  });
});

describe("the ETag", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("changes when the body does on a birthday, and only then", async () => {
    const { key } = await h.newTenantWithKey();
    // Born 30 years ago tomorrow (UTC): the age moves by one when the clock passes midnight.
    const now = new Date();
    const tomorrow = new Date(Date.UTC(now.getUTCFullYear() - 30, now.getUTCMonth(), now.getUTCDate() + 1));
    const birthDate = tomorrow.toISOString().slice(0, 10);
    const made = await h.post("/clients/batch", { items: [{ type: "individual", name: "A", birthDate }] }, { key });
    expect(made.status, made.text).toBe(200);
    const id = made.body.data[0].id;

    const today = await h.get(`/clients/${id}`, { key });
    const again = await h.get(`/clients/${id}`, { key });
    expect(again.headers.get("etag")).toBe(today.headers.get("etag"));

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(now.getTime() + 24 * 60 * 60 * 1000));
    const later = await h.get(`/clients/${id}`, { key });
    expect(later.body.age).toBe(today.body.age + 1);
    expect(later.headers.get("etag")).not.toBe(today.headers.get("etag"));
    // If-Match with the ETag of the body the caller saw before the birthday no longer matches.
    const conditional = await h.post("/clients/sync", { clientId: id, client: { name: "B" } }, { key, headers: { "if-match": today.headers.get("etag")! } });
    expect(conditional.status).toBe(412);
  });
});

describe("a body not read exactly, and its other problems", () => {
  it("are reported in one answer (batch and sync)", async () => {
    const { key } = await h.newTenantWithKey();
    const batchBody = '{"items":[{"type":"individual","name":"A","name":"B","birthDate":"1990-02-30"}],"atomic":true}';
    const batch = await h.post("/clients/batch", batchBody, { key, headers: { "content-type": "application/json" } });
    expect(batch.status).toBe(400);
    expect(pointers(batch.body)).toEqual(["/items/0/name", "/items/0/birthDate"]);
    expect(batch.body.errors.map((e: { code: string }) => e.code)[0]).toBe("duplicate_key");

    const syncBody = '{"client":{"type":"individual","name":"A","externalId":"x","externalId":"y"},"addresses":[{"street":""}],"dryRun":false}';
    const sync = await h.post("/clients/sync", syncBody, { key, headers: { "content-type": "application/json" } });
    expect(sync.status).toBe(400);
    // The blank street (shape), the keys the new address lacks (state), the duplicate key (body).
    expect(pointers(sync.body).sort()).toEqual(["/addresses/0/city", "/addresses/0/postalCode", "/addresses/0/state", "/addresses/0/street", "/client/externalId"].sort());
  });
});
