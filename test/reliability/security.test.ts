// Environments, tenants, API keys and permissions (API.md §2; issue 5, item 4): test and live data
// never meet, a tenant never sees another's, every authentication failure is a 401 (a malformed
// X-Environment a 400) before any database access, no plaintext key is stored or logged, a revoked
// key is refused on its very next request, a key never works in the other environment, and every
// permission × endpoint pair answers exactly as API.md §2 says, writing nothing on a 403.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { addresses, apiKeys, clients as clientsTable } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { hashKey, PERMISSIONS, type Permission } from "../../src/http/keys";
import { createHarness, type ApiResponse, type Environment } from "../support/harness";
import { ENVIRONMENTS, expectProblem, figures, snapshot } from "./support";

const h = createHarness();
const stats = figures("security");
afterAll(() => stats.print());
afterEach(() => {
  h.guard.failStatement = undefined;
});

interface Endpoint {
  name: string;
  method: "GET" | "POST" | "DELETE";
  /** `id`: an existing client of the tenant. */
  path: (id: string) => string;
  body?: (id: string) => unknown;
  /** API.md §2, in the order the service checks them. */
  needs: Permission[];
}

const ENDPOINTS: Endpoint[] = [
  { name: "GET /clients", method: "GET", path: () => "/clients", needs: ["clients:read"] },
  { name: "GET /clients/{id}", method: "GET", path: (id) => `/clients/${id}`, needs: ["clients:read"] },
  { name: "DELETE /clients/{id}", method: "DELETE", path: (id) => `/clients/${id}`, needs: ["clients:delete"] },
  { name: "GET /clients/{id}/history", method: "GET", path: (id) => `/clients/${id}/history`, needs: ["clients:history"] },
  { name: "GET /clients/{id}/history/verify", method: "GET", path: (id) => `/clients/${id}/history/verify`, needs: ["clients:history"] },
  { name: "POST /clients/batch", method: "POST", path: () => "/clients/batch", body: () => ({ items: [{ type: "individual", name: "New" }] }), needs: ["clients:create"] },
  {
    name: "POST /clients/sync",
    method: "POST",
    path: () => "/clients/sync",
    body: (id) => ({ clientId: id, client: { name: "Renamed" }, addresses: [{ street: "S", city: "C", state: "S", postalCode: "06600" }] }),
    needs: ["clients:create", "clients:update"],
  },
];

/** A tenant with keys in both environments and a client with children in each. */
async function tenantInBoth(permissions: readonly Permission[] = PERMISSIONS) {
  const tenantId = h.newTenant();
  const keys = {} as Record<Environment, string>;
  const clients = {} as Record<Environment, string>;
  for (const environment of ENVIRONMENTS) {
    keys[environment] = await h.createKey({ env: environment, tenantId, permissions });
    const client = await h.seedClient(environment, tenantId);
    await h.seedAddress(environment, client);
    clients[environment] = client.id;
  }
  return { tenantId, keys, clients };
}

const call = (e: Endpoint, environment: Environment | string, key: string, id: string) =>
  h.request(e.method, e.path(id), { env: environment, key, body: e.body?.(id) });

/** support's expectProblem, and the media type exactly, without parameters. */
function expectExactProblem(res: ApiResponse, status: number, code: string) {
  expectProblem(res, status, code);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
}

// ------------------------------------------------------------------------------------------------
// Isolation: environments and tenants
// ------------------------------------------------------------------------------------------------

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
    expectExactProblem(await h.get(`/clients/${client.id}`, { env: other, key: otherKey }), 404, "NOT_FOUND");
    expect((await h.get(`/clients`, { env: other, key: otherKey })).body.data).toEqual([]);
    expect((await h.get(`/clients?externalId=shared`, { env: other, key: otherKey })).body.data).toEqual([]);
    expectExactProblem(await h.delete(`/clients/${client.id}`, { env: other, key: otherKey }), 404, "NOT_FOUND");
    // Only the home database holds it, and the failed delete left it alone.
    expect(await h.count(home, clientsTable, tenantId)).toBe(1);
    expect(await h.count(other, clientsTable, tenantId)).toBe(0);
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
    expectExactProblem(foreign, 404, "NOT_FOUND");
    expectExactProblem(missing, 404, "NOT_FOUND");
    // Indistinguishable: same body apart from the id and the request id.
    const normalise = (body: any, id: string) => ({ ...body, requestId: "…", detail: body.detail.replaceAll(id, "<id>") });
    expect(normalise(foreign.body, client.id)).toEqual(normalise(missing.body, missingId));

    expectExactProblem(await h.delete(`/clients/${client.id}`, { key: b.key }), 404, "NOT_FOUND");
    expect(await h.rows("test", clientsTable, { id: client.id })).toHaveLength(1);

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

