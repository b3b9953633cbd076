// The catch-all (issue 5, item 3): hundreds of generated junk requests at every endpoint — JSON
// shaped like the API's bodies with wrong values in every place, arbitrary JSON, mutated JSON
// text, random bytes and strings, junk query strings, ids and headers. Whatever comes in:
//   - the answer is never a 5xx;
//   - an error answer is a problem document (valid against the document's Problem schema)
//     carrying its request id, and writes no row;
//   - a 200 is valid against the OpenAPI document's schema for its operation, and it is true:
//     what a batch or sync answers is what a GET then reads (a dry run wrote nothing), a list
//     holds what its filter asks, a read client is the one asked for.
// fast-check with a fixed seed (printed), so a failure replays exactly; it shrinks to the smallest
// failing request.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document";
import type { OperationId } from "../../src/openapi/examples";
import type { ApiResponse, RequestOptions } from "../support/harness";
import { createHarness } from "../support/harness";
import { documentValidator } from "../openapi/validate";
import { clabe, curp, RFC_INDIVIDUAL } from "../sync/helpers";
import { expectNoPollution, figures, snapshot } from "./support";

const h = createHarness();
const stats = figures("fuzz", ["junk requests", "answered 5xx", "200 answers checked against the document and the database"]);
const validator = documentValidator(openApiDocument("http://localhost") as Record<string, any>);
const statuses: Record<string, number> = {};
afterAll(() => {
  stats.print();
  console.log(`[reliability] fuzz: statuses ${JSON.stringify(statuses)}`);
});

const SEED = 20261121;

let tenantId = "";
let testKey = "";
let liveKey = "";
const ids: string[] = [];

beforeAll(async () => {
  tenantId = h.newTenant();
  testKey = await h.createKey({ env: "test", tenantId });
  liveKey = await h.createKey({ env: "live", tenantId });
  // A graph to aim at: junk that names its ids reaches the update, match and link paths.
  const res = await h.post(
    "/clients/sync",
    {
      client: { type: "individual", name: "Fuzz", externalId: "fuzz" },
      addresses: [{ street: "S", city: "C", state: "S", postalCode: "06600", country: "MX", externalId: "a1" }],
      contactMethods: [{ value: "a@b.co", externalId: "c1" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: "b1" }],
      documents: [{ type: "ine", externalId: "d1" }],
      linkedClients: [{ child: { type: "company", name: "Co", externalId: "co" } }],
    },
    { key: testKey },
  );
  expect(res.status, res.text).toBe(200);
  const c = res.body.client;
  ids.push(c.id, c.addresses[0].id, c.contactMethods[0].id, c.bankAccounts[0].id, c.documents[0].id, c.linkedClients[0].client.id);
});

// ------------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------------

const KEYS = [
  "items", "atomic", "clientId", "client", "addresses", "contactMethods", "bankAccounts", "documents", "linkedClients",
  "replaceMode", "dryRun", "type", "name", "middleName", "lastName", "birthDate", "nationalities", "scopes", "externalId",
  "metadata", "employment", "scopeData", "MX", "US", "rfc", "curp", "actividadVulnerable", "cnbv", "TRANSMISOR", "AVI",
  "username", "street", "city", "state", "postalCode", "country", "isPrimary", "value", "accountNumber", "bankName",
  "currency", "clabe", "codigoBanco", "codigoPlaza", "fields", "size", "expiresAt", "category", "contentType", "filename",
  "child", "relationshipType", "_delete", "id", "__proto__", "constructor", "prototype", "isActive", "label",
];

