// Hostile input (issue 5, item 3): every malformed, mistyped, oversized, prototype-polluting,
// deeply nested, badly encoded or oddly labelled request is answered with the right 4xx problem
// and changes NOTHING — every row the tenant owns in BOTH databases, and every table's row count,
// are identical before and after. Inputs that are valid (SQL-looking strings, `__proto__` inside
// metadata, NaN-like strings, odd but legal header spellings) are stored and returned verbatim.
// The catch-all of generated junk is test/reliability/fuzz.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/body";
import type { ApiResponse } from "../support/harness";
import { createHarness } from "../support/harness";
import { expectNoPollution, expectProblem, figures, fill, snapshot } from "./support";

const h = createHarness();
const stats = figures("hostile-input", ["hostile inputs tried", "answered 5xx", "changed a database"]);
afterAll(() => stats.print());

type Path = "/clients/batch" | "/clients/sync";
const BATCH: Path = "/clients/batch";
const SYNC: Path = "/clients/sync";

interface Refused {
  name: string;
  path: Path;
  /** JSON text ($CLIENT is replaced by the seeded client's id), raw bytes, or a stream factory. */
  body: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  status: number;
  code: string;
  /** A pointer that one of `errors` must have. */
  pointer?: string;
  headers?: Record<string, string>;
  /** Send no Content-Type at all (bytes, so that Request adds none either). */
  noContentType?: boolean;
}

// The tenant every refused request is sent for: a graph in the test database, one client in live.
let tenantId = "";
let testKey = "";
let liveKey = "";
let clientId = "";
let liveClientId = "";

beforeAll(async () => {
  tenantId = h.newTenant();
  testKey = await h.createKey({ env: "test", tenantId });
  liveKey = await h.createKey({ env: "live", tenantId });
  const client = await h.seedClient("test", tenantId, { externalId: "seed", metadata: { k: 1 } });
  const other = await h.seedClient("test", tenantId, { externalId: "seed-2", isPrimary: false });
  await h.seedAddress("test", client, { externalId: "a1" });
  await h.seedContactMethod("test", client, { externalId: "c1" });
  await h.seedBankAccount("test", client, { externalId: "b1" });
  await h.seedDocument("test", client, { externalId: "d1" });
  await h.seedLink("test", client, other);
  clientId = client.id;
  liveClientId = (await h.seedClient("live", tenantId, { externalId: "seed" })).id;
});

/** JSON text of a value; `"<<raw>>"` strings become the raw JSON text `raw` (1e400, -0, …). */
const json = (value: unknown) => JSON.stringify(value).replace(/"<<(.*?)>>"/g, "$1");

/** Sends a refused case and checks the answer, the pointer, and that nothing changed anywhere. */
async function expectRefused(c: Refused) {
  const before = await snapshot(h, tenantId);
  const body = typeof c.body === "string" ? fill(c.body, { CLIENT: clientId }) : typeof c.body === "function" ? c.body() : c.body;
  const headers = c.noContentType ? { ...c.headers } : { "content-type": "application/json", ...c.headers };
  const res = await h.post(c.path, body, { key: testKey, headers });
  stats.add("hostile inputs tried");
  if (res.status >= 500) stats.add("answered 5xx");
  expectProblem(res, c.status, c.code);
  if (c.pointer !== undefined) {
    const pointers = (res.body.errors ?? []).map((e: { pointer: string }) => e.pointer);
    // The issue is reported at that place or below it (e.g. /items/0/nationalities/0).
    const at = pointers.filter((p: string) => p === c.pointer || p.startsWith(`${c.pointer}/`));
    expect(at, `${c.pointer} in ${JSON.stringify(res.body.errors)}`).not.toEqual([]);
  }
  expect(res.stats.rowsWritten).toBe(0);
  const after = await snapshot(h, tenantId);
  if (JSON.stringify(after) !== JSON.stringify(before)) stats.add("changed a database");
  expect(after).toEqual(before);
  expectNoPollution();
  return res;
}

const both = (name: string, body: string, status: number, code: string, extra: Partial<Refused> = {}): Refused[] => [
  { name: `batch: ${name}`, path: BATCH, body, status, code, ...extra },
  { name: `sync: ${name}`, path: SYNC, body, status, code, ...extra },
];
const bad = (name: string, path: Path, body: string, pointer?: string): Refused => ({ name, path, body, status: 400, code: "BAD_REQUEST", pointer });

// ------------------------------------------------------------------------------------------------
// Malformed and truncated JSON
// ------------------------------------------------------------------------------------------------

const MALFORMED: [string, string][] = [
  ["a lone brace", "{"],
  ["truncated list", '{"items": ['],
  ["truncated valid body", '{"items":[{"type":"individual","name":"A"}]'],
  ["truncated string", '{"items":[{"type":"individual","name":"A'],
  ["single quotes", "{'items': []}"],
  ["unquoted key", "{items: []}"],
  ["trailing comma in object", '{"items":[{"type":"individual","name":"A"}],}'],
  ["trailing comma in list", '{"items":[{"type":"individual","name":"A"},]}'],
  ["NaN", "NaN"],
  ["NaN in a list", '{"items":[NaN]}'],
  ["Infinity", '{"items":Infinity}'],
  ["undefined", "undefined"],
  ["a comment", '// c\n{"items":[]}'],
  ["two documents", "{}{}"],
  ["trailing garbage", '{"items":[]} x'],
  ["empty body", ""],
  ["only spaces", "   \n\t "],
  ["raw newline inside a string", '{"client":{"type":"individual","name":"A\nB"}}'],
  ["raw tab inside a string", '{"client":{"type":"individual","name":"A\tB"}}'],
  ["invalid escape", '{"client":{"type":"individual","name":"\\x41"}}'],
  ["truncated unicode escape", '{"client":{"type":"individual","name":"\\u12"}}'],
  ["leading zero", '{"items":01}'],
  ["bare fraction", '{"items":.5}'],
  ["explicit plus", '{"items":+1}'],
  ["a lone minus", '{"items":-}'],
  ["unclosed deep list", '{"items":' + "[".repeat(1000)],
  ["a raw NUL byte between tokens", '{"items":\u0000[]}'],
  ["a raw NUL byte inside a string", '{"client":{"type":"individual","name":"A\u0000B"}}'],
  ["a byte order mark alone", "\uFEFF"],
];

// ------------------------------------------------------------------------------------------------
// Wrong types at every level
// ------------------------------------------------------------------------------------------------

const TOP_LEVEL: [string, string][] = [
  ["top-level array", "[]"],
  ["top-level array of a valid item", '[{"type":"individual","name":"A"}]'],
  ["top-level string", '"items"'],
  ["top-level JSON inside a string", JSON.stringify(JSON.stringify({ items: [{ type: "individual", name: "A" }] }))],
  ["top-level number", "42"],
  ["top-level null", "null"],
  ["top-level true", "true"],
];

