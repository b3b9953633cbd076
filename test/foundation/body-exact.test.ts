// Bodies are read exactly or refused (API.md §1): a duplicate key at any level, or a number a
// double cannot hold, is a 400 listing every such place with its JSON Pointer; gzip and deflate
// bodies are decoded with the 5 MiB limit on the decoded bytes (a zip bomb is a 413, not inflated
// whole); other codings and charsets other than UTF-8 are 415. Every refusal writes nothing.
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { MAX_BODY_BYTES } from "../../src/http/body";
import { isExactNumber } from "../../src/http/json-strict";
import { createHarness } from "../support/harness";
import { countsOf, dumpTenant, uniq } from "../sync/helpers";

const h = createHarness();
const BATCH = "/clients/batch";
const SYNC = "/clients/sync";
const JSON_TYPE = { "content-type": "application/json" };
const MiB = 1024 * 1024;

type Errors = [pointer: string, code: string][];
const errorsOf = (body: { errors?: { pointer: string; code: string }[] }): Errors => (body.errors ?? []).map((e) => [e.pointer, e.code]);

/** Every table of a fresh tenant is still empty. */
async function expectNothingWritten(tenantId: string) {
  const counts = await countsOf(h, tenantId);
  expect(Object.values(counts).every((n) => n === 0), JSON.stringify(counts)).toBe(true);
}

async function compress(chunks: (string | Uint8Array)[], format: "gzip" | "deflate"): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(typeof next === "string" ? encoder.encode(next) : next);
    },
  });
  return new Uint8Array(await new Response(source.pipeThrough(new CompressionStream(format))).arrayBuffer());
}

// -------------------------------------------------------------------------------------------------

const D = "duplicate_key";
const N = "inexact_number";

