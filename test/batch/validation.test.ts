// POST /clients/batch — item validation exactly per API.md §4.1 (strict, every issue, JSON Pointers
// into /items/<i>/…), tested through HTTP. The validators module has its own table tests; here the
// point is that the API applies them, reports them at the right place, and stores what it accepted.
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import {
  BAD_CHECK_CURP,
  batch,
  curpWithCheckDigit,
  expectEqualToGet,
  expectProblem,
  minimal,
  pointers,
  today,
  tomorrow,
  VALID_CURP,
  xid,
} from "./fixtures";

const h = createHarness();

const s = (n: number, c = "a") => c.repeat(n);
const ELEVEN_COUNTRIES = ["MX", "US", "CA", "ES", "FR", "DE", "IT", "GB", "BR", "AR", "CL"];

/** Sends [valid item, `item`] so every pointer must carry index 1. `item` may be raw JSON text. */
async function sendSecond(item: unknown) {
  const { tenantId, key } = await h.newTenantWithKey();
  const itemJson = typeof item === "string" ? item : JSON.stringify(item);
  const text = `{"items":[${JSON.stringify(minimal({ externalId: xid() }))},${itemJson}]}`;
  const res = await h.post("/clients/batch", text, { key, headers: { "content-type": "application/json" } });
  return { res, tenantId, key };
}

const ind = (over: Record<string, unknown>) => ({ type: "individual", name: "Ana", ...over });
const com = (over: Record<string, unknown>) => ({ type: "company", name: "ACME", ...over });
const mx = (type: string, MX: Record<string, unknown>) => ({ type, name: "N", scopeData: { MX } });