const STRINGS = [
  "", " ", "individual", "company", "trust", "INDIVIDUAL", "MX", "mx", "US", "XX", "base", "MX:AV", "MX:CNBV:TRANSMISOR",
  "1980-01-01", "2001-02-29", "1899-12-31", "3000-01-01", "a@b.co", "not-an-email@", "5512345678", "+52 (55) 1234-5678",
  "MXN", "usd", clabe(), "002180000000000001", RFC_INDIVIDUAL, "ABC800101AB1", curp(), "GOMA800101HDFRRN09",
  "legal_representative", "guarantor", "home", "email", "phone", "checking", "identity", "application/pdf", "06600",
  "a\u0000b", "\ud800", "\udc00x", "\ud83d\ude00", "'; DROP TABLE clients; --", '" OR 1=1 --', "%", "_", "\\", "NaN",
  "x".repeat(256), "ñ".repeat(301), "00000000-0000-0000-0000-000000000000", "01A1FF4F-6308-7000-967A-47E8DFED4B0C",
];

const NUMBERS = [0, -0, 1, -1, 1.5, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 250, 251];

const scalar = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom(...NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant("$ID"),
);

const { value } = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie("value"), { maxKeys: 5 }),
}));

/** A record whose keys are all optional, each either a plausible value or junk. */
function shaped(model: Record<string, fc.Arbitrary<unknown>>) {
  const withJunk = Object.fromEntries(Object.entries(model).map(([k, arb]) => [k, fc.oneof(arb, arb, arb, arb, value)]));
  return fc.tuple(fc.record(withJunk, { requiredKeys: [] }), fc.option(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 2 }), { freq: 4 })).map(
    ([record, extra]) => ({ ...record, ...(extra ?? {}) }),
  );
}

const str = (...values: string[]) => fc.constantFrom(...values);
const clientish = shaped({
  type: str("individual", "company", "trust"),
  name: str("Ana", "ACME", " "),
  middleName: str("María"),
  lastName: str("Pérez"),
  birthDate: str("1980-01-01", "2001-02-29"),
  nationalities: fc.oneof(str("MX", "mx"), fc.constant(["MX", "US"])),
  scopes: fc.constant(["base", "MX"]),
  externalId: str("fuzz", "co", "x1", "x2"),
  metadata: fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 3 }),
  employment: fc.constant({ isEmployee: true, position: "CEO" }),
  scopeData: fc.constantFrom({ MX: { rfc: RFC_INDIVIDUAL } }, { MX: { curp: curp() } }, { US: { a: 1 } }, { MX: { actividadVulnerable: { AVI: { username: "u" } } } }),
});
const addressish = shaped({
  id: fc.constant("$ID"), externalId: str("a1", "a2"), street: str("S"), city: str("C"), state: str("S"), postalCode: str("06600", "1"),
  country: str("MX", "US"), isPrimary: fc.boolean(), type: str("home", "legal"), _delete: fc.boolean(), scopeData: fc.constant({ MX: { exteriorNumber: "1" } }),
});
const contactish = shaped({ id: fc.constant("$ID"), externalId: str("c1", "c2"), value: str("a@b.co", "5512345678", "x"), type: str("email", "phone", "fax"), isPrimary: fc.boolean(), _delete: fc.boolean() });
const bankish = shaped({
  id: fc.constant("$ID"), externalId: str("b1", "b2"), accountNumber: str("1"), bankName: str("B"), currency: str("MXN", "USD"), country: str("MX", "US"),
  clabe: str(clabe(), clabe("012", "180", 7)), codigoBanco: str("002", "999"), isActive: fc.boolean(), _delete: fc.boolean(),
});
const documentish = shaped({
  id: fc.constant("$ID"), externalId: str("d1", "d2"), type: str("ine", "rfc"), category: str("identity", "tax"), size: fc.constantFrom(0, 10, -1),
  fields: fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 3 }), expiresAt: str("2030-01-01"), _delete: fc.boolean(),
});
const linkish = shaped({ clientId: fc.constant("$ID"), child: clientish, relationshipType: str("guarantor", "legal_representative"), metadata: fc.constant({ a: 1 }), _delete: fc.boolean() });

const list = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 3 });
const batchBody = shaped({ items: list(clientish), atomic: fc.boolean() });
const syncBody = shaped({
  clientId: fc.constant("$ID"), client: clientish, addresses: list(addressish), contactMethods: list(contactish), bankAccounts: list(bankish),
  documents: list(documentish), linkedClients: list(linkish), replaceMode: fc.boolean(), dryRun: fc.boolean(),
});

