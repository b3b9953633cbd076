// GET /openapi.json serves the generated document, and live answers of every endpoint — successes
// and representative errors — validate against the document's schemas for their status.
import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";
import { EXAMPLES, type OperationId } from "../../src/openapi/examples";
import { createHarness, type ApiResponse } from "../support/harness";
import { exampleNamed, sendExample } from "./support";
import { documentValidator } from "./validate";

const h = createHarness();
let document: Record<string, any>;
let validator: ReturnType<typeof documentValidator>;

function expectDocumented(operationId: OperationId, response: ApiResponse, status: number) {
  expect(response.status, response.text).toBe(status);
  expect(validator.check(operationId, response)).toEqual([]);
  expect(response.headers.get("x-request-id")).toBeTruthy();
}

beforeAll(async () => {
  const response = await h.get("/openapi.json", { env: null });
  expect(response.status).toBe(200);
  document = response.body;
  validator = documentValidator(document);
});

describe("GET /openapi.json", () => {
  it("is public and serves the document generated from the schemas, with this origin as server", async () => {
    const response = await h.get("/openapi.json", { env: null });
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body).toEqual(openApiDocument("http://localhost"));
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it("requires the API key and X-Environment (two security schemes, together) everywhere, and gives every error the problem schema", () => {
    expect(document.security).toEqual([{ ApiKey: [], Environment: [] }]);
    expect(Object.keys(document.components.securitySchemes)).toEqual(["ApiKey", "Environment"]);
    expect(document.components.securitySchemes.ApiKey).toMatchObject({ type: "http", scheme: "bearer" });
    // An apiKey-in-header scheme, so that a generated client sets it once (issue 26).
    expect(document.components.securitySchemes.Environment).toMatchObject({ type: "apiKey", in: "header", name: "X-Environment", "x-enum": ["test", "live"] });
    expect(document.components.securitySchemes.Environment.description).toMatch(/`test` or `live`[\s\S]*400/);
    for (const item of Object.values(document.paths) as Record<string, any>[]) {
      for (const operation of Object.values(item)) {
        expect(operation.security).toBeUndefined(); // the global requirement applies
        expect(operation.parameters.map((p: any) => p.name)).not.toContain("X-Environment");
        expect(Object.keys(operation.responses)).toContain("400");
        expect(operation.responses["400"].description).toMatch(/X-Environment[\s\S]*X-Consistency-Token/);
        for (const [status, response] of Object.entries(operation.responses) as [string, any][]) {
          if (status.startsWith("2")) continue;
          expect(Object.keys(response.content)).toEqual(["application/problem+json"]);
          expect(response.content["application/problem+json"].schema).toEqual({ $ref: "#/components/schemas/Problem" });
        }
      }
    }
  });

  it("holds examples that match the schemas they illustrate", () => {
    for (const example of EXAMPLES) {
      const { schema } = validator.documented(example.operationId, example.response.status);
      expect(validator.errorsOf(schema.$ref, example.response.body), example.name).toEqual([]);
      const body = validator.operationNamed(example.operationId).requestBody?.content["application/json"];
      if (example.request.body !== undefined && example.response.status === 200) {
        expect(body.examples[example.name].value).toEqual(example.request.body);
        expect(validator.errorsOf(body.schema.$ref, example.request.body), example.name).toEqual([]);
      }
    }
  });
});

describe("live answers validate against the document", () => {
  it("every example's answer", async () => {
    for (const example of EXAMPLES) {
      expectDocumented(example.operationId, await sendExample(h, example), example.response.status);
    }
  });

  it("GET /clients: pages, bounds of limit, bad cursor, missing environment, no permission", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    for (let i = 0; i < 3; i++) await h.post("/clients/batch", { items: [{ type: "individual", name: `C${i}` }] }, { key });
    const first = await h.get("/clients?limit=2", { key });
    expectDocumented("listClients", first, 200);
    expect(first.body.pagination.hasMore).toBe(true);
    const next = await h.get(`/clients?limit=200&cursor=${first.body.pagination.nextCursor}`, { key });
    expectDocumented("listClients", next, 200);
    expect(next.body.data).toHaveLength(1);
    // The documented bounds of `limit` (src/schemas/list-query.ts) are the route's.
    const limit = document.paths["/clients"].get.parameters.find((p: any) => p.name === "limit").schema;
    expect(limit).toMatchObject({ minimum: 1, maximum: 200, default: 20 });
    expectDocumented("listClients", await h.get("/clients?limit=1", { key }), 200);
    expect((await h.get("/clients", { key })).body.data).toHaveLength(3);
    expectDocumented("listClients", await h.get("/clients?limit=0", { key }), 400);
    expectDocumented("listClients", await h.get("/clients?limit=201", { key }), 400);
    expectDocumented("listClients", await h.get("/clients?cursor=nonsense", { key }), 400);
    expectDocumented("listClients", await h.get("/clients", { key, env: null }), 400);
    expectDocumented("listClients", await h.get("/clients", { key: "sk_test_short" }), 401);
    const writeOnly = await h.createKey({ tenantId, permissions: ["clients:create"] });
    expectDocumented("listClients", await h.get("/clients", { key: writeOnly }), 403);
  });

  it("GET and DELETE /clients/{id}: found, malformed id, unknown id", async () => {
    const { key } = await h.newTenantWithKey();
    const created = await h.post("/clients/sync", exampleNamed("createGraph").request.body, { key });
    const id = created.body.client.id;
    const got = await h.get(`/clients/${id}`, { key });
    expectDocumented("getClient", got, 200);
    expect(got.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
    expectDocumented("getClient", await h.get("/clients/not-a-uuid", { key }), 400);
    expectDocumented("deleteClient", await h.delete("/clients/not-a-uuid", { key }), 400);
    expectDocumented("deleteClient", await h.delete(`/clients/${id}`, { key }), 200);
    expectDocumented("deleteClient", await h.delete(`/clients/${id}`, { key }), 404);
    expectDocumented("getClient", await h.get(`/clients/${id}`, { key }), 404);
  });

  it("history, verify and asOf: pages, a broken chain, bad cursor and asOf, unknown client, no permission", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const created = await h.post("/clients/sync", exampleNamed("createGraph").request.body, { key });
    const id = created.body.client.id;
    await h.post("/clients/sync", { clientId: id, client: { middleName: "Lucía" } }, { key });
    const first = await h.get(`/clients/${id}/history?limit=1`, { key });
    expectDocumented("getClientHistory", first, 200);
    expect(first.body.pagination.hasMore).toBe(true);
    expectDocumented("getClientHistory", await h.get(`/clients/${id}/history?cursor=${first.body.pagination.nextCursor}`, { key }), 200);
    expectDocumented("getClientHistory", await h.get(`/clients/${id}/history?cursor=nonsense`, { key }), 400);
    expectDocumented("getClientHistory", await h.get(`/clients/${crypto.randomUUID()}/history`, { key }), 404);
    expectDocumented("verifyClientHistory", await h.get(`/clients/${id}/history/verify`, { key }), 200);
    expectDocumented("getClient", await h.get(`/clients/${id}?asOf=2999-01-01T00:00:00Z`, { key }), 200);
    expectDocumented("getClient", await h.get(`/clients/${id}?asOf=yesterday`, { key }), 400);
    const readOnly = await h.createKey({ tenantId, permissions: ["clients:read"] });
    expectDocumented("getClient", await h.get(`/clients/${id}?asOf=2999-01-01T00:00:00Z`, { key: readOnly }), 403);
    expectDocumented("verifyClientHistory", await h.get(`/clients/${id}/history/verify`, { key: readOnly }), 403);
    // A broken chain is a documented answer too.
    await h.binding("test").prepare("UPDATE client_history SET hash = ? WHERE client_id = ? AND sequence = 2").bind("0".repeat(64), id).run();
    const broken = await h.get(`/clients/${id}/history/verify`, { key });
    expectDocumented("verifyClientHistory", broken, 200);
    expect(broken.body).toEqual({ valid: false, entries: 2, brokenAt: 2 });
  });

  it("POST /clients/batch: atomic, partial, invalid, conflict, not JSON, too large", async () => {
    const { key } = await h.newTenantWithKey();
    expectDocumented("createClients", await h.post("/clients/batch", { items: [{ type: "trust", name: "T", externalId: "x1" }] }, { key }), 200);
    const partial = await h.post("/clients/batch", { atomic: false, items: [{ type: "trust", name: "T", externalId: "x1" }, { type: "nope" }, { name: "N", type: "company" }] }, { key });
    expectDocumented("createClients", partial, 200);
    expect(partial.body.failed.map((f: any) => f.error.status)).toEqual([409, 400]);
    expectDocumented("createClients", await h.post("/clients/batch", { items: [{ type: "nope" }] }, { key }), 400);
    expectDocumented("createClients", await h.post("/clients/batch", { items: [{ type: "trust", name: "T", externalId: "x1" }] }, { key }), 409);
    expectDocumented("createClients", await h.post("/clients/batch", "{", { key, headers: { "content-type": "application/json" } }), 400);
    expectDocumented("createClients", await h.post("/clients/batch", "items", { key, headers: { "content-type": "text/plain" } }), 415);
    const big = JSON.stringify({ items: [{ type: "trust", name: "x".repeat(5 * 1024 * 1024) }] });
    expectDocumented("createClients", await h.post("/clients/batch", big, { key, headers: { "content-type": "application/json" } }), 413);
  });

  it("POST /clients/sync: created, unchanged, dry run, unknown client, taken externalId, If-Match mismatch", async () => {
    const { key } = await h.newTenantWithKey();
    const body = exampleNamed("createGraph").request.body as Record<string, any>;
    const created = await h.post("/clients/sync", body, { key });
    expectDocumented("syncClient", created, 200);
    const again = await h.post("/clients/sync", body, { key });
    expectDocumented("syncClient", again, 200);
    expect(again.body.action).toBe("unchanged");
    const dry = await h.post("/clients/sync", { ...body, client: { ...body.client, name: "Ana Lucía" }, dryRun: true }, { key });
    expectDocumented("syncClient", dry, 200);
    expect(dry.body).toMatchObject({ action: "updated", dryRun: true });
    const unknown = await h.post("/clients/sync", { clientId: "019aa7c3-4c5d-7e6f-8a7b-8c9d0e1f2a3b" }, { key });
    expectDocumented("syncClient", unknown, 404);
    await h.post("/clients/batch", { items: [{ type: "company", name: "Other", externalId: "taken" }] }, { key });
    const taken = await h.post("/clients/sync", { clientId: created.body.client.id, client: { externalId: "taken" } }, { key });
    expectDocumented("syncClient", taken, 409);
    const stale = await h.post("/clients/sync", { clientId: created.body.client.id, client: { name: "X" } }, { key, headers: { "if-match": '"0"' } });
    expectDocumented("syncClient", stale, 412);
  });
});