/** A wrong value for every key of a client (each: the value, and whether it is a number in a string's place). */
const CLIENT_WRONG: Record<string, unknown[]> = {
  type: [1, true, null, [], {}, "person", "INDIVIDUAL"],
  name: [1, 1.5, "<<1e400>>", "<<-0>>", true, null, [], {}, ["A"], "", "   "],
  middleName: [1, false, [], {}, ""],
  lastName: [1, false, [], {}, " "],
  birthDate: [19800101, true, [], {}, "1980-02-30", "01/01/1980", "1980-1-1", "1899-12-31", "3000-01-01"],
  nationalities: [1, true, {}, [1], ["XX"], [null], "MEX", ["MX", "mx"], Array.from({ length: 11 }, (_, i) => ["MX", "US", "ES", "FR", "DE", "IT", "GB", "BR", "AR", "CL", "PE"][i])],
  scopes: [1, true, {}, "base", [1], ["nope"], ["base", "base"], [null]],
  externalId: [1, "<<1e400>>", true, [], {}, "", "x".repeat(256)],
  metadata: [1, true, [], "x", "{}", [{}]],
  employment: [1, true, [], "x", { isEmployee: "yes" }, { startDate: 1 }, { startDate: "2020-13-01" }, { position: 5 }, { employeeId: [] }, { boss: "x" }],
  scopeData: [
    1, true, [], "x",
    { MX: 1 }, { MX: [] }, { MX: "x" }, { MX: { rfc: 1 } }, { MX: { rfc: "x" } }, { MX: { curp: true } }, { MX: { curp: "x" } },
    { MX: { actividadVulnerable: [] } }, { MX: { actividadVulnerable: { ARI: 1 } } }, { MX: { actividadVulnerable: { ARI: { x: 1 } } } },
    { MX: { actividadVulnerable: { AVI: { username: 5 } } } }, { MX: { actividadVulnerable: { AVI: [] } } }, { MX: { actividadVulnerable: { XYZ: {} } } },
    { MX: { cnbv: 1 } }, { MX: { cnbv: { TRANSMISOR: "x" } } }, { MX: { cnbv: { TRANSMISOR: { numeroCuenta: 1 } } } },
    { MX: { cnbv: { TRANSMISOR: { claveSujetoObligado: "x".repeat(65) } } } },
    { US: [] }, { US: "x" }, { US: 1 }, { US: null }, { CA: {} },
  ],
};

function clientWrongTypes(): Refused[] {
  const out: Refused[] = [];
  for (const [key, values] of Object.entries(CLIENT_WRONG)) {
    values.forEach((value, i) => {
      const label = `client.${key} = ${json(value).slice(0, 60)} (#${i})`;
      out.push(bad(`batch: ${label}`, BATCH, json({ items: [{ type: "individual", name: "A", [key]: value }] }), `/items/0/${key}`));
      out.push(bad(`sync: ${label}`, SYNC, json({ client: { type: "individual", name: "A", [key]: value } }), `/client/${key}`));
      out.push(bad(`sync update: ${label}`, SYNC, json({ clientId: "$CLIENT", client: { [key]: value } }), `/client/${key}`));
    });
  }
  return out;
}

const BATCH_ENVELOPE: [string, unknown, string][] = [
  ["items is an object", { items: {} }, "/items"],
  ["items is an object of items", { items: { 0: { type: "individual", name: "A" } } }, "/items"],
  ["items is a string", { items: "x" }, "/items"],
  ["items is a number", { items: 1 }, "/items"],
  ["items is null", { items: null }, "/items"],
  ["items is true", { items: true }, "/items"],
  ["items is empty", { items: [] }, "/items"],
  ["items is missing", {}, "/items"],
  ["only atomic", { atomic: true }, "/items"],
  ["an item is null", { items: [null] }, "/items/0"],
  ["an item is a number", { items: [1] }, "/items/0"],
  ["an item is a list", { items: [[]] }, "/items/0"],
  ["an item is a string", { items: ["x"] }, "/items/0"],
  ["atomic is a string", { items: [{ type: "individual", name: "A" }], atomic: "true" }, "/atomic"],
  ["atomic is a number", { items: [{ type: "individual", name: "A" }], atomic: 1 }, "/atomic"],
  ["atomic is null", { items: [{ type: "individual", name: "A" }], atomic: null }, "/atomic"],
];