/** [label, path, raw JSON body, the exact errors expected, in the order they appear in the body] */
const REFUSED: [string, string, string, Errors][] = [
  ["a top-level duplicate (atomic true, then false)", BATCH, '{"items":[{"type":"individual","name":"A"}],"atomic":true,"atomic":false}', [["/atomic", D]]],
  ["a duplicate inside an item", BATCH, '{"items":[{"type":"individual","name":"A","name":"B"}]}', [["/items/0/name", D]]],
  ["a duplicate in the second item only", BATCH, '{"items":[{"type":"individual","name":"A"},{"type":"company","type":"individual","name":"B"}]}', [["/items/1/type", D]]],
  ["a duplicate inside metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"k":1,"k":2}}]}', [["/items/0/metadata/k", D]]],
  ["a duplicate in an object inside a list inside metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"list":[{"a":1},{"b":1,"b":2}]}}]}', [["/items/0/metadata/list/1/b", D]]],
  ["a duplicate spelled with an escape", BATCH, '{"items":[{"type":"individual","name":"A","na\\u006de":"B"}]}', [["/items/0/name", D]]],
  ["a duplicate key that needs escaping in a pointer", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"a/b~c":1,"a/b~c":2}}]}', [["/items/0/metadata/a~1b~0c", D]]],
  ["a key given three times (two duplicates)", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"k":1,"k":2,"k":3}}]}', [["/items/0/metadata/k", D], ["/items/0/metadata/k", D]]],
  ["a duplicate __proto__ key", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"__proto__":{},"__proto__":{"x":1}}}]}', [["/items/0/metadata/__proto__", D]]],
  ["sync: dryRun true, then false", SYNC, '{"client":{"type":"individual","name":"A"},"dryRun":true,"dryRun":false}', [["/dryRun", D]]],
  ["sync: a duplicate in the second address", SYNC, '{"client":{"type":"individual","name":"A"},"addresses":[{"street":"s","city":"c","state":"st","postalCode":"01000"},{"street":"s","city":"X","city":"Y","state":"st","postalCode":"01000"}]}', [["/addresses/1/city", D]]],
  ["sync: a duplicate in a linked client's child", SYNC, '{"client":{"type":"individual","name":"A"},"linkedClients":[{"child":{"type":"individual","name":"R","name":"S"}}]}', [["/linkedClients/0/child/name", D]]],
  ["an integer beyond 2^53 in metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":9007199254740993}}]}', [["/items/0/metadata/n", N]]],
  ["a number that underflows to 0", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":1e-400}}]}', [["/items/0/metadata/n", N]]],
  ["-0 in metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":-0}}]}', [["/items/0/metadata/n", N]]],
  ["-0.0e5 in a list in metadata", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":[1,-0.0e5,2]}}]}', [["/items/0/metadata/n/1", N]]],
  ["more decimals than a double keeps", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":0.1000000000000000055511151231257827}}]}', [["/items/0/metadata/n", N]]],
  ["1e400 (infinite)", BATCH, '{"items":[{"type":"individual","name":"A","metadata":{"n":1e400}}]}', [["/items/0/metadata/n", N]]],
  ["sync: a document size beyond 2^53", SYNC, '{"client":{"type":"individual","name":"A"},"documents":[{"type":"ine","size":9007199254740993}]}', [["/documents/0/size", N]]],
  [
    "several problems at once, every one listed",
    BATCH,
    '{"items":[{"type":"individual","name":"A","metadata":{"big":12345678901234567890,"ok":1.5}},{"type":"individual","name":"B","name":"C","metadata":{"z":-0,"deep":{"x":[{"y":1,"y":2}]}}}],"items":[]}',
    [["/items/0/metadata/big", N], ["/items/1/name", D], ["/items/1/metadata/z", N], ["/items/1/metadata/deep/x/0/y", D], ["/items", D]],
  ],
];

describe("bodies JSON.parse would read differently are refused, every place listed", () => {
  it.each(REFUSED)("%s", async (_label, path, body, expected) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(path, body, { key, headers: JSON_TYPE });
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("BAD_REQUEST");
    expect(errorsOf(res.body)).toEqual(expected);
    for (const error of res.body.errors) expect(error.detail).toEqual(expect.any(String));
    expect(res.stats.rowsWritten).toBe(0);
    await expectNothingWritten(tenantId);
  });

  it("a sync naming an existing client with a duplicate key changes nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seeded = await h.seedClient("test", tenantId, { name: "Ada", metadata: { k: 1 } });
    const before = await dumpTenant(h, tenantId);
    const res = await h.post(SYNC, `{"clientId":"${seeded.id}","client":{"name":"Changed","metadata":{"k":2,"k":3}}}`, { key, headers: JSON_TYPE });
    expect(res.status, res.text).toBe(400);
    expect(errorsOf(res.body)).toEqual([["/client/metadata/k", D]]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("a huge key or number is pointed at, not echoed whole", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const long = "k".repeat(100_000);
    const res = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":{"${long}":1,"${long}":2,"n":1${"0".repeat(100_000)}}}]}`, { key, headers: JSON_TYPE });
    expect(res.status).toBe(400);
    expect(errorsOf(res.body)).toEqual([[`/items/0/metadata/${long}`, D], ["/items/0/metadata/n", N]]);
    expect(res.body.errors.map((e: { detail: string }) => e.detail.length).every((n: number) => n < 200)).toBe(true);
    await expectNothingWritten(tenantId);
  });

  it("the same key in different objects, and equal values in one object, are fine", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = '{"items":[{"type":"individual","name":"A","metadata":{"name":"A","a":{"name":1},"b":[{"k":1},{"k":1}],"n1":1,"n2":1}}]}';
    const res = await h.post(BATCH, body, { key, headers: JSON_TYPE });
    expect(res.status, res.text).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });
});

