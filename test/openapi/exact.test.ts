// The document is exact where tools found it was not (issue 11): what its schemas refuse, the
// service refuses, and what they accept, it accepts — batch items need type and name, strings are
// not blank, country codes are ISO alpha-2 of any case, scopes are unique, a cursor is never "",
// a sync names its client, free-form objects take any key, X-Environment is a required header
// (400 without it, not 401), and the ETag and Idempotent-Replayed headers have their types.
import { beforeAll, describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";
import { documentValidator } from "./validate";

const h = createHarness();
let document: Record<string, any>;
let validator: ReturnType<typeof documentValidator>;
let key: string;

beforeAll(async () => {
  document = (await h.get("/openapi.json", { env: null })).body;
  validator = documentValidator(document);
  ({ key } = await h.newTenantWithKey());
});

const parameter = (path: string, method: string, name: string) =>
  document.paths[path][method].parameters.find((p: any) => p.name === name);

/** Both say no: the document's schema refuses the body, and the service answers 400 at `pointer`. */
async function bothRefuse(path: string, schema: string, body: unknown, pointer: string) {
  expect(validator.errorsOf(`#/components/schemas/${schema}`, body), JSON.stringify(body)).not.toEqual([]);
  const res = await h.post(path, body, { key });
  expect(res.status, res.text).toBe(400);
  expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
}

/** Both say yes: the document's schema accepts the body, and the service answers 200. */
async function bothAccept(path: string, schema: string, body: unknown) {
  expect(validator.errorsOf(`#/components/schemas/${schema}`, body)).toEqual([]);
  const res = await h.post(path, body, { key });
  expect(res.status, res.text).toBe(200);
  return res;
}

describe("the document refuses what the service refuses, and accepts what it accepts", () => {
  it("a batch item needs type and name", async () => {
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "individual" }] }, "/items/0/name");
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ name: "Ana" }] }, "/items/0/type");
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "Ana" }] });
  });

  it("strings are not empty or blank", async () => {
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "company", name: "" }] }, "/items/0/name");
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "company", name: " \t " }] }, "/items/0/name");
    await bothRefuse("/clients/sync", "SyncRequest", { client: { type: "company", name: "X", lastName: "  " } }, "/client/lastName");
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "company", name: " X " }] });
  });

  it("country codes: the document enumerates the 249 ISO 3166-1 alpha-2 codes in every case the validator accepts", async () => {
    const { COUNTRY_CODES, isCountryCode } = await import("../../src/validators/countries");
    expect(COUNTRY_CODES).toHaveLength(249);
    const input = document.components.schemas.CountryCodeInput;
    expect(input.enum).toHaveLength(4 * 249);
    // Every two-letter string, in every case: the document's enum and the validator agree on each.
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const enumerated = new Set<string>(input.enum);
    const disagreements: string[] = [];
    for (const a of letters) for (const b of letters) if (enumerated.has(a + b) !== isCountryCode(a + b)) disagreements.push(a + b);
    expect(disagreements).toEqual([]);
    expect(isCountryCode("XX")).toBe(false);
    expect(document.components.schemas.CountryCode.enum).toEqual(COUNTRY_CODES);
    expect(document.components.schemas.Address.properties.country).toMatchObject({ anyOf: expect.arrayContaining([{ $ref: "#/components/schemas/CountryCode" }]) });
    // An unassigned code of the right shape: both refuse it; a mixed-case one: both take it.
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: ["XX"] }] }, "/items/0/nationalities/0");
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: ["Mx", "uS"] }] });
  });

  it("country codes are ISO 3166-1 alpha-2, in any case", async () => {
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: ["MEX"] }] }, "/items/0/nationalities/0");
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: "M" }] }, "/items/0/nationalities");
    const address = { street: "S", city: "C", state: "ST", postalCode: "1000", country: "Mexico" };
    await bothRefuse("/clients/sync", "SyncRequest", { client: { type: "company", name: "X" }, addresses: [address] }, "/addresses/0/country");
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: ["mx", "US"] }] });
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", nationalities: "es" }] });
  });

  it("scopes are unique", async () => {
    await bothRefuse("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", scopes: ["MX", "MX"] }] }, "/items/0/scopes/1");
    await bothAccept("/clients/batch", "BatchRequest", { items: [{ type: "individual", name: "A", scopes: ["base", "MX"] }] });
  });

  it("a sync without clientId names its client", async () => {
    await bothRefuse("/clients/sync", "SyncRequest", { dryRun: true }, "/client");
    await bothAccept("/clients/sync", "SyncRequest", { client: { type: "trust", name: "T" }, dryRun: true });
  });

  it("metadata, fields and scopeData.US take any key", async () => {
    const anything = { "any key": [1, { deep: null }], "ñ": true };
    await bothAccept("/clients/sync", "SyncRequest", {
      client: { type: "individual", name: "A", metadata: anything, scopeData: { US: anything } },
      documents: [{ type: "passport", fields: anything, metadata: anything }],
      addresses: [{ street: "S", city: "C", state: "ST", postalCode: "1000", scopeData: { US: anything } }],
    });
    await bothRefuse("/clients/sync", "SyncRequest", { client: { type: "individual", name: "A", metadata: ["a list"] } }, "/client/metadata");
  });

  it("a cursor is never empty: the document's pattern and the service both refuse it", async () => {
    const cursor = parameter("/clients", "get", "cursor").schema;
    expect(validator.errorsOfSchema(cursor, "")).not.toEqual([]);
    expect((await h.get("/clients?cursor=", { key })).status).toBe(400);
    const first = await h.get("/clients?limit=1", { key });
    const issued = first.body.pagination.nextCursor;
    expect(issued).toEqual(expect.any(String));
    expect(validator.errorsOfSchema(cursor, issued)).toEqual([]);
    expect((await h.get(`/clients?limit=1&cursor=${issued}`, { key })).status).toBe(200);
  });

  it("limit is an integer from 1 to 200, 20 by default", async () => {
    const limit = parameter("/clients", "get", "limit");
    expect(limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 200, default: 20 });
    for (const value of [0, 201, 1.5]) {
      expect(validator.errorsOfSchema(limit.schema, value)).not.toEqual([]);
      expect((await h.get(`/clients?limit=${value}`, { key })).status).toBe(400);
    }
    expect((await h.get(`/clients?limit=200`, { key })).status).toBe(200);
  });
});