const CHILD_BASE: Record<string, Record<string, unknown>> = {
  addresses: { street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX" },
  contactMethods: { value: "a@b.co" },
  bankAccounts: { accountNumber: "1", bankName: "B", currency: "MXN" },
  documents: { type: "ine" },
  linkedClients: { child: { type: "individual", name: "Rep" } },
};

const CHILD_WRONG: Record<string, Record<string, unknown[]>> = {
  addresses: {
    street: [1, [], {}, ""], city: [[]], state: [{}], postalCode: [12345, "<<1e400>>"], country: [1, "XX", []], type: ["castle", 1],
    isPrimary: ["true", 1, null], externalId: [1, ""], metadata: [[], "x"], id: [1, "not-a-uuid"], clientId: [1, "x"], _delete: ["true", 1],
    scopeData: [1, [], { MX: 1 }, { MX: { exteriorNumber: 1 } }, { MX: { cnbv: { TRANSMISOR: { localidad: 1 } } } }, { MX: { cnbv: [] } }, { US: [] }, { CA: {} }],
  },
  contactMethods: { value: [1, [], "", "x".repeat(321)], type: [1, "pigeon"], isPrimary: [1], label: [{}], metadata: ["x"], externalId: [[]], _delete: [1] },
  bankAccounts: {
    accountNumber: [1234, "x".repeat(35)], bankName: [true], currency: [1, "mx", "MXNN"], isActive: ["yes"], isPrimary: ["no"],
    clabe: ["<<123456789012345678>>", "12345", "002180000000000001"], type: ["piggy"], country: [[]], codigoBanco: [2, "1234"], codigoPlaza: [[]],
  },
  documents: {
    type: [1, ""], category: ["x", 1], size: ["1", -1, 1.5, "<<1e400>>", "<<1e20>>", "<<9007199254740993>>", "NaN"], expiresAt: [1, "2020-02-30"],
    fields: [[], "x", 1], contentType: ["text/html", 1], filename: [1, ""], status: ["verified"], verifiedAt: ["2020-01-01T00:00:00.000Z"],
  },
  linkedClients: {
    clientId: [1, "x"], child: [[], "x", { name: 1 }, { type: "individual", name: "R", scopeData: { MX: 1 } }, { type: "individual", name: "R", nope: 1 }],
    relationshipType: [1, "boss"], metadata: [[], 1], _delete: ["yes"],
  },
};

function childWrongTypes(): Refused[] {
  const out: Refused[] = [];
  for (const [list, base] of Object.entries(CHILD_BASE)) {
    for (const value of [{}, { 0: base }, "x", 1, true]) {
      out.push(bad(`sync: ${list} as ${json(value).slice(0, 40)}`, SYNC, json({ clientId: "$CLIENT", [list]: value }), `/${list}`));
    }
    for (const value of [1, null, [], "x", [base]]) {
      out.push(bad(`sync: ${list}[0] = ${json(value).slice(0, 40)}`, SYNC, json({ clientId: "$CLIENT", [list]: [value] }), `/${list}/0`));
    }
    for (const [key, values] of Object.entries(CHILD_WRONG[list]!)) {
      values.forEach((value, i) => {
        out.push(
          bad(`sync: ${list}[0].${key} = ${json(value).slice(0, 50)} (#${i})`, SYNC, json({ clientId: "$CLIENT", [list]: [{ ...base, [key]: value }] }), `/${list}/0/${key}`),
        );
      });
    }
  }
  return out;
}

const SYNC_ENVELOPE: [string, unknown, string][] = [
  ["clientId is a number", { clientId: 1 }, "/clientId"],
  ["clientId is not a UUID", { clientId: "nope" }, "/clientId"],
  ["clientId is null", { clientId: null }, "/clientId"],
  ["clientId is a list", { clientId: ["$CLIENT"] }, "/clientId"],
  ["client is a list", { client: [] }, "/client"],
  ["client is a string", { client: "x" }, "/client"],
  ["client is a number", { client: 1 }, "/client"],
  ["replaceMode is a string", { clientId: "$CLIENT", replaceMode: "true" }, "/replaceMode"],
  ["dryRun is a number", { clientId: "$CLIENT", dryRun: 1 }, "/dryRun"],
  ["dryRun is null", { clientId: "$CLIENT", dryRun: null }, "/dryRun"],
];

// ------------------------------------------------------------------------------------------------
// __proto__, constructor, prototype at every strict level
// ------------------------------------------------------------------------------------------------

const PROTO_KEYS = ["__proto__", "constructor", "prototype"];
const POLLUTE = '{"polluted":"yes","isAdmin":true}';

/** [name, endpoint, JSON text with K standing for the key, pointer with K]. */
const STRICT_LEVELS: [string, Path, string, string][] = [
  ["batch body", BATCH, '{"items":[{"type":"individual","name":"A"}],"K":P}', "/K"],
  ["batch item", BATCH, '{"items":[{"type":"individual","name":"A","K":P}]}', "/items/0/K"],
  ["batch item.employment", BATCH, '{"items":[{"type":"individual","name":"A","employment":{"K":P}}]}', "/items/0/employment/K"],
  ["batch item.scopeData", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"K":P}}]}', "/items/0/scopeData/K"],
  ["batch item.scopeData.MX", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"K":P}}}]}', "/items/0/scopeData/MX/K"],
  ["batch item.scopeData.MX.actividadVulnerable", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"actividadVulnerable":{"K":P}}}}]}', "/items/0/scopeData/MX/actividadVulnerable/K"],
  ["batch item.scopeData.MX.actividadVulnerable.ARI", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"actividadVulnerable":{"ARI":{"K":P}}}}}]}', "/items/0/scopeData/MX/actividadVulnerable/ARI/K"],
  ["batch item.scopeData.MX.actividadVulnerable.AVI", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"actividadVulnerable":{"AVI":{"K":P}}}}}]}', "/items/0/scopeData/MX/actividadVulnerable/AVI/K"],
  ["batch item.scopeData.MX.cnbv", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"cnbv":{"K":P}}}}]}', "/items/0/scopeData/MX/cnbv/K"],
  ["batch item.scopeData.MX.cnbv.TRANSMISOR", BATCH, '{"items":[{"type":"individual","name":"A","scopeData":{"MX":{"cnbv":{"TRANSMISOR":{"K":P}}}}}]}', "/items/0/scopeData/MX/cnbv/TRANSMISOR/K"],
  ["sync body", SYNC, '{"client":{"type":"individual","name":"A"},"K":P}', "/K"],
  ["sync client", SYNC, '{"client":{"type":"individual","name":"A","K":P}}', "/client/K"],
  ["sync client.scopeData.MX", SYNC, '{"clientId":"$CLIENT","client":{"scopeData":{"MX":{"K":P}}}}', "/client/scopeData/MX/K"],
  ["sync address", SYNC, '{"clientId":"$CLIENT","addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600","K":P}]}', "/addresses/0/K"],
  ["sync address.scopeData", SYNC, '{"clientId":"$CLIENT","addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600","scopeData":{"K":P}}]}', "/addresses/0/scopeData/K"],
  ["sync address.scopeData.MX", SYNC, '{"clientId":"$CLIENT","addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600","scopeData":{"MX":{"K":P}}}]}', "/addresses/0/scopeData/MX/K"],
  ["sync address.scopeData.MX.cnbv.TRANSMISOR", SYNC, '{"clientId":"$CLIENT","addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600","scopeData":{"MX":{"cnbv":{"TRANSMISOR":{"K":P}}}}}]}', "/addresses/0/scopeData/MX/cnbv/TRANSMISOR/K"],
  ["sync contact method", SYNC, '{"clientId":"$CLIENT","contactMethods":[{"value":"a@b.co","K":P}]}', "/contactMethods/0/K"],
  ["sync bank account", SYNC, '{"clientId":"$CLIENT","bankAccounts":[{"accountNumber":"1","bankName":"B","currency":"MXN","K":P}]}', "/bankAccounts/0/K"],
  ["sync document", SYNC, '{"clientId":"$CLIENT","documents":[{"type":"ine","K":P}]}', "/documents/0/K"],
  ["sync link", SYNC, '{"clientId":"$CLIENT","linkedClients":[{"child":{"type":"individual","name":"R"},"K":P}]}', "/linkedClients/0/K"],
  ["sync link.child", SYNC, '{"clientId":"$CLIENT","linkedClients":[{"child":{"type":"individual","name":"R","K":P}}]}', "/linkedClients/0/child/K"],
  ["sync link.child.employment", SYNC, '{"clientId":"$CLIENT","linkedClients":[{"child":{"type":"individual","name":"R","employment":{"K":P}}}]}', "/linkedClients/0/child/employment/K"],
];

function protoCases(): Refused[] {
  return STRICT_LEVELS.flatMap(([level, path, template, ptr]) =>
    PROTO_KEYS.map((key) => bad(`${level}: "${key}" key`, path, template.replace("K", key).replace("P", POLLUTE), ptr.replace("K", key))),
  );
}

// ------------------------------------------------------------------------------------------------
// Deep nesting, sizes, list lengths
// ------------------------------------------------------------------------------------------------

const DEPTH = 10_000;
const deepArrays = (n = DEPTH) => "[".repeat(n) + "]".repeat(n);
const deepObjects = (n = DEPTH) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

