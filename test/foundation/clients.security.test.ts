// Environments, tenants and API keys (API.md §2): isolation, and every authentication failure.
import { describe, expect, it } from "vitest";
import { addresses, apiKeys, clients } from "../../src/db/schema";
import { hashKey } from "../../src/http/keys";
import { createHarness, type Environment } from "../support/harness";

const h = createHarness();

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(res.body).toMatchObject({ status, code });
}

describe("environments", () => {
  it.each<[Environment, Environment]>([
    ["test", "live"],
    ["live", "test"],
  ])("a client written in %s is invisible through %s", async (home, other) => {
    const tenantId = h.newTenant();
    const homeKey = await h.createKey({ env: home, tenantId });
    const otherKey = await h.createKey({ env: other, tenantId });
    const client = await h.seedClient(home, tenantId, { externalId: "shared" });

    const seen = await h.get(`/clients/${client.id}`, { env: home, key: homeKey });
    expect(seen.status).toBe(200);
    expectProblem(await h.get(`/clients/${client.id}`, { env: other, key: otherKey }), 404, "NOT_FOUND");
    expect((await h.get(`/clients`, { env: other, key: otherKey })).body.data).toEqual([]);
    expect((await h.get(`/clients?externalId=shared`, { env: other, key: otherKey })).body.data).toEqual([]);
    expectProblem(await h.delete(`/clients/${client.id}`, { env: other, key: otherKey }), 404, "NOT_FOUND");
    // Only the home database holds it, and the failed delete left it alone.
    expect(await h.count(home, clients, tenantId)).toBe(1);
    expect(await h.count(other, clients, tenantId)).toBe(0);
    expect((await h.get(`/clients`, { env: home, key: homeKey })).body.data.map((c: any) => c.id)).toEqual([client.id]);
  });

  it("a key lives in its own environment's database only", async () => {
    const tenantId = h.newTenant();
    const liveKey = await h.createKey({ env: "live", tenantId });
    expect(await h.rows("live", apiKeys, { keyHash: await hashKey(liveKey) })).toHaveLength(1);
    expect(await h.rows("test", apiKeys, { keyHash: await hashKey(liveKey) })).toHaveLength(0);
  });
});

describe("tenants", () => {
  it("tenant B gets 404 for tenant A's ids, exactly as for ids that do not exist, and never sees them", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    const client = await h.seedClient("test", a.tenantId, { externalId: "a-only" });
    await h.seedAddress("test", client);
    const ownOfB = await h.seedClient("test", b.tenantId);

    const foreign = await h.get(`/clients/${client.id}`, { key: b.key });
    const missingId = crypto.randomUUID();
    const missing = await h.get(`/clients/${missingId}`, { key: b.key });
    expectProblem(foreign, 404, "NOT_FOUND");
    expectProblem(missing, 404, "NOT_FOUND");
    // Indistinguishable: same body apart from the id and the request id.
    const normalise = (body: any, id: string) => ({ ...body, requestId: "…", detail: body.detail.replaceAll(id, "<id>") });
    expect(normalise(foreign.body, client.id)).toEqual(normalise(missing.body, missingId));

    expectProblem(await h.delete(`/clients/${client.id}`, { key: b.key }), 404, "NOT_FOUND");
    expect(await h.rows("test", clients, { id: client.id })).toHaveLength(1);

    const listed = await h.get(`/clients?limit=200`, { key: b.key });
    expect(listed.body.data.map((c: any) => c.id)).toEqual([ownOfB.id]);
    expect((await h.get(`/clients?externalId=a-only`, { key: b.key })).body.data).toEqual([]);

    // A's view is intact.
    expect((await h.get(`/clients/${client.id}`, { key: a.key })).body.addresses).toHaveLength(1);
  });

  it("a link to another tenant's client never shows (defence in depth on a corrupt row)", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    const mine = await h.seedClient("test", a.tenantId);
    const theirs = await h.seedClient("test", b.tenantId, { name: "secret" });
    await h.seedLink("test", mine, theirs, { tenantId: a.tenantId });
    const res = await h.get(`/clients/${mine.id}`, { key: a.key });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("secret");
    expect(res.body.linkedClients).toEqual([]);
  });
});

