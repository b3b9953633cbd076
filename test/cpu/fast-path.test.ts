// The validation fast path (src/schemas/fast-path.ts) changes nothing that is accepted or refused:
// on generated sync bodies and batch items, valid and invalid (every field drawn from values that pass
// and values that fail a rule, unknown keys, wrong types, `__proto__` keys, non-objects), the fast path
// accepts only what zod accepts, with the same output and key order; the routes' validation
// (fast path, else zod) answers exactly what zod's safeParse answers; and through HTTP the error
// pointers of refused bodies are zod's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientInput, parseClientInput } from "../../src/schemas/client";
import { fieldErrors } from "../../src/schemas/common";
import { fastPathOf, GIVE_UP } from "../../src/schemas/fast-path";
import { parseSyncRequest, syncRequest } from "../../src/schemas/requests";
import { createHarness } from "../support/harness";
import { clabe, curp, RFC_COMPANY, RFC_INDIVIDUAL, uniq } from "../sync/helpers";

const UUID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

/** A field's values: mostly ones that pass its rules, now and then one that breaks them. */
const field = (valid: unknown[], invalid: unknown[]) =>
  fc.oneof({ weight: 80, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });

const text = field(["abc", " padded ", "é😀 ok", "x".repeat(255)], ["", "   ", "\t\n", "a\u0000b", "x\uD800", "\uDC00y", "y".repeat(301), 42, true, null, [], {}]);
const uuid = field([UUID, UUID.toUpperCase()], ["0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", "not-a-uuid", "", 7, null]);
const country = field(["MX", "mx", "Us"], ["XX", "MEX", "", 1, null]);
const date = field(["1980-01-01", "2020-02-29", "1900-01-01", null], ["2021-02-29", "1899-12-31", "2999-01-01", "1980-1-1", "", 19800101]);
const bool = field([true, false], ["true", 0, null]);
const json = field(
  [{}, { a: 1, b: [1, "x", null], c: { d: true } }, JSON.parse('{"__proto__": {"x": 1}, "ok": 1}'), null],
  [{ big: "m".repeat(17 * 1024) }, JSON.parse(`{"deep": ${'{"a":'.repeat(70)}1${"}".repeat(70)}}`), [], "text", 5],
);
const size = field([0, 1024, Number.MAX_SAFE_INTEGER, null], [Number.MAX_SAFE_INTEGER + 2, -1, 1.5, "10"]);
const scopes = field([["base", "MX"], [], ["base", "MX:AV", "MX:CNBV:TRANSMISOR"], null], [["MX", "MX"], ["bogus"], "base"]);
const nationalities = field(["mx", ["MX", "us"], [], null], [["MX", "mx"], ["MX", "US", "ES", "FR", "DE", "IT", "PT", "BR", "AR", "CL", "CO"], "XX", 3]);
const rfc = field([RFC_INDIVIDUAL, RFC_INDIVIDUAL.toLowerCase(), RFC_COMPANY, null], ["ABC", "GOMA801301AB1", 5]);
const curpValue = field([curp(), curp().toLowerCase(), null], [curp().slice(0, 17) + "0", "X"]);
const clabeValue = field([clabe(), clabe("002", "180", 7), null], ["002180000000000010", "12345", 2]);
const digits3 = field(["002", "180", null], ["02", "abc"]);
const enumOf = (...values: string[]) => field(values, ["bogus", "", null, 1]);

/** An object of these fields, each present or not, plus now and then a key no schema knows. */
function object(fields: Record<string, fc.Arbitrary<unknown>>) {
  return fc
    .record(fields, { requiredKeys: [] })
    .chain((o) =>
      fc.oneof(
        { weight: 80, arbitrary: fc.constant(o) },
        { weight: 1, arbitrary: fc.constant({ ...o, bogus: 1 }) },
        { weight: 1, arbitrary: fc.constant(JSON.parse(`{"__proto__": 1${Object.keys(o).length > 0 ? "," : ""}${JSON.stringify(o).slice(1)}`)) },
      ),
    );
}
const orNot = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 80, arbitrary: a }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, "x", [], 3) });