function deepCases(): Refused[] {
  return [
    ...both(`${DEPTH} nested lists at the top level`, deepArrays(), 400, "BAD_REQUEST"),
    ...both(`${DEPTH} nested objects at the top level`, deepObjects(), 400, "BAD_REQUEST", { pointer: "/a" }),
    bad(`batch: items of ${DEPTH} nested lists`, BATCH, `{"items":${deepArrays()}}`, "/items/0"),
    bad(`batch: an item of ${DEPTH} nested objects`, BATCH, `{"items":[${deepObjects()}]}`, "/items/0/a"),
    // 10,000 levels serialize to more than the 16 KiB metadata cap.
    bad(`batch: metadata of ${DEPTH} nested objects (over 16 KiB)`, BATCH, `{"items":[{"type":"individual","name":"A","metadata":${deepObjects()}}]}`, "/items/0/metadata"),
    bad(`sync: metadata of ${DEPTH} nested lists (over 16 KiB)`, SYNC, `{"client":{"type":"individual","name":"A","metadata":{"a":${deepArrays()}}}}`, "/client/metadata"),
    bad(`sync: scopeData.MX of ${DEPTH} nested objects`, SYNC, `{"client":{"type":"individual","name":"A","scopeData":{"MX":${deepObjects()}}}}`, "/client/scopeData/MX/a"),
    bad(`sync: an address of ${DEPTH} nested objects`, SYNC, `{"clientId":"$CLIENT","addresses":[${deepObjects()}]}`, "/addresses/0/a"),
    bad("batch: items of 2,000,000 nested lists (4 MB)", BATCH, `{"items":${deepArrays(2_000_000)}}`, "/items/0"),
    bad("batch: metadata of 1,000,000 nested lists (2 MB)", BATCH, `{"items":[{"type":"individual","name":"A","metadata":{"a":${deepArrays(1_000_000)}}}]}`, "/items/0/metadata"),
    bad("sync: document fields of 1,000,000 nested lists (2 MB)", SYNC, `{"clientId":"$CLIENT","documents":[{"fields":{"a":${deepArrays(1_000_000)}}}]}`, "/documents/0/fields"),
    bad(`sync: a link child of ${DEPTH} nested objects`, SYNC, `{"clientId":"$CLIENT","linkedClients":[{"child":${deepObjects()}}]}`, "/linkedClients/0/child/a"),
  ];
}

const MIB = 1024 * 1024;

function streamOf(head: string, chunks: number, chunkBytes = MIB) {
  const encoder = new TextEncoder();
  const chunk = encoder.encode("x".repeat(chunkBytes));
  return () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(head));
      },
      pull(controller) {
        if (sent++ < chunks) controller.enqueue(chunk);
        else controller.close();
      },
    });
  };
}

function sizeCases(): Refused[] {
  const over = `{"items":[{"type":"individual","name":"A","metadata":{"pad":"${"x".repeat(MAX_BODY_BYTES)}"}}]}`;
  const syncOver = `{"client":{"type":"individual","name":"A","metadata":{"pad":"${"x".repeat(MAX_BODY_BYTES)}"}}}`;
  // One byte over: exactly MAX_BODY_BYTES + 1 bytes of (otherwise valid) JSON.
  const onePast = (head: string, tail: string) => head + " ".repeat(MAX_BODY_BYTES + 1 - head.length - tail.length) + tail;
  const valid = '{"items":[{"type":"individual","name":"A"}]';
  return [
    { name: "batch: over 5 MiB with Content-Length", path: BATCH, body: over, status: 413, code: "PAYLOAD_TOO_LARGE", headers: { "content-length": String(over.length) } },
    { name: "sync: over 5 MiB with Content-Length", path: SYNC, body: syncOver, status: 413, code: "PAYLOAD_TOO_LARGE", headers: { "content-length": String(syncOver.length) } },
    { name: "batch: over 5 MiB streamed, no Content-Length", path: BATCH, body: streamOf('{"items":[{"type":"individual","name":"A","metadata":{"pad":"', 6), status: 413, code: "PAYLOAD_TOO_LARGE" },
    { name: "sync: over 5 MiB streamed, no Content-Length", path: SYNC, body: streamOf('{"client":{"type":"individual","name":"A","metadata":{"pad":"', 6), status: 413, code: "PAYLOAD_TOO_LARGE" },
    { name: "batch: over 5 MiB streamed in small chunks", path: BATCH, body: streamOf('{"pad":"', 5 * 64 + 1, 16 * 1024), status: 413, code: "PAYLOAD_TOO_LARGE" },
    { name: "batch: a valid body one byte past 5 MiB", path: BATCH, body: onePast(valid, "}"), status: 413, code: "PAYLOAD_TOO_LARGE" },
    { name: "sync: a valid body one byte past 5 MiB", path: SYNC, body: onePast('{"client":{"type":"individual","name":"A"}', "}"), status: 413, code: "PAYLOAD_TOO_LARGE" },
  ];
}

