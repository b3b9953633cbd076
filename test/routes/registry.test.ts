// The operation registry (src/routes): the query of GET /clients and the path of /clients/{id} are
// parsed by their zod schemas with the answers of before — one problem per parameter, pointing at it,
// with its code (an unknown parameter `unrecognized_keys`, a repeated one `invalid_type`, a refused
// value `invalid_value`), every problem in one answer, a cursor issued to another query among them;
// a malformed id is a 400 that does not echo it — and /docs with its files is served from the static
// assets through the same router (request id, HEAD, 404, 405).
import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";

const h = createHarness();

const errorsOf = (res: { body: any }) =>
  (res.body.errors as { pointer: string; code: string }[]).map((e) => `${e.pointer} ${e.code}`).sort();

describe("GET /clients: the query, parsed by its schema", () => {
  it("names each problem by parameter and code, all in one answer", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get("/clients?limit=abc&limit=2&cursor=&externalId=%20%20&page=1&sort=x", { key });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe("Invalid query parameters");
    expect(errorsOf(res)).toEqual([
      "/cursor invalid_value",
      "/externalId invalid_value",
      "/limit invalid_type", // given twice
      "/page unrecognized_keys",
      "/sort unrecognized_keys",
    ]);
  });

  it.each([
    ["limit=0", "/limit invalid_value"],
    ["limit=201", "/limit invalid_value"],
    ["limit=1e2", "/limit invalid_value"],
    ["limit=%2B5", "/limit invalid_value"],
    ["limit=", "/limit invalid_value"],
    ["externalId=", "/externalId invalid_value"],
    [`externalId=${"x".repeat(256)}`, "/externalId invalid_value"],
    ["cursor=abc", "/cursor invalid_value"],
    ["cursor=a&cursor=b", "/cursor invalid_type"],
  ])("%s → %s", async (query, error) => {
    const { key } = await h.newTenantWithKey();
    const res = await h.get(`/clients?${query}`, { key });
    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual([error]);
  });

  it("takes what it took before: plain digits for limit (leading zeros too), any non-blank externalId", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId, { externalId: " crm 1 " });
    expect((await h.get("/clients?limit=007", { key })).body.data).toHaveLength(1);
    const found = await h.get(`/clients?externalId=${encodeURIComponent(" crm 1 ")}`, { key });
    expect(found.body.data.map((c: any) => c.id)).toEqual([client.id]);
  });

  it("reports a cursor issued to another tenant together with the other problems of the query", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    for (let i = 0; i < 2; i++) await h.seedClient("test", a.tenantId);
    const issued: string = (await h.get("/clients?limit=1", { key: a.key })).body.pagination.nextCursor;
    expect((await h.get(`/clients?limit=1&cursor=${issued}`, { key: a.key })).status).toBe(200);
    const res = await h.get(`/clients?limit=0&cursor=${issued}`, { key: b.key });
    expect(res.status).toBe(400);
    expect(errorsOf(res)).toEqual(["/cursor invalid_value", "/limit invalid_value"]);
    // Another filter is another query.
    expect(errorsOf(await h.get(`/clients?limit=1&externalId=x&cursor=${issued}`, { key: a.key }))).toEqual(["/cursor invalid_value"]);
  });
});

describe("/clients/{id}: the path, parsed by its schema", () => {
  it("a malformed id is a 400 that does not echo it, before anything is read", async () => {
    const { key } = await h.newTenantWithKey();
    for (const method of ["GET", "DELETE"]) {
      const res = await h.request(method, "/clients/sk_live_secret-by-mistake", { key });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: "BAD_REQUEST", errors: [] });
      expect(res.text).not.toContain("secret");
      expect(res.stats.statementCount).toBe(1); // the API key lookup only
    }
  });

  it("an id in upper case names the same client", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const res = await h.get(`/clients/${client.id.toUpperCase()}`, { key });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(client.id);
  });
});

describe("/docs, from the static assets, through the router", () => {
  it("serves the page with its policy, and the renderer, each with a request id", async () => {
    const page = await h.get("/docs", { env: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers.get("x-request-id")).toMatch(/^req_/);
    expect(page.text).toContain('<script src="/docs/scalar.js"></script>');
    for (const file of ["/docs/scalar.js", "/docs/reference.js"]) {
      const res = await h.get(file, { env: null });
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/javascript/);
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    }
    expect((await h.get("/docs/scalar.js", { env: null })).text).toContain("createApiReference");
  });

  it("an unknown file is a 404 problem, another method a 405 with Allow, HEAD like GET", async () => {
    const missing = await h.get("/docs/nothing.js", { env: null });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    const post = await h.post("/docs", {}, { env: null });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await h.request("HEAD", "/docs/reference.js", { env: null });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
  });
});