describe("authentication (401)", () => {
  it("missing Authorization", async () => {
    const res = await h.get(`/clients`);
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it.each([
    ["a non-Bearer scheme", "Basic dXNlcjpwYXNz"],
    ["Bearer without a key", "Bearer"],
    ["Bearer with two tokens", "Bearer sk_test_a b"],
    ["a key without prefix", `Bearer ${"A".repeat(43)}`],
    ["a short key", "Bearer sk_test_abc"],
    ["a key of an unknown environment", `Bearer sk_prod_${"A".repeat(43)}`],
    ["a key with invalid characters", `Bearer sk_test_${"A".repeat(42)}!`],
  ])("malformed: %s", async (_name, authorization) => {
    const res = await h.get(`/clients`, { headers: { authorization } });
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.stats.statementCount).toBe(0); // rejected before any database access
  });

  it("unknown key", async () => {
    const res = await h.get(`/clients`, { key: `sk_test_${"A".repeat(43)}` });
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toMatch(/unknown/i);
  });

  it("revoked key: at creation, and revoked after use", async () => {
    const tenantId = h.newTenant();
    const revoked = await h.createKey({ tenantId, revoked: true });
    expectProblem(await h.get(`/clients`, { key: revoked }), 401, "UNAUTHORIZED");
    const key = await h.createKey({ tenantId });
    expect((await h.get(`/clients`, { key })).status).toBe(200);
    await h.revokeKey("test", key);
    const res = await h.get(`/clients`, { key });
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toMatch(/revoked/i);
  });

  it.each<[Environment, Environment]>([
    ["live", "test"],
    ["test", "live"],
  ])("a %s key sent with X-Environment: %s says so", async (keyEnv, headerEnv) => {
    const key = await h.createKey({ env: keyEnv, tenantId: h.newTenant() });
    const res = await h.get(`/clients`, { env: headerEnv, key });
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toContain(`sk_${keyEnv}_`);
    expect(res.body.detail).toContain(headerEnv);
  });

  it("the key's stored hash is SHA-256 and the plaintext is stored nowhere", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId });
    const [row] = await h.rows("test", apiKeys, { tenantId });
    expect(row!.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(key);
    expect(key.startsWith(row!.prefix)).toBe(true);
  });
});

describe("X-Environment (400)", () => {
  it.each([
    ["missing", null],
    ["empty", ""],
    ["upper case", "TEST"],
    ["unknown", "prod"],
    ["two values", "test, live"],
  ])("%s", async (_name, value) => {
    const key = await h.createKey({ tenantId: h.newTenant() });
    const res = await h.get(`/clients`, { env: value, key });
    expectProblem(res, 400, "BAD_REQUEST");
    expect(res.body.detail).toMatch(/X-Environment/);
    expect(res.stats.statementCount).toBe(0);
  });
});

describe("permissions (403)", () => {
  // Each call would succeed with the permission (valid bodies, an existing client), so a 403 that
  // still wrote something, or a check made after the write, shows in the database.
  const calls = [
    { name: "GET /clients", method: "GET", path: () => `/clients`, op: "read" },
    { name: "GET /clients/{id}", method: "GET", path: (id: string) => `/clients/${id}`, op: "read" },
    { name: "DELETE /clients/{id}", method: "DELETE", path: (id: string) => `/clients/${id}`, op: "delete" },
    { name: "POST /clients/batch", method: "POST", path: () => `/clients/batch`, op: "create", body: () => ({ items: [{ type: "individual", name: "New" }] }) },
    {
      name: "POST /clients/sync",
      method: "POST",
      path: () => `/clients/sync`,
      op: "create",
      body: (id: string) => ({ clientId: id, client: { name: "Renamed" }, addresses: [{ street: "S", city: "C", state: "S", postalCode: "06600" }] }),
    },
  ] as const;

  /** Every row of the tenant in both databases. */
  const stateOf = async (tenantId: string) => ({
    test: { clients: await h.rows("test", clients, { tenantId }), addresses: await h.rows("test", addresses, { tenantId }) },
    live: { clients: await h.rows("live", clients, { tenantId }), addresses: await h.rows("live", addresses, { tenantId }) },
  });

  for (const environment of ["test", "live"] as const) {
    it.each(calls)(`${environment}: $name without clients:$op → 403, nothing written`, async (c) => {
      const permissions = (["clients:read", "clients:create", "clients:update", "clients:delete"] as const).filter(
        (p) => p !== `clients:${c.op}`,
      );
      const tenantId = h.newTenant();
      const key = await h.createKey({ env: environment, tenantId, permissions });
      const client = await h.seedClient(environment, tenantId);
      await h.seedAddress(environment, client);
      const before = await stateOf(tenantId);
      const body = "body" in c ? c.body(client.id) : undefined;
      const res = await h.request(c.method, c.path(client.id), { env: environment, key, body });
      expectProblem(res, 403, "FORBIDDEN");
      expect(res.body.detail).toBe(`API key lacks permission: ${environment}:clients:${c.op}`);
      expect(res.stats.rowsWritten).toBe(0);
      expect(await stateOf(tenantId)).toEqual(before);
      expect(before[environment].clients).toHaveLength(1);
    });
  }

  it("sync needs update as well as create: refused, and the client is not created", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId, permissions: ["clients:read", "clients:create"] });
    const res = await h.post(`/clients/sync`, { client: { type: "individual", name: "New", externalId: "new" } }, { key });
    expectProblem(res, 403, "FORBIDDEN");
    expect(res.body.detail).toBe("API key lacks permission: test:clients:update");
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("a read-only key reads, and cannot delete (nothing is deleted)", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId, permissions: ["clients:read"] });
    const client = await h.seedClient("test", tenantId);
    const read = await h.get(`/clients/${client.id}`, { key });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: client.id, name: client.name, createdAt: client.createdAt });
    expect((await h.get(`/clients`, { key })).body.data.map((c: any) => c.id)).toEqual([client.id]);
    expectProblem(await h.delete(`/clients/${client.id}`, { key }), 403, "FORBIDDEN");
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });
});
