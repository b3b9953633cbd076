// POST /clients/lookup (API.md §14): happy / error / security, through HTTP and the database.
// What MUST NOT happen: a match of another tenant or environment, a deleted client without
// includeDeleted, more than one round trip, rows read that grow with the database, a 500.
import { describe, expect, it } from "vitest";
import { createHarness, type ApiResponse } from "../support/harness";
import { clabe, curp, RFC_COMPANY, RFC_INDIVIDUAL, uniq } from "../sync/helpers";

const h = createHarness();
const lookup = (key: string, body: unknown, options: { env?: "test" | "live"; headers?: Record<string, string> } = {}) =>
  h.post("/clients/lookup", body, { key, ...options });
const matchesOf = (res: ApiResponse, i = 0) => res.body.data[i].matches as { clientId: string; childId: string | null; matchedOn: string; deletedAt: string | null; name: string }[];

async function company(key: string, over: Record<string, unknown> = {}, env: "test" | "live" = "test") {
  const res = await h.post(
    "/clients/sync",
    {
      client: { type: "company", name: "Hexa SA", externalId: `x-${uniq()}`, scopeData: { MX: { rfc: RFC_COMPANY } }, metadata: { crm: "K-77" }, ...over },
      contactMethods: [{ value: "Ventas@Hexa.mx" }, { type: "phone", value: "+52 (55) 1234-5678" }],
      bankAccounts: [{ accountNumber: "0012 3456", bankName: "BBVA", currency: "MXN", clabe: clabe() }],
    },
    { key, env },
  );
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe("POST /clients/lookup: matches", () => {
  it("every kind, normalized as §14 says, in the order sent, in ONE round trip with the key", async () => {
    const { key } = await h.newTenantWithKey();
    const made = await company(key);
    const id = made.client.id;
    const email = made.contactMethods.created.find((c: any) => c.type === "email").id;
    const phone = made.contactMethods.created.find((c: any) => c.type === "phone").id;
    const bank = made.bankAccounts.created[0].id;
    const res = await lookup(key, {
      identifiers: [
        { kind: "rfc", value: ` ${RFC_COMPANY.toLowerCase().slice(0, 3)}-${RFC_COMPANY.slice(3)}` },
        { kind: "email", value: "ventas@hexa.MX" },
        { kind: "phone", value: "5512345678" },
        { kind: "phone", value: "+52 1 55 1234 5678" },
        { kind: "clabe", value: clabe().replace(/(\d{6})/g, "$1 ").trim() },
        { kind: "accountNumber", value: "00123456" },
        { kind: "externalId", value: made.client.externalId },
        { kind: "metadata", key: "crm", value: "K-77" },
        { kind: "metadata", key: "other", value: "K-77" },
        { kind: "curp", value: curp() },
      ],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.stats.roundTrips).toBe(1);
    expect(res.stats.statementCount).toBe(2); // the key, the lookup
    expect(res.stats.statements[0]!.sql).toMatch(/from "api_keys"/i);
    const own = { clientId: id, name: "Hexa SA", type: "company", isPrimary: true, deletedAt: null };
    expect(res.body.data.map((d: any) => d.matches)).toEqual([
      [{ ...own, matchedOn: "client", childId: null }],
      [{ ...own, matchedOn: "contactMethod", childId: email }],
      [{ ...own, matchedOn: "contactMethod", childId: phone }],
      [{ ...own, matchedOn: "contactMethod", childId: phone }],
      [{ ...own, matchedOn: "bankAccount", childId: bank }],
      [{ ...own, matchedOn: "bankAccount", childId: bank }],
      [{ ...own, matchedOn: "client", childId: null }],
      [{ ...own, matchedOn: "client", childId: null }],
      [],
      [],
    ]);
    expect(res.body.data[0].normalized).toBe(RFC_COMPANY);
    expect(res.body.data[3].normalized).toBe("5512345678");
    expect(res.body.data[7].identifier).toEqual({ kind: "metadata", key: "crm", value: "K-77" });
  });

  it("rows read follow the matches, not the database: 40 more clients (this tenant and another) change nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const made = await company(key);
    const body = {
      identifiers: [
        { kind: "rfc", value: RFC_COMPANY },
        { kind: "email", value: "ventas@hexa.mx" },
        { kind: "externalId", value: made.client.externalId },
        { kind: "externalId", value: `none-${uniq()}` },
      ],
    };
    const before = await lookup(key, body);
    expect(before.status).toBe(200);
    const items = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "company", name: `Filler ${i}`, externalId: `f-${uniq()}-${i}`, metadata: { crm: `F-${i}` } }));
    expect((await h.post("/clients/batch", { items: items(20) }, { key })).status).toBe(200);
    expect((await h.post("/clients/batch", { items: items(20).map((c) => ({ ...c, scopeData: { MX: { rfc: RFC_COMPANY } } })) }, { key: other.key })).status).toBe(200);
    const after = await lookup(key, body);
    expect(after.body).toEqual(before.body);
    // At most one more index entry per identifier: the one past its range that ends the index
    // seek (a neighbour's key) — bounded by the identifiers, not by the database.
    expect(after.stats.rowsRead).toBeGreaterThanOrEqual(before.stats.rowsRead);
    expect(after.stats.rowsRead).toBeLessThanOrEqual(before.stats.rowsRead + body.identifiers.length);
    expect(before.stats.rowsRead).toBeLessThanOrEqual(40); // the key, 4 identifiers, 3 keys and their client rows
    void tenantId;
  });

  it("sees a write at once (read-your-writes), and its X-Consistency-Token starts the lookup's session", async () => {
    const { key } = await h.newTenantWithKey();
    const made = await company(key);
    const rfc = { identifiers: [{ kind: "rfc", value: RFC_COMPANY }] };
    const changed = await h.post("/clients/sync", { clientId: made.client.id, client: { scopeData: { MX: { rfc: "XYZ800101AB1" } } } }, { key });
    expect(changed.status).toBe(200);
    const token = changed.headers.get("x-consistency-token")!;
    const after = await lookup(key, { identifiers: [{ kind: "rfc", value: "XYZ800101AB1" }, rfc.identifiers[0]] }, { headers: { "x-consistency-token": token } });
    expect(after.status).toBe(200);
    expect(after.stats.sessions).toEqual([token]);
    expect(matchesOf(after, 0).map((m) => m.clientId)).toEqual([made.client.id]);
    expect(matchesOf(after, 1)).toEqual([]);
    // Without a token: like a GET, any copy (not the primary's first-primary).
    expect((await lookup(key, rfc)).stats.sessions).toEqual(["first-unconstrained"]);
  });

  it("a deleted client only with includeDeleted, with what it was; two live holders both listed", async () => {
    const { key } = await h.newTenantWithKey();
    const gone = await company(key, { name: "Gone SA" });
    const live = await company(key, { name: "Live SA" });
    expect((await h.delete(`/clients/${gone.client.id}`, { key })).status).toBe(200);
    const body = { identifiers: [{ kind: "rfc", value: RFC_COMPANY }, { kind: "externalId", value: gone.client.externalId }] };
    const without = await lookup(key, body);
    expect(matchesOf(without, 0).map((m) => m.clientId)).toEqual([live.client.id]);
    expect(matchesOf(without, 1)).toEqual([]);
    const withDeleted = await lookup(key, { ...body, includeDeleted: true });
    expect(matchesOf(withDeleted, 0).map((m) => [m.clientId, m.name, m.deletedAt === null])).toEqual([
      [live.client.id, "Live SA", true],
      [gone.client.id, "Gone SA", false],
    ]);
    expect(matchesOf(withDeleted, 1)[0]).toMatchObject({ clientId: gone.client.id, type: "company", isPrimary: true, matchedOn: "client" });
    expect(matchesOf(withDeleted, 1)[0]!.deletedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });
});