describe("numbers that are stored exactly come back byte for byte", () => {
  it("batch → GET: metadata numbers keep their value, written the shortest way", async () => {
    const { key } = await h.newTenantWithKey();
    const sent = '{"a":1.5,"b":1e2,"c":123456789012345,"d":-1,"e":0.1,"f":1.0,"g":0,"h":9007199254740991,"i":-1e-300,"j":[0.5,2.25,1E+21],"k":5e-324,"l":0.0}';
    const stored = '{"a":1.5,"b":100,"c":123456789012345,"d":-1,"e":0.1,"f":1,"g":0,"h":9007199254740991,"i":-1e-300,"j":[0.5,2.25,1e+21],"k":5e-324,"l":0}';
    const res = await h.post(BATCH, `{"items":[{"type":"individual","name":"A","metadata":${sent}}]}`, { key, headers: JSON_TYPE });
    expect(res.status, res.text).toBe(200);
    const id = res.body.data[0].id;
    const got = await h.get(`/clients/${id}`, { key });
    expect(got.text).toContain(`"metadata":${stored}`);
    const [row] = await h.rows("test", clients, { id });
    expect(JSON.stringify(row!.metadata)).toBe(stored);
  });

  // The rule: a literal is exact when its decimal value is that of String(Number(literal)).
  it.each([
    ["0", true], ["1.0", true], ["1e2", true], ["1E+2", true], ["0.1", true], ["1.50", true], ["100e-2", true], ["0.0", true], ["0e10", true],
    ["123456789012345", true], ["9007199254740992", true], ["-1", true], ["3.141592653589793", true], ["5e-324", true], ["1.7976931348623157e308", true],
    ["-0", false], ["-0.0", false], ["-0e5", false], ["9007199254740993", false], ["12345678901234567890", false], ["1e-400", false], ["-1e-400", false],
    ["1e400", false], ["-1e400", false], ["0.1000000000000000055511151231257827", false], ["1.00000000000000001", false],
  ])("isExactNumber(%s) is %s", (literal, exact) => {
    expect(isExactNumber(literal)).toBe(exact);
  });
});

// -------------------------------------------------------------------------------------------------

