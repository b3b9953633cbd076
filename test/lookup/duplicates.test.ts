// Duplicate rules (API.md §14): GET/PUT /settings/duplicates, the 409 under "reject" (enforced by
// the database: 8 concurrent creates of one RFC → exactly one 200), and the `duplicates` list of
// batch and sync answers in every mode.
import { describe, expect, it } from "vitest";
import { clients, clientLookupKeys, duplicateRules } from "../../src/db/schema";
import { PERMISSIONS } from "../../src/http/keys";
import { createHarness } from "../support/harness";
import { clabe, curp, RFC_COMPANY, RFC_INDIVIDUAL, uniq } from "../sync/helpers";

const h = createHarness();
const REJECT_ALL = { rfc: "reject", curp: "reject", clabe: "reject" };
const putRule = (key: string, body: unknown, env: "test" | "live" = "test") => h.request("PUT", "/settings/duplicates", { key, body, env });
const company = (over: Record<string, unknown> = {}) => ({ type: "company", name: `Hexa ${uniq()}`, scopeData: { MX: { rfc: RFC_COMPANY } }, ...over });

describe("GET/PUT /settings/duplicates", () => {
  it("defaults to allow, stores the rule per tenant and environment", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const live = await h.createKey({ tenantId, env: "live" });
    expect((await h.request("GET", "/settings/duplicates", { key })).body).toEqual({ rfc: "allow", curp: "allow", clabe: "allow" });
    const put = await putRule(key, { rfc: "reject", curp: "allow", clabe: "reject" });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ rfc: "reject", curp: "allow", clabe: "reject" });
    expect((await h.request("GET", "/settings/duplicates", { key })).body).toEqual({ rfc: "reject", curp: "allow", clabe: "reject" });
    // Another tenant, and the same tenant's other environment, are untouched.
    expect((await h.request("GET", "/settings/duplicates", { key: other.key })).body).toEqual({ rfc: "allow", curp: "allow", clabe: "allow" });
    expect((await h.request("GET", "/settings/duplicates", { key: live, env: "live" })).body).toEqual({ rfc: "allow", curp: "allow", clabe: "allow" });
    expect(await h.rows("live", duplicateRules, { tenantId })).toEqual([]);
  });

  it("bad input: 400 with every pointer, nothing stored", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await putRule(key, { rfc: "maybe", clabe: "reject", extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["/curp", "/extra", "/rfc"]);
    expect(await h.rows("test", duplicateRules, { tenantId })).toEqual([]);
    expect((await putRule(key, ["reject"])).status).toBe(400);
  });

  it("needs settings:manage (new keys have it)", async () => {
    expect(PERMISSIONS).toContain("settings:manage");
    const { tenantId } = await h.newTenantWithKey();
    const key = await h.createKey({ tenantId, permissions: PERMISSIONS.filter((p) => p !== "settings:manage") });
    const res = await putRule(key, REJECT_ALL);
    expect(res.status).toBe(403);
    expect((await h.request("GET", "/settings/duplicates", { key })).status).toBe(403);
    expect(await h.rows("test", duplicateRules, { tenantId })).toEqual([]);
  });
});

describe("allow (the default): duplicates are listed, not refused", () => {
  it("batch lists stored holders and earlier items; sync lists other clients, never itself", async () => {
    const { key } = await h.newTenantWithKey();
    const first = await h.post("/clients/batch", { items: [company()] }, { key });
    expect(first.status, first.text).toBe(200);
    expect(first.body.duplicates).toEqual([]);
    const held = first.body.data[0].id;
    const second = await h.post("/clients/batch", { items: [company({ name: "Other" }), company({ scopeData: { MX: { rfc: "XYZ800101AB1" } } }), company({ scopeData: { MX: { rfc: "XYZ800101AB1" } } })] }, { key });
    expect(second.status, second.text).toBe(200);
    expect(second.body.duplicates).toEqual([
      { pointer: "/items/0/scopeData/MX/rfc", kind: "rfc", existingClientId: held },
      { pointer: "/items/2/scopeData/MX/rfc", kind: "rfc", existingClientId: second.body.data[1].id },
    ]);
    // A sync of the first client itself: not a duplicate of itself, but of the batch's item 0.
    const account = clabe();
    const sync = await h.post("/clients/sync", { clientId: held, client: { name: "Hexa renamed", scopeData: { MX: { rfc: RFC_COMPANY } } }, bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: account }] }, { key });
    expect(sync.status, sync.text).toBe(200);
    expect(sync.body.duplicates).toEqual([{ pointer: "/client/scopeData/MX/rfc", kind: "rfc", existingClientId: second.body.data[0].id }]);
    const nonAtomic = await h.post("/clients/batch", { atomic: false, items: [company()] }, { key });
    expect(nonAtomic.body.duplicates).toHaveLength(1);
    expect(Object.keys(nonAtomic.body)).toEqual(["atomic", "data", "succeeded", "failed", "duplicates"]);
  });

  it("a deleted client is no duplicate", async () => {
    const { key } = await h.newTenantWithKey();
    const first = await h.post("/clients/batch", { items: [company()] }, { key });
    expect((await h.request("DELETE", `/clients/${first.body.data[0].id}`, { key })).status).toBe(200);
    const again = await h.post("/clients/batch", { items: [company()] }, { key });
    expect(again.body.duplicates).toEqual([]);
  });
});