function tooManyItems(): Refused[] {
  const out: Refused[] = [
    bad("batch: 251 items", BATCH, json({ items: Array.from({ length: 251 }, (_, i) => ({ type: "individual", name: `N${i}` })) }), "/items"),
  ];
  for (const [list, base] of Object.entries(CHILD_BASE)) {
    out.push(bad(`sync: 251 ${list}`, SYNC, json({ clientId: "$CLIENT", [list]: Array.from({ length: 251 }, () => base) }), `/${list}`));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// NUL, lone surrogates, invalid UTF-8
// ------------------------------------------------------------------------------------------------

const encoder = new TextEncoder();
/** A JSON body whose `name` holds raw bytes (spliced in after encoding). */
function withRawBytes(path: Path, raw: number[]): Uint8Array {
  const [head, tail] = (path === BATCH ? '{"items":[{"type":"individual","name":"A@B"}]}' : '{"client":{"type":"individual","name":"A@B"}}').split("@");
  return new Uint8Array([...encoder.encode(head), ...raw, ...encoder.encode(tail)]);
}

const INVALID_UTF8: [string, number[]][] = [
  ["0xFF", [0xff]],
  ["0xFE 0xFF", [0xfe, 0xff]],
  ["a lone continuation byte", [0x80]],
  ["an overlong '/'", [0xc0, 0xaf]],
  ["a truncated 3-byte sequence", [0xe2, 0x82]],
  ["a CESU-8 surrogate (U+D800)", [0xed, 0xa0, 0x80]],
  ["a code point past U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ["Latin-1 é", [0xe9]],
];

function encodingCases(): Refused[] {
  const out: Refused[] = [];
  const strings: [string, string][] = [
    ["an escaped NUL", "A\\u0000B"],
    ["an escaped lone high surrogate", "A\\ud800B"],
    ["an escaped lone low surrogate", "A\\udc00B"],
    ["escaped surrogates in the wrong order", "\\udc00\\ud800"],
    ["a high surrogate at the end", "AB\\udbff"],
  ];
  for (const [label, escaped] of strings) {
    out.push(bad(`batch: name with ${label}`, BATCH, `{"items":[{"type":"individual","name":"${escaped}"}]}`, "/items/0/name"));
    out.push(bad(`batch: externalId with ${label}`, BATCH, `{"items":[{"type":"individual","name":"A","externalId":"${escaped}"}]}`, "/items/0/externalId"));
    out.push(bad(`sync: client name with ${label}`, SYNC, `{"client":{"type":"individual","name":"${escaped}"}}`, "/client/name"));
    out.push(bad(`sync: address street with ${label}`, SYNC, `{"clientId":"$CLIENT","addresses":[{"street":"${escaped}","city":"C","state":"S","postalCode":"06600"}]}`, "/addresses/0/street"));
    out.push(bad(`sync: contact value with ${label}`, SYNC, `{"clientId":"$CLIENT","contactMethods":[{"value":"${escaped}"}]}`, "/contactMethods/0/value"));
    out.push(bad(`sync: document externalId with ${label}`, SYNC, `{"clientId":"$CLIENT","documents":[{"externalId":"${escaped}"}]}`, "/documents/0/externalId"));
    out.push(bad(`sync: scopeData.MX.rfc with ${label}`, SYNC, `{"clientId":"$CLIENT","client":{"scopeData":{"MX":{"rfc":"${escaped}"}}}}`, "/client/scopeData/MX/rfc"));
  }
  for (const [label, raw] of INVALID_UTF8) {
    for (const path of [BATCH, SYNC]) {
      out.push({ name: `${path === BATCH ? "batch" : "sync"}: raw invalid UTF-8 (${label})`, path, body: withRawBytes(path, raw), status: 400, code: "BAD_REQUEST" });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Content-Type
// ------------------------------------------------------------------------------------------------

const VALID_BATCH = json({ items: [{ type: "individual", name: "A" }] });
const VALID_SYNC = json({ client: { type: "individual", name: "A" } });

const WRONG_CONTENT_TYPES: [string, string | null][] = [
  ["text/plain", "text/plain"],
  ["text/plain with charset", "text/plain; charset=utf-8"],
  ["a form", "application/x-www-form-urlencoded"],
  ["multipart", "multipart/form-data; boundary=xyz"],
  ["XML", "application/xml"],
  ["text/json (not a registered JSON type)", "text/json"],
  ["application/jsonx", "application/jsonx"],
  ["application/json-seq (not +json)", "application/json-seq"],
  ["an empty Content-Type", ""],
  ["no Content-Type", null],
  ["two Content-Type values (combined into one list)", "application/json, text/plain"],
  ["octet-stream", "application/octet-stream"],
];

function contentTypeCases(): Refused[] {
  return WRONG_CONTENT_TYPES.flatMap(([label, type]) =>
    [BATCH, SYNC].map((path): Refused => {
      const name = `${path === BATCH ? "batch" : "sync"}: Content-Type ${label}`;
      const body = path === BATCH ? VALID_BATCH : VALID_SYNC;
      // The harness sets application/json by default; `null` drops it by sending bytes with no type.
      const headers: Record<string, string> = type === null ? {} : { "content-type": type };
      return { name, path, body: type === null ? encoder.encode(body) : body, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", headers, noContentType: type === null };
    }),
  );
}

// ------------------------------------------------------------------------------------------------
// The table
// ------------------------------------------------------------------------------------------------

const REFUSED: Refused[] = [
  ...MALFORMED.flatMap(([label, body]) => both(label, body, 400, "BAD_REQUEST")),
  ...TOP_LEVEL.flatMap(([label, body]) => both(label, body, 400, "BAD_REQUEST")),
  ...BATCH_ENVELOPE.map(([label, body, ptr]) => bad(`batch: ${label}`, BATCH, json(body), ptr)),
  ...SYNC_ENVELOPE.map(([label, body, ptr]) => bad(`sync: ${label}`, SYNC, json(body), ptr)),
  ...clientWrongTypes(),
  ...childWrongTypes(),
  ...protoCases(),
  ...deepCases(),
  ...tooManyItems(),
  ...encodingCases(),
];

describe("refused input: the right 4xx, nothing changed in either database", () => {
  // Some bodies are megabytes (2,000,000 nested lists): an explicit timeout for a loaded machine.
  it.each(REFUSED)("$name", { timeout: 30_000 }, async (c) => {
    await expectRefused(c);
  });

  it.each(sizeCases())("$name", { timeout: 30_000 }, async (c) => {
    await expectRefused(c);
  });

  it.each(contentTypeCases())("$name", async (c) => {
    // `body` of the no-Content-Type case is bytes: make sure the harness really sent no type.
    const res = await expectRefused(c);
    expect(res.body.detail).toMatch(/JSON/);
  });
});

// ------------------------------------------------------------------------------------------------
// Valid but hostile-looking input: stored and returned verbatim
// ------------------------------------------------------------------------------------------------

/** A fresh tenant, so that accepted writes do not disturb the refused cases' tenant. */
async function freshTenant() {
  const t = h.newTenant();
  return { tenantId: t, key: await h.createKey({ env: "test", tenantId: t }) };
}

async function getClient(key: string, id: string) {
  const res = await h.get(`/clients/${id}`, { key });
  expect(res.status, res.text).toBe(200);
  return res;
}

describe("prototype keys inside free-form objects are ordinary keys", () => {
  const FREE = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"toString":"x","hasOwnProperty":1}';

  it("metadata, scopeData.US, fields, and every child's metadata keep them verbatim; nothing is polluted", async () => {
    const { key } = await freshTenant();
    const body =
      `{"client":{"type":"individual","name":"A","externalId":"proto","metadata":${FREE},"scopeData":{"US":${FREE}}},` +
      `"addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600","metadata":${FREE},"scopeData":{"US":${FREE}}}],` +
      `"contactMethods":[{"value":"a@b.co","metadata":${FREE}}],` +
      `"bankAccounts":[{"accountNumber":"1","bankName":"B","currency":"MXN","metadata":${FREE}}],` +
      `"documents":[{"type":"ine","metadata":${FREE},"fields":${FREE}}],` +
      `"linkedClients":[{"child":{"type":"individual","name":"R","metadata":${FREE}},"metadata":${FREE}}]}`;
    const res = await h.post(SYNC, body, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    expectNoPollution();
    const got = await getClient(key, res.body.client.id);
    const c = got.body;
    const free = [
      c.metadata, c.scopeData.US, c.addresses[0].metadata, c.addresses[0].scopeData.US, c.contactMethods[0].metadata,
      c.bankAccounts[0].metadata, c.documents[0].metadata, c.documents[0].fields, c.linkedClients[0].metadata, c.linkedClients[0].client.metadata,
    ];
    for (const value of free) {
      expect(JSON.stringify(value)).toBe(FREE);
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    }
    // The response text itself carries the keys (not only a JSON.parse artefact).
    expect(got.text.split('"__proto__":{"polluted":"yes"}').length - 1).toBe(free.length);
    expectNoPollution();
  });

  it.each(PROTO_KEYS)("batch: %s inside metadata round-trips; nothing is polluted", async (k) => {
    const { key } = await freshTenant();
    const metadata = `{"${k}":{"polluted":"yes"},"ok":1}`;
    const res = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":${metadata}}]}`, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    expect(JSON.stringify(res.body.data[0].metadata)).toBe(metadata);
    expect(JSON.stringify((await getClient(key, res.body.data[0].id)).body.metadata)).toBe(metadata);
    expectNoPollution();
  });
});

describe("SQL-looking strings are data, never SQL", () => {
  const SQLISH = [
    "'; DROP TABLE clients; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "x'); DELETE FROM api_keys; --",
    "%",
    "_",
    "%_%",
    "\\",
    "\\%",
    "a\\'b",
    "$.name",
    "json_extract(metadata, '$')",
    "*/ SELECT 1; /*",
    "NULL",
    "Robert'); DROP TABLE students;--",
  ];

  it("stored and returned verbatim as names, externalIds, metadata keys and values, child fields; GET ?externalId= matches exactly", async () => {
    const { tenantId, key } = await freshTenant();
    // A decoy that a LIKE-based or concatenated lookup would return for "%", "_" or "' OR '1'='1".
    const decoy = await h.post(BATCH, { items: [{ type: "individual", name: "Decoy", externalId: "decoy" }] }, { key });
    expect(decoy.status).toBe(200);
    const items = SQLISH.map((s) => ({
      type: "individual",
      name: s,
      lastName: s,
      externalId: s,
      metadata: { [s]: s },
      employment: { position: s },
      scopeData: { US: { [s]: [s] } },
    }));
    const res = await h.post(BATCH, { items }, { key });
    stats.add("hostile inputs tried", SQLISH.length);
    expect(res.status, res.text).toBe(200);
    for (const [i, s] of SQLISH.entries()) {
      const stored = res.body.data[i];
      expect(stored).toMatchObject({ name: s, lastName: s, externalId: s, metadata: { [s]: s }, scopeData: { US: { [s]: [s] } } });
      expect(stored.employment.position).toBe(s);
      const listed = await h.get(`/clients?externalId=${encodeURIComponent(s)}`, { key });
      expect(listed.status, listed.text).toBe(200);
      expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([stored.id]);
      expect(await getClient(key, stored.id).then((r) => r.body)).toEqual(stored);
    }
    // Children and links through sync, with the same strings.
    const graph = await h.post(
      SYNC,
      {
        clientId: res.body.data[0].id,
        addresses: SQLISH.map((s) => ({ street: s, city: s, state: s, postalCode: s, externalId: `a${s}`, metadata: { [s]: s } })),
        contactMethods: SQLISH.map((s) => ({ type: "other", value: s, label: s, externalId: `c${s}` })),
        bankAccounts: SQLISH.map((s) => ({ accountNumber: s.slice(0, 34), bankName: s, currency: "MXN", country: "US", label: s, externalId: `b${s}` })),
        documents: SQLISH.map((s) => ({ type: s.slice(0, 100), filename: s, externalId: `d${s}`, fields: { [s]: s } })),
        linkedClients: SQLISH.map((s) => ({ child: { type: "individual", name: s, externalId: `l${s}` }, metadata: { [s]: s } })),
      },
      { key },
    );
    stats.add("hostile inputs tried", SQLISH.length * 5);
    expect(graph.status, graph.text).toBe(200);
    const client = (await getClient(key, res.body.data[0].id)).body;
    expect(client.addresses.map((a: { street: string }) => a.street)).toEqual(SQLISH);
    expect(client.contactMethods.map((c: { value: string }) => c.value)).toEqual(SQLISH);
    expect(client.bankAccounts.map((b: { bankName: string }) => b.bankName)).toEqual(SQLISH);
    expect(client.documents.map((d: { filename: string }) => d.filename)).toEqual(SQLISH);
    expect(client.linkedClients.map((l: { client: { name: string } }) => l.client.name)).toEqual(SQLISH);
    // Every table is still there and the keys are intact.
    const after = await snapshot(h, tenantId);
    expect(after.test.rows.api_keys).toHaveLength(1);
    expect(after.test.rows.clients).toHaveLength(1 + SQLISH.length * 2);
    expect((await h.get(`/clients?limit=200`, { key })).body.data).toHaveLength(1 + SQLISH.length * 2);
  });
});

describe("numbers and number-like strings", () => {
  it.each(["NaN", "Infinity", "-Infinity", "-0", "1e400", "0x10", "null", "undefined", "true", "[]", "{}"])(
    "the string %j is a valid name and externalId, stored verbatim",
    async (s) => {
      const { key } = await freshTenant();
      const res = await h.post(BATCH, { items: [{ type: "individual", name: s, externalId: s }] }, { key });
      stats.add("hostile inputs tried");
      expect(res.status, res.text).toBe(200);
      expect((await getClient(key, res.body.data[0].id)).body).toMatchObject({ name: s, externalId: s });
    },
  );

  it.each([
    ["0", 0],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
    ["1.0", 1],
    ["1e3", 1000],
  ])("document size %s is stored as %d", async (raw, stored) => {
    const { key } = await freshTenant();
    const res = await h.post(SYNC, `{"client":{"type":"individual","name":"A"},"documents":[{"type":"ine","size":${raw}}]}`, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    expect(Object.is((await getClient(key, res.body.client.id)).body.documents[0].size, stored)).toBe(true);
  });

  it.each([
    ["large and fractional numbers", '{"big":1e300,"small":-1e-300,"max":9007199254740991,"pi":3.141592653589793,"neg":-0.5}'],
    ["nested lists of numbers", '{"m":[[1,2],[3,[4,[5]]]]}'],
  ])("metadata keeps %s exactly", async (_label, metadata) => {
    const { key } = await freshTenant();
    const res = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":${metadata}}]}`, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    // Compared as values: 1e300 comes back spelled 1e+300, the same number.
    expect((await getClient(key, res.body.data[0].id)).body.metadata).toEqual(JSON.parse(metadata));
  });

  // A number JSON can write but a double cannot hold (1e400 → Infinity) would come back as `null`:
  // a changed value is lost data, so it is a 400 pointing at it, and nothing is written.
  it.each([
    ["1e400 in metadata", '{"items":[{"type":"individual","name":"A","metadata":{"n":1e400}}]}', "/items/0/metadata/n"],
    ["-1e400 in scopeData.US", '{"items":[{"type":"individual","name":"A","scopeData":{"US":{"n":[-1e400]}}}]}', "/items/0/scopeData/US/n/0"],
  ])("an out-of-range number (%s) is refused, not stored as null", async (_label, body, ptr) => {
    await expectRefused(bad("out of range", BATCH, body, ptr));
  });
});

describe("NUL and lone surrogates inside free-form objects are kept exactly", () => {
  it("metadata, scopeData.US and fields keep NUL characters and unpaired surrogates, in keys and values", async () => {
    const { key } = await freshTenant();
    const free = '{"nul":"a\\u0000b","\\u0000key":1,"hi":"\\ud800","lo":"x\\udc00y","pair":"\\ud83d\\ude00","mixed":["\\udbff","\\u0000"]}';
    const expected = JSON.parse(free);
    const res = await h.post(
      SYNC,
      `{"client":{"type":"individual","name":"A","metadata":${free},"scopeData":{"US":${free}}},"documents":[{"type":"ine","fields":${free}}]}`,
      { key, headers: { "content-type": "application/json" } },
    );
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    const c = (await getClient(key, res.body.client.id)).body;
    for (const value of [c.metadata, c.scopeData.US, c.documents[0].fields]) expect(value).toEqual(expected);
  });
});

describe(`deep nesting inside free-form objects (${DEPTH} levels where the size cap allows it)`, () => {
  // Free-form objects take 64 levels of nesting (src/schemas/common.ts MAX_JSON_DEPTH, checked
  // iteratively before anything serializes them): deeper ones are refused with a 400 pointing at
  // the first level too deep, and nothing is written. 5,000 nested lists are 10 KB (under the
  // 16 KiB metadata cap), so the depth, not the size, refuses them.
  type DeepCase = [string, string, (free: string) => string, string];
  const sync = (free: string) => `{"client":{"type":"individual","name":"A","metadata":${free}}}`;
  const us = (free: string) => `{"client":{"type":"individual","name":"A","scopeData":{"US":${free}}}}`;
  const fields = (free: string) => `{"client":{"type":"individual","name":"A"},"documents":[{"type":"ine","fields":${free}}]}`;
  const addressUs = (free: string) =>
    `{"client":{"type":"individual","name":"A"},"addresses":[{"street":"S","city":"C","state":"S","postalCode":"1","scopeData":{"US":${free}}}]}`;
  /** The pointer of the first level past 64: the object is level 1, `a` level 2, … */
  const lists = (base: string) => `${base}/a${"/0".repeat(63)}`;
  const objects = (base: string) => `${base}${"/a".repeat(64)}`;

  async function refusedAsTooDeep(path: Path, body: string, ptr: string) {
    const { tenantId, key } = await freshTenant();
    const before = await snapshot(h, tenantId);
    const res = await h.post(path, body, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expectProblem(res, 400, "BAD_REQUEST");
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([ptr]);
    expect(res.body.errors[0].detail).toMatch(/64 levels/);
    expect(res.stats.rowsWritten).toBe(0);
    expect(await snapshot(h, tenantId)).toEqual(before);
  }

  const CASES: DeepCase[] = [
    ["client metadata, 5,000 nested lists", `{"a":${deepArrays(5_000)}}`, sync, lists("/client/metadata")],
    ["document fields, 5,000 nested lists", `{"a":${deepArrays(5_000)}}`, fields, lists("/documents/0/fields")],
    ["document fields, 5,000 nested objects", deepObjects(5_000), fields, objects("/documents/0/fields")],
    // Nested ~7,000+ levels, JSON.stringify would overflow the stack: the depth check comes first.
    ["client scopeData.US, 10,000 nested lists", `{"a":${deepArrays()}}`, us, lists("/client/scopeData/US")],
    ["document fields, 10,000 nested lists", `{"a":${deepArrays()}}`, fields, lists("/documents/0/fields")],
    ["address scopeData.US, 10,000 nested lists", `{"a":${deepArrays()}}`, addressUs, lists("/addresses/0/scopeData/US")],
    ["document fields, 8,000 nested objects", deepObjects(8_000), fields, objects("/documents/0/fields")],
  ];
  it.each(CASES)("%s: refused as too deep at the first level past 64, nothing written", async (_label, free, build, ptr) => {
    await refusedAsTooDeep(SYNC, build(free), ptr);
  });

  it("batch: scopeData.US of 10,000 nested lists is refused as too deep, nothing written", async () => {
    await refusedAsTooDeep(BATCH, `{"items":[{"type":"individual","name":"A","scopeData":{"US":{"a":${deepArrays()}}}}]}`, lists("/items/0/scopeData/US"));
  });

  it("free-form objects take 64 levels of nesting and refuse 65, pointing at the first level too deep", async () => {
    const { key } = await freshTenant();
    const nested = (levels: number) => "[".repeat(levels - 1) + "]".repeat(levels - 1);
    const at64 = `{"a":${nested(64)}}`; // the object is level 1, its lists levels 2…64
    const ok = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":${at64}}]}`, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(ok.status, ok.text).toBe(200);
    expect(JSON.stringify(ok.body.data[0].metadata)).toBe(at64);
    expect(JSON.stringify((await getClient(key, ok.body.data[0].id)).body.metadata)).toBe(at64);
    const at65 = `{"a":${nested(65)}}`;
    await refusedAsTooDeep(BATCH, `{"items":[{"type":"individual","name":"A","metadata":${at65}}]}`, lists("/items/0/metadata"));
  });
});

// ------------------------------------------------------------------------------------------------
// A body is read exactly or refused (API.md §1, amended): a duplicate key at any level, or a number
// that would not be stored exactly, is a 400 with its pointer, and nothing is written.
// ------------------------------------------------------------------------------------------------

/** [name, endpoint, JSON text ($CLIENT: a client of the tenant), the one pointer expected]. */
const INEXACT: [string, Path, string, string][] = [
  ["a duplicate top-level key (atomic twice)", BATCH, '{"items":[{"type":"individual","name":"A"}],"atomic":true,"atomic":false}', "/atomic"],
  ["a duplicate key in an item", BATCH, '{"items":[{"type":"individual","name":"A","name":"B"}]}', "/items/0/name"],
  ["a duplicate key spelled with an escape", BATCH, '{"items":[{"type":"individual","name":"A","n\u0061me":"B"}]}', "/items/0/name"],
  ["a duplicate key inside metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"k":1,"k":2}}]}', "/items/0/metadata/k"],
  ["a duplicate key in the second item of a list", SYNC, '{"clientId":"$CLIENT","addresses":[{"street":"S","city":"C","state":"S","postalCode":"06600"},{"street":"S","street":"T","city":"C","state":"S","postalCode":"06600"}]}', "/addresses/1/street"],
  ["a duplicate clientId", SYNC, '{"clientId":"$CLIENT","clientId":"$CLIENT","client":{"name":"Renamed"}}', "/clientId"],
  ["a duplicate key inside scopeData.US, inside a list", SYNC, '{"clientId":"$CLIENT","client":{"scopeData":{"US":{"l":[{"x":1,"x":1}]}}}}', "/client/scopeData/US/l/0/x"],
  ["an integer beyond 2^53 in metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":9007199254740993}}]}', "/items/0/metadata/n"],
  ["an integer beyond 2^53 in scopeData.US, in a list", SYNC, '{"clientId":"$CLIENT","client":{"scopeData":{"US":{"n":[12345678901234567890]}}}}', "/client/scopeData/US/n/0"],
  ["a number underflowing to 0 in fields", SYNC, '{"clientId":"$CLIENT","documents":[{"type":"ine","fields":{"tiny":1e-400}}]}', "/documents/0/fields/tiny"],
  ["-0 in metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"z":-0}}]}', "/items/0/metadata/z"],
  ["-0 as a document size", SYNC, '{"clientId":"$CLIENT","documents":[{"type":"ine","size":-0}]}', "/documents/0/size"],
  ["a decimal more precise than a double", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"d":0.10000000000000000555}}]}', "/items/0/metadata/d"],
];

describe("a body is read exactly: duplicate keys and inexact numbers are a 400 at their pointer, nothing written", () => {
  it.each(INEXACT)("%s", async (_label, path, text, ptr) => {
    const { tenantId, key } = await freshTenant();
    const client = await h.seedClient("test", tenantId, { name: "Kept" });
    const before = await snapshot(h, tenantId);
    const res = await h.post(path, fill(text, { CLIENT: client.id }), { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expectProblem(res, 400, "BAD_REQUEST");
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([ptr]);
    expect(res.stats.rowsWritten).toBe(0);
    expect(await snapshot(h, tenantId)).toEqual(before);
  });

  // What stays accepted: a literal whose value a double holds exactly, whatever its spelling.
  it.each([
    ["1.0", 1],
    ["1e2", 100],
    ["0.1", 0.1],
    ["-1", -1],
    ["123456789012345", 123456789012345],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
    ["-9007199254740991", -Number.MAX_SAFE_INTEGER],
    ["1e300", 1e300],
    ["-1e-300", -1e-300],
    ["5e-324", 5e-324],
    ["0", 0],
  ])("the number %s is accepted and stored as %d", async (raw, value) => {
    const { key } = await freshTenant();
    const res = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":{"n":${raw}}}]}`, { key, headers: { "content-type": "application/json" } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    const stored = (await getClient(key, res.body.data[0].id)).body.metadata.n;
    expect(Object.is(stored, value)).toBe(true);
  });
});

describe("Content-Type that is JSON", () => {
  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/json;charset=UTF-8",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/vnd.api+json",
  ])("%s is read as JSON", async (type) => {
    const { key } = await freshTenant();
    const res = await h.post(BATCH, VALID_BATCH, { key, headers: { "content-type": type } });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
  });
});

// ------------------------------------------------------------------------------------------------
// Headers: missing, doubled, oddly cased
// ------------------------------------------------------------------------------------------------

type Endpoint = { name: string; method: "GET" | "POST" | "DELETE"; path: () => string; body?: () => string };
const ENDPOINTS: Endpoint[] = [
  { name: "GET /clients", method: "GET", path: () => "/clients" },
  { name: "GET /clients/{id}", method: "GET", path: () => `/clients/${clientId}` },
  { name: "DELETE /clients/{id}", method: "DELETE", path: () => `/clients/${clientId}` },
  { name: "POST /clients/batch", method: "POST", path: () => BATCH, body: () => VALID_BATCH },
  { name: "POST /clients/sync", method: "POST", path: () => SYNC, body: () => json({ clientId, client: { name: "Changed" } }) },
];

/** Builds the headers of a case; `key` is the tenant's test key. Appending twice doubles a header. */
type HeaderCase = [string, (key: string) => [string, string][], number, string];
const REFUSED_HEADERS: HeaderCase[] = [
  ["no X-Environment", (k) => [["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: Test", (k) => [["x-environment", "Test"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: TEST", (k) => [["x-environment", "TEST"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: empty", (k) => [["x-environment", ""], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: testing", (k) => [["x-environment", "testing"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: tést (Latin-1)", (k) => [["x-environment", "t\u00e9st"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment doubled (test, test)", (k) => [["x-environment", "test"], ["x-environment", "test"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment doubled (test, live)", (k) => [["x-environment", "test"], ["x-environment", "live"], ["authorization", `Bearer ${k}`]], 400, "BAD_REQUEST"],
  ["X-Environment: live with a test key", (k) => [["x-environment", "live"], ["authorization", `Bearer ${k}`]], 401, "UNAUTHORIZED"],
  ["no Authorization", () => [["x-environment", "test"]], 401, "UNAUTHORIZED"],
  ["Authorization doubled (same key twice)", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k}`], ["authorization", `Bearer ${k}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer <key>, <key>", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k}, ${k}`]], 401, "UNAUTHORIZED"],
  ["Authorization: the key alone", (k) => [["x-environment", "test"], ["authorization", k]], 401, "UNAUTHORIZED"],
  ["Authorization: Token <key>", (k) => [["x-environment", "test"], ["authorization", `Token ${k}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer<key> (no space)", (k) => [["x-environment", "test"], ["authorization", `Bearer${k}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer\\t<key>", (k) => [["x-environment", "test"], ["authorization", `Bearer\t${k}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer \"<key>\"", (k) => [["x-environment", "test"], ["authorization", `Bearer "${k}"`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer <key> extra", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k} extra`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer <KEY> (upper-cased key)", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k.toUpperCase()}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Bearer <key> with its last character dropped", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k.slice(0, -1)}`]], 401, "UNAUTHORIZED"],
  ["Authorization: Basic", (k) => [["x-environment", "test"], ["authorization", `Basic ${btoa(`${k}:`)}`]], 401, "UNAUTHORIZED"],
];

const ACCEPTED_HEADERS: [string, (key: string) => [string, string][]][] = [
  ["header names in odd case (x-ENVIRONMENT, AUTHORIZATION)", (k) => [["x-ENVIRONMENT", "test"], ["AUTHORIZATION", `Bearer ${k}`]]],
  ["X-Environment with surrounding spaces (not part of an HTTP field value)", (k) => [["x-environment", "  test  "], ["authorization", `Bearer ${k}`]]],
  ["bearer in lower case (auth schemes are case-insensitive)", (k) => [["x-environment", "test"], ["authorization", `bearer ${k}`]]],
  ["BEARER in upper case", (k) => [["x-environment", "test"], ["authorization", `BEARER ${k}`]]],
  ["two spaces after Bearer", (k) => [["x-environment", "test"], ["authorization", `Bearer  ${k}`]]],
  ["a trailing space after the key", (k) => [["x-environment", "test"], ["authorization", `Bearer ${k} `]]],
];

function headersOf(pairs: [string, string][], withBody: boolean): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs) headers.append(name, value);
  if (withBody) headers.set("content-type", "application/json");
  return headers;
}

describe("headers", () => {
  const table = REFUSED_HEADERS.flatMap(([label, build, status, code]) => ENDPOINTS.map((e) => ({ label, build, status, code, e })));
  it.each(table)("$e.name, $label → $status", async ({ build, status, code, e }) => {
    const before = await snapshot(h, tenantId);
    const headers = headersOf(build(testKey), e.body !== undefined);
    const res = await h.request(e.method, e.path(), { env: null, headers: Object.fromEntries(headers), body: e.body?.() });
    stats.add("hostile inputs tried");
    expectProblem(res, status, code);
    expect(await snapshot(h, tenantId)).toEqual(before);
  });

  // Headers(…) combines doubled values into "a, b": checked above through `append`; here the raw
  // spelling is read exactly as HTTP defines it.
  it.each(ACCEPTED_HEADERS)("GET /clients with %s → 200", async (_label, build) => {
    const headers = new Headers();
    for (const [name, value] of build(testKey)) headers.append(name, value);
    const res = await h.request("GET", "/clients", { env: null, headers: Object.fromEntries(headers) });
    stats.add("hostile inputs tried");
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
  });

  it("a live key with the live environment sees only live data (the same tenant id)", async () => {
    const res = await h.get("/clients", { env: "live", key: liveKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([liveClientId]);
  });
});