describe("POST /clients/lookup: errors", () => {
  it("a malformed identifier, 101 identifiers, an unknown kind, a 10 KB value, a stray key: 400 with every pointer", async () => {
    const { key } = await h.newTenantWithKey();
    const bad = await lookup(key, {
      identifiers: [
        { kind: "rfc", value: "NOT-AN-RFC" },
        { kind: "curp", value: "GOMA800101HDFRRN01" },
        { kind: "clabe", value: "123" },
        { kind: "phone", value: "12" },
        { kind: "email", value: "nobody" },
        { kind: "metadata", value: "x" },
        { kind: "rfc", value: RFC_INDIVIDUAL, key: "k" },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      "/identifiers/0/value",
      "/identifiers/1/value",
      "/identifiers/2/value",
      "/identifiers/3/value",
      "/identifiers/4/value",
      "/identifiers/5/key",
      "/identifiers/6/key",
    ]);
    const many = await lookup(key, { identifiers: Array.from({ length: 101 }, () => ({ kind: "rfc", value: RFC_INDIVIDUAL })) });
    expect(many.status).toBe(400);
    expect(many.body.errors[0].pointer).toBe("/identifiers");
    const unknown = await lookup(key, { identifiers: [{ kind: "name", value: "Ana" }, { kind: "email", value: "x".repeat(10_000) + "@a.mx" }], extra: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["/extra", "/identifiers/0/kind", "/identifiers/1/value"]);
    expect((await lookup(key, { identifiers: [] })).status).toBe(400);
    // A refused body reads nothing but the key.
    expect(bad.stats.statementCount).toBeLessThanOrEqual(1);
  });
});

describe("POST /clients/lookup: security", () => {
  it("no match of another tenant, nor of the other environment", async () => {
    const mine = await h.newTenantWithKey("test");
    const theirs = await h.newTenantWithKey("test");
    const liveMine = await h.createKey({ env: "live", tenantId: mine.tenantId });
    const ext = `shared-${uniq()}`;
    await company(theirs.key, { externalId: ext });
    await company(liveMine, { externalId: ext }, "live");
    const body = { identifiers: [{ kind: "externalId", value: ext }, { kind: "rfc", value: RFC_COMPANY }, { kind: "email", value: "ventas@hexa.mx" }] };
    const res = await lookup(mine.key, body, { env: "test" });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: any) => d.matches)).toEqual([[], [], []]);
    const live = await lookup(liveMine, body, { env: "live" });
    expect(live.body.data.map((d: any) => d.matches.length)).toEqual([1, 1, 1]);
    // The same lookup with the tenant's own live key on test is a 401.
    expect((await lookup(liveMine, body, { env: "test" })).status).toBe(401);
  });

  it("needs clients:read; a refused key reads nothing else", async () => {
    const { tenantId } = await h.newTenantWithKey();
    const writeOnly = await h.createKey({ tenantId, permissions: ["clients:create"] });
    const res = await lookup(writeOnly, { identifiers: [{ kind: "rfc", value: RFC_COMPANY }] });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe("API key lacks permission: test:clients:read");
    expect(res.stats.rowsWritten).toBe(0);
  });
});