describe("reject: refused, by the database", () => {
  it("batch: 409 naming the holder, nothing written; non-atomic reports the item", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const first = await h.post("/clients/batch", { items: [company()] }, { key });
    const held = first.body.data[0].id;
    expect((await putRule(key, REJECT_ALL)).status).toBe(200);
    const before = await h.count("test", clients, tenantId);
    const res = await h.post("/clients/batch", { items: [company({ name: "x" }), { type: "individual", name: "Ana", scopeData: { MX: { curp: curp(), rfc: RFC_INDIVIDUAL } } }] }, { key });
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe("CONFLICT");
    expect(res.body.errors).toEqual([expect.objectContaining({ pointer: "/items/0/scopeData/MX/rfc", code: "duplicate_identifier", kind: "rfc", existingClientId: held })]);
    expect(await h.count("test", clients, tenantId)).toBe(before);

    const partial = await h.post("/clients/batch", { atomic: false, items: [company({ name: "x" }), { type: "individual", name: "Ana", scopeData: { MX: { rfc: RFC_INDIVIDUAL } } }, { type: "individual", name: "Eva", scopeData: { MX: { rfc: RFC_INDIVIDUAL } } }] }, { key });
    expect(partial.status, partial.text).toBe(200);
    expect(partial.body.succeeded.map((s: { index: number }) => s.index)).toEqual([1]);
    expect(partial.body.failed.map((f: { index: number }) => f.index)).toEqual([0, 2]);
    expect(partial.body.failed[0].error.errors).toEqual([expect.objectContaining({ kind: "rfc", existingClientId: held, pointer: "/items/0/scopeData/MX/rfc" })]);
    expect(partial.body.failed[1].error.errors).toEqual([expect.objectContaining({ kind: "rfc", existingClientId: null, pointer: "/items/2/scopeData/MX/rfc" })]);
    expect(partial.body.duplicates).toEqual([]);
    expect(await h.count("test", clients, tenantId)).toBe(before + 1);
  });

  it("sync: a new holder refused (409, every clash), the holder itself may sync its own RFC", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await putRule(key, REJECT_ALL);
    const account = clabe();
    const a = await h.post("/clients/sync", { client: company(), bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: account }] }, { key });
    expect(a.status, a.text).toBe(200);
    const before = await h.count("test", clients, tenantId);
    const b = await h.post("/clients/sync", { client: company({ name: "Copy" }), bankAccounts: [{ accountNumber: "2", bankName: "B", currency: "MXN", clabe: account }] }, { key });
    expect(b.status, b.text).toBe(409);
    expect(b.body.errors).toEqual([
      expect.objectContaining({ pointer: "/client/scopeData/MX/rfc", kind: "rfc", existingClientId: a.body.client.id }),
      expect.objectContaining({ pointer: "/bankAccounts/0/clabe", kind: "clabe", existingClientId: a.body.client.id }),
    ]);
    expect(await h.count("test", clients, tenantId)).toBe(before);
    const self = await h.post("/clients/sync", { clientId: a.body.client.id, client: { name: "Renamed", scopeData: { MX: { rfc: RFC_COMPANY } } } }, { key });
    expect(self.status, self.text).toBe(200);
    expect(self.body.duplicates).toEqual([]);
    // Under the other environment the rule is not set: the same body is accepted there.
    const live = await h.createKey({ tenantId, env: "live" });
    expect((await h.post("/clients/sync", { client: company() }, { key: live, env: "live" })).status).toBe(200);
  });

  it("8 concurrent creates of one rejected RFC: exactly one 200", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await putRule(key, { rfc: "reject", curp: "allow", clabe: "allow" });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? h.post("/clients/batch", { items: [company({ name: `c${i}` })] }, { key }) : h.post("/clients/sync", { client: company({ name: `c${i}` }) }, { key }))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text.slice(0, 200)).join("\n")).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!;
    const winnerId = winner.body.client?.id ?? winner.body.data[0].id;
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.errors).toEqual([expect.objectContaining({ code: "duplicate_identifier", kind: "rfc", existingClientId: winnerId })]);
    }
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("a rule set over existing duplicates keeps them and refuses new ones; allow again lifts it", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const made = await h.post("/clients/batch", { items: [company(), company()] }, { key });
    expect(made.body.duplicates).toHaveLength(1);
    await putRule(key, REJECT_ALL);
    const exclusive = (await h.rows("test", clientLookupKeys, { tenantId, kind: "rfc" })).map((k) => k.exclusive).sort();
    expect(exclusive).toEqual([0, 1]);
    expect((await h.post("/clients/batch", { items: [company()] }, { key })).status).toBe(409);
    // The two old holders still sync (they write no new key for their RFC).
    const again = await h.post("/clients/sync", { clientId: made.body.data[1].id, client: { name: "Still", scopeData: { MX: { rfc: RFC_COMPANY } } } }, { key });
    expect(again.status, again.text).toBe(200);
    expect(again.body.duplicates).toHaveLength(1);
    await putRule(key, { rfc: "allow", curp: "reject", clabe: "reject" });
    expect((await h.rows("test", clientLookupKeys, { tenantId, kind: "rfc" })).every((k) => k.exclusive === 0)).toBe(true);
    const allowed = await h.post("/clients/batch", { items: [company()] }, { key });
    expect(allowed.status).toBe(200);
    expect(allowed.body.duplicates).toHaveLength(1);
  });
});