describe("Content-Encoding", () => {
  const item = (name: string) => `{"items":[{"type":"individual","name":"${name}","externalId":"${name}","metadata":{"n":1.5}}]}`;

  it.each([
    ["gzip", "gzip"],
    ["deflate", "deflate"],
    ["x-gzip", "gzip"],
    ["GZIP", "gzip"],
    ["identity, gzip", "gzip"],
  ] as const)("Content-Encoding: %s is decoded and stored", async (coding, format) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const name = `gz-${uniq()}`;
    const res = await h.post(BATCH, await compress([item(name)], format), { key, headers: { ...JSON_TYPE, "content-encoding": coding } });
    expect(res.status, res.text).toBe(200);
    const [row] = await h.rows("test", clients, { tenantId });
    expect(row).toMatchObject({ name, externalId: name, metadata: { n: 1.5 } });
  });

  it("identity is the body as sent", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(BATCH, item("plain"), { key, headers: { ...JSON_TYPE, "content-encoding": "identity" } });
    expect(res.status, res.text).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("a gzip sync is read like the plain one: the same Idempotency-Key replays it", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = `{"client":{"type":"individual","name":"Z","externalId":"z-${uniq()}"}}`;
    const headers = { ...JSON_TYPE, "idempotency-key": `k-${uniq()}` };
    const first = await h.post(SYNC, await compress([body], "gzip"), { key, headers: { ...headers, "content-encoding": "gzip" } });
    expect(first.status, first.text).toBe(200);
    const again = await h.post(SYNC, body, { key, headers });
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("a gzip bomb (100 MiB of JSON in ~100 KB) is a 413, and nothing is written", { timeout: 60_000 }, async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const block = new Uint8Array(MiB).fill(0x61); // "a"
    const bomb = await compress(['{"items":[{"type":"individual","name":"A","metadata":{"pad":"', ...Array<Uint8Array>(100).fill(block), '"}}]}'], "gzip");
    expect(bomb.byteLength).toBeLessThan(MiB);
    const started = Date.now();
    const res = await h.post(BATCH, bomb, { key, headers: { ...JSON_TYPE, "content-encoding": "gzip" } });
    console.log(`gzip bomb: ${bomb.byteLength} bytes sent (100 MiB decoded) answered ${res.status} in ${Date.now() - started} ms`);
    expect(res.status, res.text).toBe(413);
    expect(res.body.code).toBe("PAYLOAD_TOO_LARGE");
    await expectNothingWritten(tenantId);
  });

  it("the limit is on the decoded bytes: exactly 5 MiB decoded is read, one byte more is a 413", { timeout: 60_000 }, async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const head = '{"items":[{"type":"individual","name":"A","metadata":{"pad":"';
    const tail = '"}}]}';
    const padded = (size: number) => compress([head, "a".repeat(size - head.length - tail.length), tail], "deflate");
    const exact = await h.post(BATCH, await padded(MAX_BODY_BYTES), { key, headers: { ...JSON_TYPE, "content-encoding": "deflate" } });
    // Read and parsed: refused by validation (metadata is capped far below 5 MiB), not by size.
    expect(exact.status, exact.text.slice(0, 500)).toBe(400);
    expect(exact.body.errors.map((e: { pointer: string }) => e.pointer)).toContain("/items/0/metadata");
    const over = await h.post(BATCH, await padded(MAX_BODY_BYTES + 1), { key, headers: { ...JSON_TYPE, "content-encoding": "deflate" } });
    expect(over.status, over.text.slice(0, 500)).toBe(413);
    await expectNothingWritten(tenantId);
  });

  it.each([
    ["corrupt gzip (bytes flipped in the middle)", "gzip", async () => {
      const bytes = await compress([item("corrupt"), "x".repeat(5000)], "gzip");
      for (let i = 20; i < 40; i++) bytes[i] = bytes[i]! ^ 0xff;
      return bytes;
    }],
    ["truncated gzip", "gzip", async () => (await compress([item("truncated")], "gzip")).slice(0, -12)],
    ["gzip with bytes after its end", "gzip", async () => new Uint8Array([...(await compress([item("trailing")], "gzip")), 1, 2, 3])],
    ["a plain body labelled gzip", "gzip", async () => new TextEncoder().encode(item("plain"))],
    ["gzip labelled deflate", "deflate", async () => compress([item("mislabelled")], "gzip")],
    ["an empty gzip body", "gzip", async () => new Uint8Array()],
  ] as const)("%s is a 400", async (_label, coding, build) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(BATCH, await build(), { key, headers: { ...JSON_TYPE, "content-encoding": coding } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe("BAD_REQUEST");
    await expectNothingWritten(tenantId);
  });

  it.each(["br", "zstd", "compress", "gzip, gzip", "gzip, br", "deflate, gzip", "x-custom"])("Content-Encoding: %s is a 415 naming what is accepted", async (coding) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post(BATCH, item("enc"), { key, headers: { ...JSON_TYPE, "content-encoding": coding } });
    expect(res.status, res.text).toBe(415);
    expect(res.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(res.headers.get("accept-encoding")).toBe("gzip, deflate");
    await expectNothingWritten(tenantId);
  });
});

describe("charset", () => {
  it.each(["charset=latin1", "charset=ISO-8859-1", "charset=utf-16", "charset=us-ascii", 'charset="windows-1252"', "charset=", "charset=utf-8; charset=latin1"])(
    "application/json; %s is a 415",
    async (parameter) => {
      const { tenantId, key } = await h.newTenantWithKey();
      const res = await h.post(BATCH, '{"items":[{"type":"individual","name":"A"}]}', { key, headers: { "content-type": `application/json; ${parameter}` } });
      expect(res.status, res.text).toBe(415);
      expect(res.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      await expectNothingWritten(tenantId);
    },
  );

  it.each(["charset=utf-8", "charset=UTF-8", 'charset="utf-8"', 'charset="UTF-8"', "charset=utf8", "CHARSET=Utf-8", "foo=bar; charset=utf-8"])(
    "application/json; %s is read",
    async (parameter) => {
      const { tenantId, key } = await h.newTenantWithKey();
      const res = await h.post(BATCH, '{"items":[{"type":"individual","name":"A"}]}', { key, headers: { "content-type": `application/json; ${parameter}` } });
      expect(res.status, res.text).toBe(200);
      expect(await h.count("test", clients, tenantId)).toBe(1);
    },
  );
});