const mxScopeData = object({
  rfc,
  curp: curpValue,
  actividadVulnerable: orNot(object({ ARI: fc.constant({}), AVI: object({ username: text }), VEH: field([{}], [{ x: 1 }]) })),
  cnbv: orNot(object({ TRANSMISOR: object({ numeroCuenta: text, claveSujetoObligado: text }) })),
});
const client = object({
  type: enumOf("individual", "company", "trust"),
  name: text,
  middleName: text,
  lastName: text,
  birthDate: date,
  nationalities,
  scopes,
  externalId: text,
  metadata: json,
  employment: orNot(object({ isEmployee: bool, employeeId: text, position: text, department: text, startDate: date })),
  scopeData: orNot(object({ MX: orNot(mxScopeData), US: json })),
});
const childKeys = { id: uuid, clientId: uuid, externalId: text, metadata: json, isPrimary: bool, _delete: bool };
const address = object({
  ...childKeys,
  type: enumOf("home", "business", "mailing", "legal", "other"),
  street: text,
  city: text,
  state: text,
  postalCode: text,
  country,
  scopeData: orNot(object({ MX: orNot(object({ exteriorNumber: text, neighborhood: text, cnbv: object({ TRANSMISOR: object({ localidad: text }) }) })), US: json })),
});
const contactMethod = object({ ...childKeys, type: enumOf("email", "phone", "mobile", "fax", "other"), value: text, label: text });
const bankAccount = object({
  ...childKeys,
  accountNumber: text,
  bankName: text,
  bankCode: text,
  country,
  currency: field(["MXN", "USD"], ["mxn", "US", null]),
  type: enumOf("checking", "savings", "investment", "other"),
  isActive: bool,
  label: text,
  clabe: clabeValue,
  codigoBanco: digits3,
  codigoPlaza: digits3,
});
const { isPrimary: _no, ...documentKeys } = childKeys;
const document = object({
  ...documentKeys,
  type: text,
  category: enumOf("identity", "tax", "address", "incorporation", "financial", "consent", "other"),
  expiresAt: date,
  fields: json,
  filename: text,
  contentType: enumOf("image/jpeg", "image/png", "image/webp", "application/pdf"),
  size,
});
const link = object({ clientId: uuid, child: orNot(client), relationshipType: enumOf("legal_representative", "controlling_beneficiary", "guarantor"), metadata: json, _delete: bool });
const list = (item: fc.Arbitrary<unknown>) => orNot(fc.array(item, { maxLength: 4 }));
const syncBody = fc.oneof(
  { weight: 20, arbitrary: object({ clientId: uuid, client: orNot(client), addresses: list(address), contactMethods: list(contactMethod), bankAccounts: list(bankAccount), documents: list(document), linkedClients: list(link), replaceMode: bool, dryRun: bool }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], "body", 5, { addresses: Array(251).fill({ street: "s" }) }) },
);

/** The same check as zod's, for one schema: the fast path accepts only what zod accepts, identically. */
function agrees(schema: typeof syncRequest | typeof clientInput, routeParse: (value: unknown) => { success: boolean; data?: unknown; error?: unknown }) {
  const fast = fastPathOf(schema);
  const counts = { accepted: 0, refused: 0, gaveUpOnValid: 0 };
  const check = (value: unknown) => {
    const byZod = schema.safeParse(value);
    const byFast = fast(value);
    const byRoute = routeParse(value);
    if (byFast !== GIVE_UP) {
      expect(byZod.success).toBe(true);
      expect(JSON.stringify(byFast)).toBe(JSON.stringify(byZod.data)); // same values, same key order
      expect(byFast).toEqual(byZod.data);
    } else if (byZod.success) counts.gaveUpOnValid++;
    expect(byRoute.success).toBe(byZod.success);
    if (byZod.success) {
      counts.accepted++;
      expect(JSON.stringify(byRoute.data)).toBe(JSON.stringify(byZod.data));
    } else {
      counts.refused++;
      expect(fieldErrors(byRoute.error as never)).toEqual(fieldErrors(byZod.error));
    }
  };
  return { check, counts };
}

describe("the validation fast path", () => {
  it("sync bodies: accepts only what zod accepts, with zod's output; the route's parse answers as zod does", () => {
    const { check, counts } = agrees(syncRequest, parseSyncRequest);
    fc.assert(fc.property(syncBody, (body) => check(JSON.parse(JSON.stringify(body) ?? "null"))), { numRuns: 3000 });
    // The generator must reach both sides, or the property says little.
    expect(counts.accepted).toBeGreaterThan(100);
    expect(counts.refused).toBeGreaterThan(100);
    expect(counts.gaveUpOnValid).toBe(0); // every node of these schemas is on the fast path
  });

  it("batch items: the same, for clientInput", () => {
    const { check, counts } = agrees(clientInput, parseClientInput);
    fc.assert(fc.property(client, (item) => check(JSON.parse(JSON.stringify(item)))), { numRuns: 3000 });
    expect(counts.accepted).toBeGreaterThan(100);
    expect(counts.refused).toBeGreaterThan(100);
  });

  it("values JSON cannot carry are zod's to judge (undefined members, NaN, a Date)", () => {
    const { check } = agrees(syncRequest, parseSyncRequest);
    check({ client: { name: undefined, type: "individual" } });
    check({ client: { name: "x", metadata: { n: NaN } } });
    check({ documents: [{ size: NaN }] });
    check({ client: { birthDate: new Date() } });
    check({ client: Object.create({ inherited: 1 }) });
  });
});

describe("error answers through HTTP", () => {
  const h = createHarness();
  it("a refused sync body answers zod's pointers", async () => {
    const { key } = await h.newTenantWithKey();
    const bodies = [
      { client: { type: "individual", name: " ", externalId: `x-${uniq()}`, bogus: 1 } },
      { client: { type: "robot", name: "A", scopeData: { MX: { rfc: "ABC" } } }, addresses: [{ street: "s", country: "XX" }] },
      { clientId: "nope", bankAccounts: [{ clabe: "123", codigoBanco: "1" }], documents: [{ size: -1 }] },
    ];
    for (const body of bodies) {
      const res = await h.post("/clients/sync", body, { key });
      expect(res.status, res.text).toBe(400);
      const zod = syncRequest.safeParse(body);
      expect(zod.success).toBe(false);
      const expected = fieldErrors(zod.error!);
      expect(expected.length).toBeGreaterThan(0);
      expect(res.body.errors).toEqual(expect.arrayContaining(expected));
    }
  });
});