// Plausible bodies with no junk at all: most of them succeed, so that the 200 path (its answer
// against the document and against what GET then reads) is exercised as much as the errors.
const freshExt = (prefix: string) => fc.uuid().map((u) => `${prefix}-${u.slice(0, 8)}`);
const ext = (prefix: string, ...known: string[]) => fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...known) }, { weight: 3, arbitrary: freshExt(prefix) });
const freeForm = fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 3 });
const cleanClientKeys = {
  lastName: str("Pérez"), birthDate: str("1980-01-01", "2001-02-28"), nationalities: fc.constantFrom<unknown>(["MX", "US"], "mx"),
  scopes: fc.constant(["base", "MX"]), metadata: freeForm, employment: fc.constant({ isEmployee: true, position: "CEO" }),
  scopeData: fc.constantFrom({ US: { a: 1 } }, { MX: { actividadVulnerable: { AVI: { username: "u" } } } }),
};
const cleanClient = fc.record(
  { type: str("individual", "company", "trust"), name: str("Ana", "ACME"), externalId: ext("x", "fuzz", "co"), ...cleanClientKeys },
  { requiredKeys: ["type", "name"] },
);
const cleanChild = fc.record({ type: str("individual", "company"), name: str("Rep"), externalId: freshExt("l"), ...cleanClientKeys }, { requiredKeys: ["type", "name"] });
const cleanLists = {
  addresses: list(
    fc.record(
      { street: str("S"), city: str("C"), state: str("ST"), postalCode: str("06600"), country: str("MX"), externalId: ext("a", "a1"), type: str("home", "legal"), metadata: freeForm, scopeData: fc.constant({ US: { b: [1] } }) },
      { requiredKeys: ["street", "city", "state", "postalCode"] },
    ),
  ),
  contactMethods: list(
    fc.record({ value: str("a@b.co", "5512345678", "+52 (55) 1234-5678", "front desk"), externalId: ext("c", "c1"), label: str("work") }, { requiredKeys: ["value"] }),
  ),
  bankAccounts: list(
    fc.record({ accountNumber: str("1", "0123456789"), bankName: str("B"), currency: str("MXN", "USD"), clabe: str(clabe()), externalId: ext("b", "b1"), isActive: fc.boolean() }, { requiredKeys: ["accountNumber", "bankName", "currency"] }),
  ),
  documents: list(
    fc.record({ type: str("ine", "rfc"), category: str("identity", "tax"), size: fc.nat(), fields: freeForm, expiresAt: str("2030-01-01"), externalId: ext("d", "d1"), contentType: str("application/pdf") }),
  ),
  linkedClients: list(fc.record({ child: cleanChild, relationshipType: str("guarantor", "legal_representative") }, { requiredKeys: ["child"] })),
  replaceMode: fc.boolean(),
  dryRun: fc.boolean(),
};
const cleanBatch = fc.record({ items: fc.array(cleanClient, { minLength: 1, maxLength: 3 }), atomic: fc.boolean() }, { requiredKeys: ["items"] });
const cleanSync = fc.oneof(
  fc.record({ client: cleanClient, ...cleanLists }, { requiredKeys: ["client"] }),
  fc.record({ clientId: fc.constant("$CLIENT"), client: fc.record({ name: str("Renamed"), ...cleanClientKeys }, { requiredKeys: [] }), ...cleanLists }, { requiredKeys: ["clientId"] }),
);
const cleanHeaders = fc.record({ "content-type": fc.constant("application/json"), "idempotency-key": fc.uuid() }, { requiredKeys: ["content-type"] });

/** Deletes, inserts and replacements applied to a JSON text. */
const mutations = fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 4 }), put: fc.string({ unit: "binary-ascii", maxLength: 3 }) }), { minLength: 1, maxLength: 4 });
function mutate(text: string, edits: { at: number; cut: number; put: string }[]): string {
  let out = text;
  for (const { at, cut, put } of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    out = out.slice(0, i) + put + out.slice(i + cut);
  }
  return out;
}

