// The catch-all (issue 5, item 3): hundreds of generated junk requests at every endpoint — JSON
// shaped like the API's bodies with wrong values in every place, arbitrary JSON, mutated JSON
// text, random bytes and strings, junk query strings, ids and headers. Whatever comes in:
//   - the answer is never a 5xx;
//   - an error answer is a problem document carrying its request id, and writes no row.
// fast-check with a fixed seed (printed), so a failure replays exactly; it shrinks to the smallest
// failing request.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestOptions } from "../support/harness";
import { createHarness } from "../support/harness";
import { clabe, curp, RFC_INDIVIDUAL } from "../sync/helpers";
import { expectNoPollution, figures, snapshot } from "./support";

const h = createHarness();
const stats = figures("fuzz", ["junk requests", "answered 5xx"]);
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
  return text.replace(/\$ID/g, () => ids[n++ % ids.length]!);
}

async function probe(method: string, path: string, env: string, extra: Record<string, string>, body?: Body, pick = 0) {
  const options: RequestOptions = { env, key: env === "live" ? liveKey : testKey, headers: extra };
  if (body) options.body = body.kind === "json" ? withIds(body.text, pick) : body.bytes;
  const res = await h.request(method, withIds(path, pick), options);
  stats.add("junk requests");
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  if (res.status >= 500) {
    stats.add("answered 5xx");
    console.log(`[reliability] fuzz 5xx: ${method} ${path} ${JSON.stringify(extra)} ${body?.kind === "json" ? body.text.slice(0, 300) : "(bytes)"} → ${h.logs.at(-1)?.details?.error ? JSON.stringify(h.logs.at(-1)!.details.error).slice(0, 300) : res.text.slice(0, 200)}`);
  }
  expect(res.status, `${method} ${path} → ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
    expect(res.stats.rowsWritten, `${method} ${path} answered ${res.status} but wrote rows`).toBe(0);
  }
  expectNoPollution();
}

const RUNS = { post: 400, get: 100, delete: 100, list: 100, any: 60 };
const run = (property: fc.IAsyncProperty<any>, numRuns: number) => fc.assert(property, { seed: SEED, numRuns, endOnFailure: false });

describe(`generated junk (fast-check, seed ${SEED}): never a 5xx, an error never writes`, () => {
  it(`POST /clients/batch × ${RUNS.post}`, { timeout: 120_000 }, async () => {
    await run(fc.asyncProperty(bodyOf(batchBody), headers, environment, fc.nat(), (body, hs, env, pick) => probe("POST", "/clients/batch", env, hs, body, pick)), RUNS.post);
  });

  it(`POST /clients/sync × ${RUNS.post}`, { timeout: 120_000 }, async () => {
    await run(fc.asyncProperty(bodyOf(syncBody), headers, environment, fc.nat(), (body, hs, env, pick) => probe("POST", "/clients/sync", env, hs, body, pick)), RUNS.post);
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