describe("headers", () => {
  it("X-Environment is a security scheme required on every operation: without it, a 400 (not a 401), as documented", async () => {
    expect(document.security).toEqual([{ ApiKey: [], Environment: [] }]);
    expect(document.components.securitySchemes.Environment).toMatchObject({ type: "apiKey", in: "header", name: "X-Environment" });
    for (const [path, item] of Object.entries(document.paths) as [string, any][]) {
      for (const [method, operation] of Object.entries(item) as [string, any][]) {
        expect(operation.security, `${method} ${path}`).toBeUndefined();
        expect(operation.responses["400"].description, `${method} ${path}`).toMatch(/missing or invalid X-Environment/);
      }
    }
    const without = await h.get("/clients", { key, env: null });
    expect(without.status).toBe(400);
    expect(without.body.detail).toMatch(/X-Environment/);
    expect((await h.get("/clients", { key, env: "prod" })).status).toBe(400);
  });

  it("a malformed X-Consistency-Token is a 400 on every operation, and every operation documents it", async () => {
    for (const [path, item] of Object.entries(document.paths) as [string, any][]) {
      for (const [method, operation] of Object.entries(item) as [string, any][]) {
        expect(operation.responses["400"].description, `${method} ${path}`).toMatch(/malformed X-Consistency-Token/);
        const token = operation.parameters.find((p: any) => p.name === "X-Consistency-Token");
        expect(validator.errorsOfSchema(token.schema, "not a token")).not.toEqual([]);
      }
    }
    const malformed = { "x-consistency-token": "not a token" };
    expect((await h.get("/clients", { key, headers: malformed })).status).toBe(400);
    expect((await h.get(`/clients/${crypto.randomUUID()}`, { key, headers: malformed })).status).toBe(400);
    expect((await h.post("/clients/batch", { items: [{ type: "trust", name: "T" }] }, { key, headers: malformed })).status).toBe(400);
    expect((await h.get("/webhook-endpoints", { key, headers: malformed })).status).toBe(400);
  });

  it("an empty If-Match: the document refuses it, and the service answers 400 pointing at the header (not 412), writing nothing", async () => {
    const ifMatch = parameter("/clients/sync", "post", "If-Match");
    expect(ifMatch.schema).toMatchObject({ type: "string", minLength: 1 });
    expect(ifMatch.description).toMatch(/Empty: 400/);
    expect(validator.errorsOfSchema(ifMatch.schema, "")).not.toEqual([]);
    expect(validator.errorsOfSchema(ifMatch.schema, "  ")).not.toEqual([]);
    expect(validator.errorsOfSchema(ifMatch.schema, '"abc"')).toEqual([]);
    const externalId = `if-match-${crypto.randomUUID()}`;
    for (const value of ["", "   "]) {
      const res = await h.post("/clients/sync", { client: { type: "trust", name: "T", externalId } }, { key, headers: { "if-match": value } });
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors).toEqual([{ pointer: "/headers/if-match", code: "invalid_header", detail: expect.stringMatching(/If-Match is empty/) }]);
    }
    expect((await h.get(`/clients?externalId=${externalId}`, { key })).body.data).toEqual([]);
    // A non-empty one that matches nothing is still the 412 it was.
    const created = await h.post("/clients/sync", { client: { type: "trust", name: "T", externalId } }, { key });
    expect(created.status).toBe(200);
    const stale = await h.post("/clients/sync", { clientId: created.body.client.id, client: { name: "U" } }, { key, headers: { "if-match": '"0"' } });
    expect(stale.status).toBe(412);
  });

  it("a webhook endpoint's url is a non-empty URI in the document, and the service refuses an empty one", async () => {
    const url = document.components.schemas.CreateWebhookEndpoint.properties.url;
    expect(url).toMatchObject({ type: "string", format: "uri", minLength: 1 });
    expect(document.components.schemas.WebhookEndpoint.properties.url).toMatchObject({ format: "uri" });
    await bothRefuse("/webhook-endpoints", "CreateWebhookEndpoint", { url: "" }, "/url");
    await bothRefuse("/webhook-endpoints", "CreateWebhookEndpoint", { url: "not a url" }, "/url");
  });

  it("ETag and Idempotent-Replayed are typed, and the live headers have those types", async () => {
    const sync = document.paths["/clients/sync"].post.responses["200"].headers;
    expect(sync.ETag).toMatchObject({ required: true, schema: { type: "string" } });
    expect(sync["Idempotent-Replayed"].schema).toMatchObject({ type: "string", const: "true" });
    expect(document.paths["/clients/{id}"].get.responses["200"].headers.ETag.schema).toEqual(sync.ETag.schema);
    expect(document.paths["/clients/batch"].post.responses["200"].headers["Idempotent-Replayed"].schema).toEqual(sync["Idempotent-Replayed"].schema);

    const body = { client: { type: "individual", name: "Ana", externalId: `etag-${crypto.randomUUID()}` } };
    const first = await h.post("/clients/sync", body, { key, headers: { "idempotency-key": crypto.randomUUID() } });
    expect(first.status).toBe(200);
    expect(validator.errorsOfSchema(sync.ETag.schema, first.headers.get("etag"))).toEqual([]);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const got = await h.get(`/clients/${first.body.client.id}`, { key });
    expect(validator.errorsOfSchema(sync.ETag.schema, got.headers.get("etag"))).toEqual([]);
    const idempotencyKey = crypto.randomUUID();
    await h.post("/clients/batch", { items: [{ type: "trust", name: "T" }] }, { key, headers: { "idempotency-key": idempotencyKey } });
    const replay = await h.post("/clients/batch", { items: [{ type: "trust", name: "T" }] }, { key, headers: { "idempotency-key": idempotencyKey } });
    expect(validator.errorsOfSchema(sync["Idempotent-Replayed"].schema, replay.headers.get("idempotent-replayed"))).toEqual([]);
    for (const res of [first, got, replay]) {
      const requestId = document.paths["/clients/sync"].post.responses["200"].headers["X-Request-Id"].schema;
      expect(validator.errorsOfSchema(requestId, res.headers.get("x-request-id"))).toEqual([]);
    }
  });
});