type Body = { kind: "json"; text: string } | { kind: "bytes"; bytes: Uint8Array };

/** The body of a POST: shaped JSON, any JSON value, mutated JSON, random text, random bytes. */
const bodyOf = (shape: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  fc.oneof(
    { weight: 5, arbitrary: shape.map((v): Body => ({ kind: "json", text: JSON.stringify(v) })) },
    { weight: 2, arbitrary: value.map((v): Body => ({ kind: "json", text: JSON.stringify(v) ?? "" })) },
    { weight: 2, arbitrary: fc.tuple(shape, mutations).map(([v, m]): Body => ({ kind: "json", text: mutate(JSON.stringify(v), m) })) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((text): Body => ({ kind: "json", text })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes): Body => ({ kind: "bytes", bytes })) },
  );

/** A POST: junk (body and headers), or now and then a plausible body with plain headers. */
const postOf = (shape: fc.Arbitrary<unknown>, plausible: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(bodyOf(shape), headers, environment, fc.nat()) },
    { weight: 3, arbitrary: fc.tuple(plausible.map((v): Body => ({ kind: "json", text: JSON.stringify(v) })), cleanHeaders as fc.Arbitrary<Record<string, string>>, environment, fc.nat()) },
  );

/** Header values must be ByteStrings without CR, LF or NUL. */
const headerText = fc.string({ unit: fc.constantFrom(..."abcXYZ019 _-.:,;=\"'*/\\%\t\u00e9\u00ff".split("")), maxLength: 40 });
const contentType = fc.constantFrom(...Array<string>(12).fill("application/json"), "application/merge-patch+json", "text/plain", "application/json; charset=latin1", "");
const headers = fc.record(
  {
    "content-type": contentType,
    "idempotency-key": fc.oneof(headerText, fc.constant("x".repeat(256)), fc.constant(" ")),
    "if-match": fc.oneof(headerText, fc.constant("*"), fc.constant('"abc"')),
    "x-request-id": headerText,
  },
  { requiredKeys: ["content-type"] },
);

const pathJunk = fc.oneof(
  fc.constant("$ID"),
  fc.uuid(),
  fc.constantFrom("%E0%A4%A", "%ZZ", "%00", "%ff", "..", "%2e%2e", "a%2Fb", "%F0%9F%98%80", "batch", "sync", "", "x".repeat(300), "00000000-0000-0000-0000-000000000000"),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map(encodeURIComponent),
);
const queryJunk = fc
  .array(
    fc.tuple(
      fc.constantFrom("limit", "cursor", "externalId", "LIMIT", "foo", "", "limit[]", "__proto__"),
      fc.oneof(fc.constantFrom("0", "1", "200", "201", "-1", "1e2", "%ZZ", "%00", "%E0%A4%A", "fuzz", "W10", "eyJ4IjoxfQ"), fc.string({ maxLength: 12 }).map(encodeURIComponent)),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? "" : "?" + pairs.map(([k, v]) => `${k}=${v}`).join("&")));

const environment = fc.constantFrom("test", "test", "test", "live");

// ------------------------------------------------------------------------------------------------
// The property
// ------------------------------------------------------------------------------------------------

function withIds(text: string, pick: number): string {
  let n = pick;
  return text.replace(/\$ID/g, () => ids[n++ % ids.length]!).replaceAll("$CLIENT", ids[0]!);
}

/** The documented operation a request reached (the router takes one trailing slash), if any. */
function operationOf(method: string, path: string): OperationId | undefined {
  const bare = path.split("?")[0]!.replace(/(.)\/$/, "$1");
  if (method === "POST" && bare === "/clients/batch") return "createClients";
  if (method === "POST" && bare === "/clients/sync") return "syncClient";
  if (method === "GET" && bare === "/clients") return "listClients";
  if (/^\/clients\/[^/]+$/.test(bare)) return method === "GET" ? "getClient" : method === "DELETE" ? "deleteClient" : undefined;
  return undefined;
}