// ------------------------------------------------------------------------------------------------
// Authentication failures
// ------------------------------------------------------------------------------------------------

describe("authentication (401)", () => {
  it("missing Authorization", async () => {
    const res = await h.get(`/clients`);
    expectExactProblem(res, 401, "UNAUTHORIZED");
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
    expectExactProblem(res, 401, "UNAUTHORIZED");
    expect(res.stats.statementCount).toBe(0); // rejected before any database access
  });

  it("unknown key", async () => {
    const res = await h.get(`/clients`, { key: `sk_test_${"A".repeat(43)}` });
    expectExactProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toMatch(/unknown/i);
  });

  it("revoked key: at creation, and revoked after use", async () => {
    const tenantId = h.newTenant();
    const revoked = await h.createKey({ tenantId, revoked: true });
    expectExactProblem(await h.get(`/clients`, { key: revoked }), 401, "UNAUTHORIZED");
    const key = await h.createKey({ tenantId });
    expect((await h.get(`/clients`, { key })).status).toBe(200);
    await h.revokeKey("test", key);
    const res = await h.get(`/clients`, { key });
    expectExactProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toMatch(/revoked/i);
  });

  it.each<[Environment, Environment]>([
    ["live", "test"],
    ["test", "live"],
  ])("a %s key sent with X-Environment: %s says so", async (keyEnv, headerEnv) => {
    const key = await h.createKey({ env: keyEnv, tenantId: h.newTenant() });
    const res = await h.get(`/clients`, { env: headerEnv, key });
    expectExactProblem(res, 401, "UNAUTHORIZED");
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
    expectExactProblem(res, 400, "BAD_REQUEST");
    expect(res.body.detail).toMatch(/X-Environment/);
    expect(res.stats.statementCount).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------------
// Logs
// ------------------------------------------------------------------------------------------------

describe("no key is ever logged, answered or stored in plaintext", () => {
  const captured: string[] = [];
  const CONSOLE = ["log", "error", "warn", "info", "debug", "trace"] as const;
  beforeEach(() => {
    captured.length = 0;
    for (const method of CONSOLE) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        captured.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(" "));
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("a full request cycle — successes, every kind of failure, and unexpected errors — never shows a key or its hash", { timeout: 60_000 }, async () => {
    // The app as deployed: no logError option, so unexpected errors go to console.error.
    const app = createApp({ wrapDatabase: h.guard.wrap });
    const env = workerEnv as unknown as Env;
    const seen: string[] = [];
    const send = async (method: string, path: string, o: { env?: string; key?: string; body?: unknown; headers?: Record<string, string>; echoes?: boolean } = {}) => {
      const headers = new Headers(o.headers);
      headers.set("x-environment", o.env ?? "test");
      if (o.key !== undefined) headers.set("authorization", `Bearer ${o.key}`);
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`http://localhost${path}`, { method, headers, body }), env, ctx);
      const text = await res.text();
      await waitOnExecutionContext(ctx);
      // A key the caller itself put in the URL may be echoed back to it in a 400 ("Malformed client
      // id …"): its own input, not a leak. Such answers are left out; their logs are not.
      if (!o.echoes) seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
      stats.add("requests whose logs and answers were searched");
      return { status: res.status, text, body: text && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : null };
    };

    const { tenantId, keys } = await tenantInBoth();
    const key = keys.test;
    const readOnly = await h.createKey({ env: "test", tenantId, permissions: ["clients:read"] });
    const revoked = await h.createKey({ env: "test", tenantId, revoked: true });
    const secrets = [key, keys.live, readOnly, revoked];

    // Successes.
    expect((await send("GET", "/clients", { key })).status).toBe(200);
    const created = await send("POST", "/clients/sync", { key, body: { client: { type: "individual", name: "Ana", externalId: "ana" } } });
    expect(created.status).toBe(200);
    const id = created.body.client.id as string;
    expect((await send("POST", "/clients/batch", { key, body: { items: [{ type: "company", name: "Co" }] } })).status).toBe(200);
    expect((await send("GET", `/clients/${id}`, { key })).status).toBe(200);
    const keyed = { key, headers: { "idempotency-key": "idem-1" }, body: { clientId: id, client: { lastName: "Pérez" } } };
    expect((await send("POST", "/clients/sync", keyed)).status).toBe(200);
    expect((await send("POST", "/clients/sync", keyed)).status).toBe(200); // replayed
    expect((await send("GET", "/clients", { env: "live", key: keys.live })).status).toBe(200);

    // Failures of every kind.
    const failures: [number, Parameters<typeof send>][] = [
      [422, ["POST", "/clients/sync", { ...keyed, body: { clientId: id, client: { lastName: "Other" } } }]],
      [401, ["GET", "/clients", { key: `${key}A` }]], // unknown
      [401, ["GET", "/clients", { key: key.slice(0, -1) }]], // malformed (42 random characters)
      [401, ["GET", "/clients", { key: key.toUpperCase() }]], // unknown (only the hash is looked up)
      [401, ["GET", "/clients", { env: "live", key }]], // other environment
      [401, ["GET", "/clients", { key: keys.live }]], // other environment, the other way
      [401, ["GET", "/clients", { key: revoked }]],
      [401, ["GET", "/clients", { key: `${key} ${key}` }]],
      [403, ["DELETE", `/clients/${id}`, { key: readOnly }]],
      [403, ["POST", "/clients/batch", { key: readOnly, body: { items: [{ type: "individual", name: "X" }] } }]],
      [400, ["GET", "/clients", { env: "prod", key }]],
      [400, ["POST", "/clients/batch", { key, body: { items: [{ type: "individual", name: key }], extra: key } }]],
      [400, ["POST", "/clients/sync", { key, body: `{"client":{"type":"individual","name":"${key}"` }]],
      [400, ["GET", `/clients/${key}`, { key, echoes: true }]],
      [400, ["GET", `/clients?cursor=${key}`, { key }]],
      [404, ["GET", `/clients/${crypto.randomUUID()}`, { key }]],
      [415, ["POST", "/clients/batch", { key, body: "{}", headers: { "content-type": "text/plain" } }]],
    ];
    for (const [status, args] of failures) expect((await send(...args)).status, JSON.stringify(args[2]).slice(0, 80)).toBe(status);

    // Unexpected errors: the key lookup, a read, and a write fail inside D1.
    const unexpected: [string, (sql: string, index: number, count: number) => boolean, Parameters<typeof send>][] = [
      ["the key lookup", (sql) => /from "api_keys"/i.test(sql), ["GET", "/clients", { key }]],
      ["the graph read", (sql) => /FROM addresses x/.test(sql), ["GET", `/clients/${id}`, { key }]],
      ["the sync write batch", (sql) => /^insert into "contact_methods"/i.test(sql), ["POST", "/clients/sync", { key, body: { clientId: id, contactMethods: [{ value: "a@b.co" }] } }]],
      ["the batch write", (sql) => /^insert into "clients"/i.test(sql), ["POST", "/clients/batch", { key, body: { items: [{ type: "individual", name: "Boom" }] } }]],
      ["the delete batch", (sql) => /^delete from "clients"/i.test(sql), ["DELETE", `/clients/${id}`, { key }]],
    ];
    for (const [label, match, args] of unexpected) {
      let hit = 0;
      h.guard.failStatement = (info) => {
        const fail = hit === 0 && match(info.sql, info.index, info.of);
        if (fail) hit++;
        return fail;
      };
      const logged = captured.length;
      const res = await send(...args);
      h.guard.failStatement = undefined;
      expect(hit, label).toBe(1);
      expect(res.status, label).toBe(500);
      // Logged, with the request id, through console.error.
      expect(captured.length, label).toBeGreaterThan(logged);
      expect(captured.slice(logged).join("\n")).toContain(res.body.requestId);
      stats.add("unexpected errors logged and searched");
    }

    const logs = captured.join("\n");
    const answers = seen.join("\n");
    for (const secret of secrets) {
      const hash = await hashKey(secret);
      const random = secret.slice("sk_test_".length);
      for (const [where, text] of [["logs", logs], ["answers", answers]] as const) {
        expect(text.includes(secret), `plaintext key in ${where}`).toBe(false);
        expect(text.includes(random), `the key's random part in ${where}`).toBe(false);
        expect(text.includes(random.slice(0, 24)), `a long piece of the key in ${where}`).toBe(false);
        expect(text.includes(hash), `the key's hash in ${where}`).toBe(false);
        expect(text.toLowerCase().includes(hash.slice(0, 32)), `half the key's hash in ${where}`).toBe(false);
      }
    }
    // The unknown-key failures above sent variants of the key: those never appear either.
    expect(logs.includes(key.toUpperCase())).toBe(false);
    expect(answers.includes(key.toUpperCase())).toBe(false);
    stats.add("keys searched for", secrets.length);

    // And no table of either database holds a plaintext key, in any column of any row.
    let rows = 0;
    for (const environment of ENVIRONMENTS) {
      const binding = h.binding(environment);
      const { results: tables } = await binding.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'`).all<{ name: string }>();
      for (const { name } of tables) {
        const { results } = await binding.prepare(`SELECT * FROM "${name}"`).all();
        rows += results.length;
        const text = JSON.stringify(results);
        for (const secret of secrets) {
          expect(text.includes(secret.slice("sk_test_".length)), `${environment}.${name} holds a plaintext key`).toBe(false);
        }
      }
    }
    stats.add("stored rows searched for plaintext keys", rows);
  });

  it("api_keys holds, for each key, only its SHA-256 hash and a short display prefix", async () => {
    const { tenantId, keys } = await tenantInBoth();
    for (const environment of ENVIRONMENTS) {
      const key = keys[environment];
      const { results } = await h.binding(environment).prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(tenantId).all<Record<string, unknown>>();
      expect(results).toHaveLength(1);
      const row = results[0]!;
      expect(row.key_hash).toBe(await hashKey(key));
      expect(row.prefix).toBe(key.slice(0, `sk_${environment}_${h.shard === 0 ? "" : `s${h.shard}_`}`.length + 8));
      // No column holds more of the key than the display prefix (8 of its 43+ random characters).
      for (const [column, value] of Object.entries(row)) {
        const text = String(value);
        for (let start = 0; start + 12 <= key.length; start++) {
          const piece = key.slice(start, start + 12);
          if (column === "prefix" && row.prefix !== null && String(row.prefix).includes(piece)) continue;
          expect(text.includes(piece), `api_keys.${column} holds "${piece}" of the key`).toBe(false);
        }
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Revocation, environments
// ------------------------------------------------------------------------------------------------

describe("revocation takes effect on the next request", () => {
  it.each(ENVIRONMENTS)("%s: a key that just worked on every endpoint is refused on every endpoint once revoked; nothing changes", async (environment) => {
    const { tenantId, keys, clients } = await tenantInBoth();
    const key = keys[environment];
    // Works everywhere (DELETE last: it removes the client).
    for (const e of [...ENDPOINTS].sort((a, b) => Number(a.method === "DELETE") - Number(b.method === "DELETE"))) {
      const res = await call(e, environment, key, clients[environment]);
      expect(res.status, `${e.name}: ${res.text.slice(0, 200)}`).toBe(200);
    }
    await h.revokeKey(environment, key);
    const seeded = await h.seedClient(environment, tenantId);
    const before = await snapshot(h, tenantId);
    for (const e of ENDPOINTS) {
      const res = await call(e, environment, key, seeded.id);
      stats.add("requests with a revoked key");
      expectProblem(res, 401, "UNAUTHORIZED");
      expect(res.body.detail).toMatch(/revoked/i);
    }
    expect(await snapshot(h, tenantId)).toEqual(before);
  });
});

describe("a key never works in the other environment", () => {
  const table = ENVIRONMENTS.flatMap((keyEnv) =>
    ENDPOINTS.map((e) => ({ keyEnv, headerEnv: keyEnv === "test" ? "live" : ("test" as Environment), e })),
  );

  it.each(table)("a $keyEnv key with X-Environment: $headerEnv on $e.name → 401, nothing changes", async ({ keyEnv, headerEnv, e }) => {
    const { tenantId, keys, clients } = await tenantInBoth();
    const before = await snapshot(h, tenantId);
    // Aimed at the other environment's own client: the id exists there.
    const res = await call(e, headerEnv, keys[keyEnv], clients[headerEnv]);
    stats.add("cross-environment requests");
    expectProblem(res, 401, "UNAUTHORIZED");
    expect(res.body.detail).toContain(`sk_${keyEnv}_`);
    expect(res.stats.statementCount).toBe(0); // refused on its prefix, before any database access
    expect(await snapshot(h, tenantId)).toEqual(before);
  });

  it.each(ENVIRONMENTS)("even if the other database held the %s key's hash (a copied row), the key is refused there", async (keyEnv) => {
    const other: Environment = keyEnv === "test" ? "live" : "test";
    const { tenantId, keys, clients } = await tenantInBoth();
    const [row] = (await h.binding(keyEnv).prepare("SELECT * FROM api_keys WHERE tenant_id = ?").bind(tenantId).all<Record<string, unknown>>()).results;
    await h
      .binding(other)
      .prepare("INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, permissions, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)")
      .bind(crypto.randomUUID(), tenantId, "copied", `copy-${row!.prefix}`, row!.key_hash, row!.permissions, row!.created_at)
      .run();
    const before = await snapshot(h, tenantId);
    for (const e of ENDPOINTS) {
      const res = await call(e, other, keys[keyEnv], clients[other]);
      stats.add("cross-environment requests");
      expectProblem(res, 401, "UNAUTHORIZED");
    }
    expect(await snapshot(h, tenantId)).toEqual(before);
  });
});

// ------------------------------------------------------------------------------------------------
// Permissions
// ------------------------------------------------------------------------------------------------

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
    test: { clients: await h.rows("test", clientsTable, { tenantId }), addresses: await h.rows("test", addresses, { tenantId }) },
    live: { clients: await h.rows("live", clientsTable, { tenantId }), addresses: await h.rows("live", addresses, { tenantId }) },
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
      expectExactProblem(res, 403, "FORBIDDEN");
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
    expectExactProblem(res, 403, "FORBIDDEN");
    expect(res.body.detail).toBe("API key lacks permission: test:clients:update");
    expect(await h.count("test", clientsTable, tenantId)).toBe(0);
  });

  it("a read-only key reads, and cannot delete (nothing is deleted)", async () => {
    const tenantId = h.newTenant();
    const key = await h.createKey({ tenantId, permissions: ["clients:read"] });
    const client = await h.seedClient("test", tenantId);
    const read = await h.get(`/clients/${client.id}`, { key });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: client.id, name: client.name, createdAt: client.createdAt });
    expect((await h.get(`/clients`, { key })).body.data.map((c: any) => c.id)).toEqual([client.id]);
    expectExactProblem(await h.delete(`/clients/${client.id}`, { key }), 403, "FORBIDDEN");
    expect(await h.count("test", clientsTable, tenantId)).toBe(1);
  });
});

type Row = Record<string, unknown>;
const rowsOf = (s: Awaited<ReturnType<typeof snapshot>>, environment: Environment, table: string) => s[environment].rows[table] as Row[];

/**
 * An allowed call did what its endpoint does — and only that: the row it creates, changes or
 * removes, in its own environment's database; nothing in the other one; a read writes nothing and
 * answers the seeded client (named "Ada", one address).
 */
function expectEffect(e: Endpoint, environment: Environment, id: string, body: any, before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>) {
  const other: Environment = environment === "test" ? "live" : "test";
  expect(after[other]).toEqual(before[other]);
  const clientsAfter = rowsOf(after, environment, "clients");
  const addressesAfter = rowsOf(after, environment, "addresses");
  switch (e.name) {
    case "GET /clients":
      expect(after).toEqual(before);
      expect(body.data.map((c: { id: string }) => c.id)).toEqual([id]);
      expect(body.data[0]).toMatchObject({ name: "Ada", addresses: [{ clientId: id }] });
      break;
    case "GET /clients/{id}":
      expect(after).toEqual(before);
      expect(body).toMatchObject({ id, name: "Ada", addresses: [{ clientId: id, street: rowsOf(before, environment, "addresses")[0]!.street }] });
      break;
    // The seeded client was written straight to D1, with no history: an empty record, read, nothing written.
    case "GET /clients/{id}/history":
      expect(after).toEqual(before);
      expect(body).toEqual({ data: [], pagination: { hasMore: false, nextCursor: null } });
      break;
    case "GET /clients/{id}/history/verify":
      expect(after).toEqual(before);
      expect(body).toEqual({ valid: true, entries: 0, head: "" });
      break;
    case "DELETE /clients/{id}":
      expect(body).toEqual({ id, deleted: true });
      expect(clientsAfter.filter((c) => c.id === id)).toEqual([]);
      expect(addressesAfter.filter((a) => a.client_id === id)).toEqual([]);
      break;
    case "POST /clients/batch": {
      const created = clientsAfter.filter((c) => !rowsOf(before, environment, "clients").some((b) => b.id === c.id));
      expect(created).toMatchObject([{ id: body.data[0].id, name: "New", type: "individual" }]);
      expect(clientsAfter).toHaveLength(rowsOf(before, environment, "clients").length + 1);
      expect(addressesAfter).toEqual(rowsOf(before, environment, "addresses"));
      break;
    }
    case "POST /clients/sync":
      expect(body.action).toBe("updated");
      expect(clientsAfter.find((c) => c.id === id)).toMatchObject({ name: "Renamed" });
      expect(clientsAfter).toHaveLength(rowsOf(before, environment, "clients").length);
      expect(addressesAfter.filter((a) => a.client_id === id)).toHaveLength(2);
      expect(addressesAfter.find((a) => a.id === body.addresses.created[0].id)).toMatchObject({ street: "S", postal_code: "06600" });
      break;
    default:
      throw new Error(`no effect known for ${e.name}`);
  }
}

describe("permission matrix: every permission set × every endpoint × both environments", () => {
  const SETS: { label: string; permissions: Permission[] }[] = [
    ...PERMISSIONS.map((p) => ({ label: `only ${p}`, permissions: [p] })),
    ...PERMISSIONS.map((p) => ({ label: `all but ${p}`, permissions: PERMISSIONS.filter((q) => q !== p) })),
  ];
  const table = ENVIRONMENTS.flatMap((environment) => SETS.flatMap((set) => ENDPOINTS.map((e) => ({ environment, set, e, label: set.label }))));

  it.each(table)("$environment, $label, $e.name", async ({ environment, set, e }) => {
    const { tenantId, keys, clients } = await tenantInBoth(set.permissions);
    const missing = e.needs.find((p) => !set.permissions.includes(p));
    const before = await snapshot(h, tenantId);
    const res = await call(e, environment, keys[environment], clients[environment]);
    stats.add("permission × endpoint cases");
    const after = await snapshot(h, tenantId);
    if (missing) {
      expectProblem(res, 403, "FORBIDDEN");
      expect(res.body.detail).toBe(`API key lacks permission: ${environment}:${missing}`);
      expect(res.stats.rowsWritten).toBe(0);
      expect(after).toEqual(before);
    } else {
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expectEffect(e, environment, clients[environment], res.body, before, after);
    }
  });
  it(`the matrix covers ${PERMISSIONS.length} permissions × ${ENDPOINTS.length} endpoints, with keys holding exactly one and all but one`, () => {
    expect(PERMISSIONS).toHaveLength(7);
    expect(table).toHaveLength(2 * (2 * PERMISSIONS.length) * ENDPOINTS.length);
    expect(new Set(table.map((t) => t.e.name)).size).toBe(ENDPOINTS.length);
  });
});