// [case, item (object or raw JSON text), pointers under /items/1]
const REJECTED: [string, unknown, string[]][] = [
  // required keys
  ["missing type", { name: "Ana" }, ["/type"]],
  ["missing name", { type: "company" }, ["/name"]],
  ["missing type and name", {}, ["/name", "/type"]],
  ["missing name next to another bad field", { type: "individual", lastName: "  " }, ["/lastName", "/name"]],
  ["missing type next to an unknown key", { name: "Ana", nickname: "A" }, ["/nickname", "/type"]],
  ["null name", ind({ name: null }), ["/name"]],
  ["null type", { type: null, name: "Ana" }, ["/type"]],
  // blank and too-long strings
  ["empty name", ind({ name: "" }), ["/name"]],
  ["blank name", ind({ name: "  " }), ["/name"]],
  ["tab-and-space name", ind({ name: " \t\n " }), ["/name"]],
  ["blank middleName", ind({ middleName: "  " }), ["/middleName"]],
  ["blank lastName", ind({ lastName: "   " }), ["/lastName"]],
  ["blank externalId", ind({ externalId: "  " }), ["/externalId"]],
  ["name of 301", ind({ name: s(301) }), ["/name"]],
  ["middleName of 301", ind({ middleName: s(301) }), ["/middleName"]],
  ["lastName of 301", ind({ lastName: s(301) }), ["/lastName"]],
  ["externalId of 256", ind({ externalId: s(256) }), ["/externalId"]],
  ["name not a string", ind({ name: 42 }), ["/name"]],
  // enums
  ["unknown type", ind({ type: "person" }), ["/type"]],
  ["type in the wrong case", ind({ type: "Company" }), ["/type"]],
  // birthDate
  ["birthDate not real (2023-02-29)", ind({ birthDate: "2023-02-29" }), ["/birthDate"]],
  ["birthDate not real (month 13)", ind({ birthDate: "1990-13-01" }), ["/birthDate"]],
  ["birthDate not real (April 31)", ind({ birthDate: "1990-04-31" }), ["/birthDate"]],
  ["birthDate not YYYY-MM-DD", ind({ birthDate: "1990-1-1" }), ["/birthDate"]],
  ["birthDate with a time", ind({ birthDate: "1990-01-01T00:00:00Z" }), ["/birthDate"]],
  ["birthDate in the future", ind({ birthDate: tomorrow() }), ["/birthDate"]],
  ["birthDate before 1900", ind({ birthDate: "1899-12-31" }), ["/birthDate"]],
  // nationalities
  ["nationalities duplicated", ind({ nationalities: ["MX", "US", "MX"] }), ["/nationalities/2"]],
  ["nationalities duplicated after upper-casing", ind({ nationalities: ["MX", "mx"] }), ["/nationalities/1"]],
  ["nationalities > 10", ind({ nationalities: ELEVEN_COUNTRIES }), ["/nationalities"]],
  ["nationality unknown (single string)", ind({ nationalities: "XX" }), ["/nationalities"]],
  ["nationality alpha-3", ind({ nationalities: "MEX" }), ["/nationalities"]],
  ["nationality unknown in a list", ind({ nationalities: ["MX", "ZZ"] }), ["/nationalities/1"]],
  ["nationalities not a string", ind({ nationalities: 52 }), ["/nationalities"]],
  // scopes
  ["scope unknown", ind({ scopes: ["base", "MX:XX"] }), ["/scopes/1"]],
  ["scope in the wrong case", ind({ scopes: ["mx"] }), ["/scopes/0"]],
  ["scope duplicated", ind({ scopes: ["base", "MX", "base"] }), ["/scopes/2"]],
  ["scopes as a single string", ind({ scopes: "base" }), ["/scopes"]],
  // metadata
  ["metadata of 16 KiB + 1 byte", ind({ metadata: { a: s(16 * 1024 - 8 + 1, "x") } }), ["/metadata"]],
  ["metadata over 16 KiB in bytes, not chars", ind({ metadata: { a: s(8189, "é") } }), ["/metadata"]],
  ["metadata an array", ind({ metadata: [] }), ["/metadata"]],
  ["metadata a string", ind({ metadata: "x" }), ["/metadata"]],
  // RFC
  ["RFC structure (digit among the letters)", mx("individual", { rfc: "GOM1800101AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC structure (symbol in the homoclave)", mx("individual", { rfc: "GOMA800101A-1" }), ["/scopeData/MX/rfc"]],
  ["RFC date (month 13)", mx("individual", { rfc: "GOMA801301AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC date (Feb 30)", mx("company", { rfc: "ABC800230AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC of 12 on an individual", mx("individual", { rfc: "ABC800101AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC of 13 on a company", mx("company", { rfc: "GOMA800101AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC of 11 on a trust", mx("trust", { rfc: "AB800101AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC of 14 on a trust", mx("trust", { rfc: "GOMAS800101AB1" }), ["/scopeData/MX/rfc"]],
  ["RFC empty", mx("individual", { rfc: "" }), ["/scopeData/MX/rfc"]],
  ["RFC not a string", mx("individual", { rfc: 1234567890123 }), ["/scopeData/MX/rfc"]],
  // CURP
  ["CURP on a company", mx("company", { curp: VALID_CURP }), ["/scopeData/MX/curp"]],
  ["CURP on a trust", mx("trust", { curp: VALID_CURP }), ["/scopeData/MX/curp"]],
  ["CURP check digit", mx("individual", { curp: BAD_CHECK_CURP }), ["/scopeData/MX/curp"]],
  ["CURP date", mx("individual", { curp: curpWithCheckDigit("GOMA801301HDFRRN0") }), ["/scopeData/MX/curp"]],
  ["CURP structure (sex letter)", mx("individual", { curp: curpWithCheckDigit("GOMA800101ZDFRRN0") }), ["/scopeData/MX/curp"]],
  ["CURP structure (2nd letter not a vowel)", mx("individual", { curp: curpWithCheckDigit("GBMA800101HDFRRN0") }), ["/scopeData/MX/curp"]],
  ["CURP of 17", mx("individual", { curp: VALID_CURP.slice(0, 17) }), ["/scopeData/MX/curp"]],
  // scopeData: strict everywhere but US
  ["scopeData unknown region", ind({ scopeData: { CA: {} } }), ["/scopeData/CA"]],
  ["scopeData.MX unknown key", mx("individual", { foo: 1 }), ["/scopeData/MX/foo"]],
  ["scopeData.MX.actividadVulnerable unknown key", mx("individual", { actividadVulnerable: { XYZ: {} } }), ["/scopeData/MX/actividadVulnerable/XYZ"]],
  ["scopeData.MX.actividadVulnerable.ARI with a key", mx("individual", { actividadVulnerable: { ARI: { a: 1 } } }), ["/scopeData/MX/actividadVulnerable/ARI/a"]],
  ["scopeData.MX.actividadVulnerable.VEH not an object", mx("individual", { actividadVulnerable: { VEH: true } }), ["/scopeData/MX/actividadVulnerable/VEH"]],
  ["scopeData.MX.actividadVulnerable.AVI unknown key", mx("individual", { actividadVulnerable: { AVI: { user: "x" } } }), ["/scopeData/MX/actividadVulnerable/AVI/user"]],
  ["AVI.username of 256", mx("individual", { actividadVulnerable: { AVI: { username: s(256) } } }), ["/scopeData/MX/actividadVulnerable/AVI/username"]],
  ["AVI.username blank", mx("individual", { actividadVulnerable: { AVI: { username: " " } } }), ["/scopeData/MX/actividadVulnerable/AVI/username"]],
  ["scopeData.MX.cnbv unknown key", mx("individual", { cnbv: { OTHER: {} } }), ["/scopeData/MX/cnbv/OTHER"]],
  ["cnbv.TRANSMISOR unknown key", mx("individual", { cnbv: { TRANSMISOR: { cuenta: "1" } } }), ["/scopeData/MX/cnbv/TRANSMISOR/cuenta"]],
  ["cnbv.TRANSMISOR.numeroCuenta of 65", mx("individual", { cnbv: { TRANSMISOR: { numeroCuenta: s(65, "1") } } }), ["/scopeData/MX/cnbv/TRANSMISOR/numeroCuenta"]],
  ["cnbv.TRANSMISOR.claveSujetoObligado of 65", mx("individual", { cnbv: { TRANSMISOR: { claveSujetoObligado: s(65) } } }), ["/scopeData/MX/cnbv/TRANSMISOR/claveSujetoObligado"]],
  ["scopeData.US not an object", ind({ scopeData: { US: [1] } }), ["/scopeData/US"]],
  // employment
  ["employment unknown key", ind({ employment: { salary: 1 } }), ["/employment/salary"]],
  ["employment.startDate not real", ind({ employment: { startDate: "2021-02-29" } }), ["/employment/startDate"]],
  ["employment.isEmployee not a boolean", ind({ employment: { isEmployee: "yes" } }), ["/employment/isEmployee"]],
  ["employment.employeeId of 256", ind({ employment: { employeeId: s(256) } }), ["/employment/employeeId"]],
  ["employment.position blank", ind({ employment: { position: "  " } }), ["/employment/position"]],
  ["employment.department of 256", ind({ employment: { department: s(256) } }), ["/employment/department"]],
  ["employment an array", ind({ employment: [] }), ["/employment"]],
  // strings that cannot be stored exactly
  ["NUL in name", ind({ name: "An\u0000a" }), ["/name"]],
  ["NUL in externalId", ind({ externalId: "\u0000" }), ["/externalId"]],
  ["NUL in AVI.username", mx("individual", { actividadVulnerable: { AVI: { username: "a\u0000" } } }), ["/scopeData/MX/actividadVulnerable/AVI/username"]],
  ["lone high surrogate in lastName", ind({ lastName: "x\uD800y" }), ["/lastName"]],
  ["lone low surrogate in externalId", ind({ externalId: "x\uDC00" }), ["/externalId"]],
  ["reversed surrogate pair in name", ind({ name: "\uDE00\uD83D" }), ["/name"]],
  // unknown keys at item level
  ["unknown key", ind({ nickname: "A" }), ["/nickname"]],
  ["output-only key id", ind({ id: "00000000-0000-7000-8000-000000000000" }), ["/id"]],
  ["output-only key isPrimary", ind({ isPrimary: true }), ["/isPrimary"]],
  ["output-only key email", ind({ email: "a@b.co" }), ["/email"]],
  ["child list on a batch item", ind({ addresses: [] }), ["/addresses"]],
  ["key with / and ~ is escaped", ind({ "a/b~c": 1 }), ["/a~1b~0c"]],
  ["__proto__ key at item level", '{"type":"individual","name":"Ana","__proto__":{"isPrimary":false}}', ["/__proto__"]],
  ["constructor key at item level", ind({ constructor: {} }), ["/constructor"]],
  // not an object at all, and several issues at once
  ["item is a string", "\"Ana\"", [""]],
  ["item is null", "null", [""]],
  ["item is an array", "[]", [""]],
  [
    "every issue of one item",
    { type: "person", name: "", birthDate: "x", nationalities: ["MX", "MX"], scopes: ["nope"], extra: 1 },
    ["/birthDate", "/extra", "/name", "/nationalities/1", "/scopes/0", "/type"],
  ],
];

describe("POST /clients/batch — rejected items (400, pointer per issue)", () => {
  it.each(REJECTED)("%s", async (_case, item, expected) => {
    const { res, tenantId } = await sendSecond(item);
    expectProblem(res, 400, "BAD_REQUEST");
    expect(pointers(res.body)).toEqual(expected.map((p) => `/items/1${p}`).sort());
    // Atomic by default: the valid item 0 was not written either.
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("reports every failing item of a call, each at its own index", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await batch(h, key, {
      items: [minimal(), { name: "A" }, minimal(), minimal({ name: " " }), minimal({ scopes: ["x"] }), minimal()],
    });
    expectProblem(res, 400, "BAD_REQUEST");
    expect(pointers(res.body)).toEqual(["/items/1/type", "/items/3/name", "/items/4/scopes/0"]);
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });
});

// [case, item, expected (subset of the created client)]
const ACCEPTED: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ["name of 300", ind({ name: s(300) }), { name: s(300) }],
  ["middleName and lastName of 300", ind({ middleName: s(300, "m"), lastName: s(300, "l") }), { middleName: s(300, "m"), lastName: s(300, "l") }],
  ["externalId of 255 is stored as sent", ind({ externalId: `${"e".repeat(200)}${crypto.randomUUID()}`.slice(0, 255) }), {}],
  ["null optionals", ind({ middleName: null, lastName: null, birthDate: null, nationalities: null, scopes: null, externalId: null, metadata: null, employment: null, scopeData: null }),
    { middleName: null, lastName: null, birthDate: null, age: null, nationalities: [], scopes: [], externalId: null, metadata: {}, employment: null, scopeData: {} }],
  ["absent optionals", ind({}), { middleName: null, lastName: null, birthDate: null, age: null, nationalities: [], scopes: [], externalId: null, metadata: {}, employment: null, scopeData: {}, isPrimary: true, email: null, phone: null }],
  ["company type", com({}), { type: "company" }],
  ["trust type", { type: "trust", name: "Fideicomiso 1" }, { type: "trust" }],
  ["birthDate 1900-01-01", ind({ birthDate: "1900-01-01" }), { birthDate: "1900-01-01" }],
  ["birthDate today (age 0)", ind({ birthDate: today() }), { birthDate: today(), age: 0 }],
  ["birthDate on a leap day", ind({ birthDate: "2000-02-29" }), { birthDate: "2000-02-29" }],
  ["nationality as a single string → one-element list", ind({ nationalities: "MX" }), { nationalities: ["MX"] }],
  ["nationality single lower-case string → upper-cased list", ind({ nationalities: "mx" }), { nationalities: ["MX"] }],
  ["nationalities lower/mixed case → upper-cased, order kept", ind({ nationalities: ["us", "Mx", "ES"] }), { nationalities: ["US", "MX", "ES"] }],
  ["ten nationalities", ind({ nationalities: ELEVEN_COUNTRIES.slice(0, 10) }), { nationalities: ELEVEN_COUNTRIES.slice(0, 10) }],
  ["empty nationalities", ind({ nationalities: [] }), { nationalities: [] }],
  ["every scope, order kept", ind({ scopes: ["MX:CNBV:TRANSMISOR", "base", "MX", "MX:AV", "MX:AV:ARI", "MX:AV:AVI", "MX:AV:INM", "MX:AV:JYS", "MX:AV:MJR", "MX:AV:MPC", "MX:AV:TSC", "MX:AV:VEH", "MX:CNBV"] }),
    { scopes: ["MX:CNBV:TRANSMISOR", "base", "MX", "MX:AV", "MX:AV:ARI", "MX:AV:AVI", "MX:AV:INM", "MX:AV:JYS", "MX:AV:MJR", "MX:AV:MPC", "MX:AV:TSC", "MX:AV:VEH", "MX:CNBV"] }],
  ["metadata of exactly 16 KiB", ind({ metadata: { a: s(16 * 1024 - 8, "x") } }), { metadata: { a: s(16 * 1024 - 8, "x") } }],
  ["metadata of exactly 16 KiB in 2-byte chars", ind({ metadata: { a: s(8188, "é") } }), { metadata: { a: s(8188, "é") } }],
  ["metadata: any key, any depth", ind({ metadata: { "a/b": [1, { c: null }], constructor: "x", prototype: { toString: 1 }, "": true } }),
    { metadata: { "a/b": [1, { c: null }], constructor: "x", prototype: { toString: 1 }, "": true } }],
  ["RFC individual lower case → upper-cased", mx("individual", { rfc: "goma800101ab1" }), { scopeData: { MX: { rfc: "GOMA800101AB1" } } }],
  ["RFC individual with Ñ (lower-case ñ)", mx("individual", { rfc: "muño800101ab1" }), { scopeData: { MX: { rfc: "MUÑO800101AB1" } } }],
  ["RFC company with &", mx("company", { rfc: "a&c800101ab1" }), { scopeData: { MX: { rfc: "A&C800101AB1" } } }],
  ["RFC company with Ñ", mx("company", { rfc: "ÑAÑ800101AB1" }), { scopeData: { MX: { rfc: "ÑAÑ800101AB1" } } }],
  ["RFC company of 12 with a 2000 leap day", mx("company", { rfc: "ABC000229AB1" }), { scopeData: { MX: { rfc: "ABC000229AB1" } } }],
  ["RFC trust of 12", mx("trust", { rfc: "ABC800101AB1" }), { scopeData: { MX: { rfc: "ABC800101AB1" } } }],
  ["RFC trust of 13", mx("trust", { rfc: "GOMA800101AB1" }), { scopeData: { MX: { rfc: "GOMA800101AB1" } } }],
  ["CURP individual, lower case → upper-cased", mx("individual", { curp: VALID_CURP.toLowerCase() }), { scopeData: { MX: { curp: VALID_CURP } } }],
  ["RFC and CURP null on a company", mx("company", { rfc: null, curp: null }), { scopeData: { MX: { rfc: null, curp: null } } }],
  [
    "full scopeData.MX",
    mx("individual", {
      rfc: "GOMA800101AB1",
      curp: VALID_CURP,
      actividadVulnerable: { ARI: {}, AVI: { username: "ana" }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
      cnbv: { TRANSMISOR: { numeroCuenta: s(64, "1"), claveSujetoObligado: s(64, "C") } },
    }),
    {
      scopeData: {
        MX: {
          rfc: "GOMA800101AB1",
          curp: VALID_CURP,
          actividadVulnerable: { ARI: {}, AVI: { username: "ana" }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
          cnbv: { TRANSMISOR: { numeroCuenta: s(64, "1"), claveSujetoObligado: s(64, "C") } },
        },
      },
    },
  ],
  ["scopeData.US is free-form", ind({ scopeData: { US: { ssn: "123", any: { nested: [1, "x"] }, "weird key/~": null } } }),
    { scopeData: { US: { ssn: "123", any: { nested: [1, "x"] }, "weird key/~": null } } }],
  ["employment partial → every key, absent ones null", ind({ employment: { position: "CFO" } }),
    { employment: { isEmployee: null, employeeId: null, position: "CFO", department: null, startDate: null } }],
  ["employment full", ind({ employment: { isEmployee: true, employeeId: s(255, "9"), position: s(255, "p"), department: s(255, "d"), startDate: "2020-02-29" } }),
    { employment: { isEmployee: true, employeeId: s(255, "9"), position: s(255, "p"), department: s(255, "d"), startDate: "2020-02-29" } }],
  ["quotes, backslashes and control characters round-trip", ind({ name: `O'Brien "x" \\ \u0001\t`, lastName: "a\u2028b" }), { name: `O'Brien "x" \\ \u0001\t`, lastName: "a\u2028b" }],
  ["metadata (free-form, stored serialized) keeps NUL and lone surrogates exactly", ind({ metadata: { s: "\uD800", n: "a\u0000b", "\u0000k": 1 } }),
    { metadata: { s: "\uD800", n: "a\u0000b", "\u0000k": 1 } }],
  ["unicode (non-BMP) strings round-trip", ind({ name: "Ana 😀 Ñandú", lastName: "𝔊" }), { name: "Ana 😀 Ñandú", lastName: "𝔊" }],
];

describe("POST /clients/batch — accepted items are stored as normalized and round-trip", () => {
  it.each(ACCEPTED)("%s", async (_case, item, expected) => {
    const { tenantId, key } = await h.newTenantWithKey();
    // A fresh externalId unless the case sets its own (or is about absent keys).
    const body = { items: [Object.hasOwn(item, "externalId") || _case === "absent optionals" ? item : { ...item, externalId: xid() }] };
    const res = await batch(h, key, body);
    expect(res.status, res.text.slice(0, 2000)).toBe(200);
    const [client] = res.body.data;
    expect(client).toMatchObject(expected);
    expect(client.isPrimary).toBe(true);
    await expectEqualToGet(h, key, res.body.data);
    // What is stored is what was answered (normalized forms included).
    const [row] = await h.rows("test", clients, { tenantId });
    expect(row).toBeDefined();
    expect({
      type: row!.type, name: row!.name, middleName: row!.middleName, lastName: row!.lastName, nationalities: row!.nationalities,
      scopes: row!.scopes, externalId: row!.externalId, metadata: row!.metadata, birthDate: row!.birthDate, scopeData: row!.scopeData,
    }).toEqual({
      type: client.type, name: client.name, middleName: client.middleName, lastName: client.lastName, nationalities: client.nationalities,
      scopes: client.scopes, externalId: client.externalId, metadata: client.metadata, birthDate: client.birthDate, scopeData: client.scopeData,
    });
  });

  it("__proto__ inside metadata (and scopeData.US) is kept as a plain key and round-trips", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const externalId = xid();
    const text =
      `{"items":[{"type":"individual","name":"Ana","externalId":${JSON.stringify(externalId)},` +
      `"metadata":{"__proto__":{"polluted":true},"a":1},"scopeData":{"US":{"__proto__":{"x":[1]}}}}]}`;
    const res = await h.post("/clients/batch", text, { key, headers: { "content-type": "application/json" } });
    expect(res.status, res.text).toBe(200);
    const expectMeta = (meta: Record<string, unknown>) => {
      expect(Object.keys(meta)).toEqual(["__proto__", "a"]);
      expect(JSON.stringify(meta)).toBe('{"__proto__":{"polluted":true},"a":1}');
      expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    };
    expectMeta(res.body.data[0].metadata);
    expect(JSON.stringify(res.body.data[0].scopeData)).toBe('{"US":{"__proto__":{"x":[1]}}}');
    const get = await h.get(`/clients/${res.body.data[0].id}`, { key });
    expectMeta(get.body.metadata);
    expect(JSON.stringify(get.body.scopeData)).toBe('{"US":{"__proto__":{"x":[1]}}}');
    expect(res.text).toContain('"metadata":{"__proto__":{"polluted":true},"a":1}');
    const [row] = await h.rows("test", clients, { tenantId });
    expectMeta(row!.metadata);
    // Nothing got polluted along the way.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