/** Public routes that answer 200 outside the documented operations. */
const PUBLIC = /^\/(openapi\.json|docs|problems\/[a-z-]+)\/?$/;

const ETAG = /^"[0-9a-f]+"$/;

/** A 200 is documented and true: checked against the document, then against what GET reads. */
async function checkSuccess(method: string, path: string, options: RequestOptions, res: ApiResponse) {
  if (method === "HEAD") {
    // HEAD is GET without the body (API.md §1): the GET it stands for is checked as a GET.
    expect(res.text).toBe("");
    const get = await h.request("GET", path, options);
    expect(get.status).toBe(res.status);
    return checkSuccess("GET", path, options, get);
  }
  const operation = operationOf(method, path);
  if (!operation) {
    expect(path.split("?")[0], `${method} ${path} answered 200 outside the documented operations`).toMatch(PUBLIC);
    return;
  }
  if (method === "HEAD") return;
  expect(validator.check(operation, res), `${method} ${path}: a 200 off the document`).toEqual([]);
  stats.add("200 answers checked against the document and the database");
  stats.add(`200 ${operation}`);
  const read = (id: string) => h.get(`/clients/${id}`, { env: options.env, key: options.key });
  const body = res.body;
  if (operation === "createClients") {
    expect(res.stats.rowsWritten).toBeGreaterThanOrEqual(body.data.length);
    if (body.atomic === false) expect(body.succeeded.map((s: { data: unknown }) => s.data)).toEqual(body.data);
    for (const created of body.data) {
      const got = await read(created.id);
      expect(got.status, `batch created ${created.id}, GET answers ${got.status}`).toBe(200);
      expect(got.body).toEqual(created);
    }
  } else if (operation === "syncClient") {
    expect(res.headers.get("etag")).toMatch(ETAG);
    const got = await read(body.client.id);
    if (body.dryRun) {
      expect(res.stats.rowsWritten, "a dry run wrote rows").toBe(0);
      if (body.action === "created") expect(got.status, "a dry run created its client").toBe(404);
      return;
    }
    expect(got.status, `sync answered client ${body.client.id}, GET answers ${got.status}`).toBe(200);
    expect(got.body).toEqual(body.client);
    expect(got.headers.get("etag")).toBe(res.headers.get("etag"));
    // Every reported change is what the client now holds; every deleted id is gone.
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"] as const) {
      const held = new Map((got.body[list] as { id: string }[]).map((item) => [item.id, item]));
      for (const item of [...body[list].created, ...body[list].updated]) expect(held.get(item.id), `${list} ${item.id}`).toEqual(item);
      for (const id of body[list].deleted) expect(held.has(id), `${list} ${id} reported deleted`).toBe(false);
    }
  } else if (operation === "getClient") {
    expect(res.headers.get("etag")).toMatch(ETAG);
    expect(body.id).toBe(decodeURIComponent(path.split("/")[2]!.split("?")[0]!).toLowerCase());
  } else if (operation === "listClients") {
    const query = new URLSearchParams(path.split("?")[1] ?? "");
    const externalIds = query.getAll("externalId");
    if (externalIds.length === 1) for (const c of body.data) expect(c.externalId).toBe(externalIds[0]);
    const ids = body.data.map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(body.pagination.hasMore).toBe(body.pagination.nextCursor !== null);
  } else if (operation === "deleteClient") {
    expect((await read(body.id)).status).toBe(404);
  }
}

async function probe(method: string, path: string, env: string, extra: Record<string, string>, body?: Body, pick = 0) {
  const options: RequestOptions = { env, key: env === "live" ? liveKey : testKey, headers: extra };
  if (body) options.body = body.kind === "json" ? withIds(body.text, pick) : body.bytes;
  const target = withIds(path, pick);
  const res = await h.request(method, target, options);
  stats.add("junk requests");
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  if (res.status >= 500) {
    stats.add("answered 5xx");
    console.log(`[reliability] fuzz 5xx: ${method} ${path} ${JSON.stringify(extra)} ${body?.kind === "json" ? body.text.slice(0, 300) : "(bytes)"} → ${h.logs.at(-1)?.details?.error ? JSON.stringify(h.logs.at(-1)!.details.error).slice(0, 300) : res.text.slice(0, 200)}`);
  }
  expect(res.status, `${method} ${path} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.stats.rowsWritten, `${method} ${path} answered ${res.status} but wrote rows`).toBe(0);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    // A HEAD answer may carry no body (API.md §1: HEAD works wherever GET does).
    if (method !== "HEAD" || res.body !== null) {
      expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
      expect(validator.errorsOf("#/components/schemas/Problem", res.body), `${method} ${path}: a problem off the document`).toEqual([]);
    }
  } else if (res.status === 200) {
    await checkSuccess(method, target, options, res);
  }
  expectNoPollution();
}

const RUNS = { post: 400, get: 100, delete: 100, list: 100, any: 60 };
const run = (property: fc.IAsyncProperty<any>, numRuns: number) => fc.assert(property, { seed: SEED, numRuns, endOnFailure: false });

describe(`generated junk (fast-check, seed ${SEED}): never a 5xx, an error never writes`, () => {
  it(`POST /clients/batch × ${RUNS.post}`, { timeout: 120_000 }, async () => {
    await run(fc.asyncProperty(postOf(batchBody, cleanBatch), ([body, hs, env, pick]) => probe("POST", "/clients/batch", env, hs, body, pick)), RUNS.post);
  });

  it(`POST /clients/sync × ${RUNS.post}`, { timeout: 120_000 }, async () => {
    await run(fc.asyncProperty(postOf(syncBody, cleanSync), ([body, hs, env, pick]) => probe("POST", "/clients/sync", env, hs, body, pick)), RUNS.post);
  });

  it(`GET /clients?… × ${RUNS.list}`, { timeout: 60_000 }, async () => {
    await run(fc.asyncProperty(queryJunk, environment, (query, env) => probe("GET", `/clients${query}`, env, {})), RUNS.list);
  });

  it(`GET /clients/{junk} × ${RUNS.get}`, { timeout: 60_000 }, async () => {
    await run(fc.asyncProperty(pathJunk, environment, fc.nat(), (segment, env, pick) => probe("GET", `/clients/${segment}`, env, {}, undefined, pick)), RUNS.get);
  });

  it(`DELETE /clients/{junk} × ${RUNS.delete} (the seeded ids are never picked: their deletion would be a 200)`, { timeout: 60_000 }, async () => {
    const junk = pathJunk.filter((s) => s !== "$ID");
    await run(fc.asyncProperty(junk, environment, (segment, env) => probe("DELETE", `/clients/${segment}`, env, {})), RUNS.delete);
  });

  it(`any method on any path × ${RUNS.any}`, { timeout: 60_000 }, async () => {
    const method = fc.constantFrom("PUT", "PATCH", "OPTIONS", "HEAD", "POST", "DELETE", "GET");
    const junk = pathJunk.filter((s) => s !== "$ID");
    const path = fc.oneof(junk.map((s) => `/clients/${s}`), fc.constantFrom("/", "/clients", "/clients/", "/clients/batch/", "/clients//sync", "/CLIENTS", "/problems/%ZZ", "/problems/"), junk.map((s) => `/${s}`));
    await run(
      fc.asyncProperty(method, path, environment, (m, p, env) => probe(m, p, env, {}, m === "POST" || m === "PUT" || m === "PATCH" ? { kind: "json", text: "{}" } : undefined)),
      RUNS.any,
    );
  });

  it("the tenant's data is intact afterwards: the seeded graph is still there", async () => {
    const after = await snapshot(h, tenantId);
    const stored = new Set(after.test.rows.clients!.map((r) => (r as { id: string }).id));
    expect(stored.has(ids[0]!)).toBe(true);
    expect(after.test.rows.api_keys).toHaveLength(1);
    expect(after.live.rows.api_keys).toHaveLength(1);
  });
});
