// The history encodings made faster (src/history/entry.ts canonicalJson, packBody, toBase64;
// src/history/drafts.ts recordChange) give byte for byte what their straightforward definitions
// give (API.md §11 fixes the hash and the stored format): compared here with those definitions,
// written out plainly, on arbitrary JSON values, unicode keys and large bodies included.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recordChange } from "../../src/history/drafts";
import { canonicalJson, COMPRESS_FROM, packBody, unpackBody } from "../../src/history/entry";

/** The definition: keys sorted by UTF-16 code units, no spaces, undefined members dropped. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : referenceCanonicalJson(item))).join(",")}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(object[key])}`).join(",")}}`;
}

/** The definition: gzip through the platform's stream, then btoa of the bytes. */
async function referencePackBody(text: string): Promise<string> {
  const compressed = new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
  let binary = "";
  for (let i = 0; i < compressed.length; i += 0x8000) binary += String.fromCharCode(...compressed.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The definition of a change: every field whose JSON differs. */
function referenceRecordChange(entity: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null) {
  const implied = new Set(["tenantId", "clientId", "parentClientId"]);
  const fields: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after ?? before!)) {
    if (implied.has(key)) continue;
    const from = before ? (before[key] ?? null) : null;
    const to = after ? (after[key] ?? null) : null;
    if (!(from === to || JSON.stringify(from) === JSON.stringify(to))) fields[key] = { from, to };
  }
  if (Object.keys(fields).length === 0) return null;
  return { entity, id: (after ?? before)!.id, action: before === null ? "created" : after === null ? "deleted" : "updated", fields };
}

const unicodeKey = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), fc.constantFrom("__proto__", "constructor", "10", "9", "a", "B", "é", "\u{1F600}", "\uD800", "", "toJSON"));
/** JSON values with keys of any kind (lone surrogates, emoji, integer-like and __proto__ keys). */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: "binary" }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(unicodeKey, tie("value"), { maxKeys: 6 }),
  ),
})).value;

describe("canonicalJson", () => {
  it("equals the straightforward definition on arbitrary JSON values", () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
        // As parsed from text too (where __proto__ is an own key).
        const parsed = JSON.parse(JSON.stringify(value) ?? "null");
        expect(canonicalJson(parsed)).toBe(referenceCanonicalJson(parsed));
      }),
      { numRuns: 2000 },
    );
  });

  it("drops undefined members and writes undefined array items as null, as the definition does", () => {
    const value = { b: undefined, a: [undefined, 1, { d: undefined, c: -0 }], "\u00e9": "x", "10": 1, "9": 2 };
    expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
    expect(canonicalJson(value)).toBe('{"10":1,"9":2,"a":[null,1,{"c":0}],"é":"x"}');
    expect(canonicalJson(undefined)).toBe("null");
  });
});

describe("packBody", () => {
  it("keeps a short JSON object as it is, else gives the bytes of the straightforward gzip + base64; unpacks to its text", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: "binary" }), jsonValue.map((v) => JSON.stringify(v) ?? ""), fc.dictionary(fc.string(), jsonValue).map((v) => JSON.stringify(v))), async (text) => {
        const packed = await packBody(text);
        const short = text.length < COMPRESS_FROM && text.startsWith("{");
        expect(packed).toBe(short ? text : await referencePackBody(text));
        expect(await unpackBody(packed)).toBe(new TextDecoder().decode(new TextEncoder().encode(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same bytes for bodies of several stream chunks (a 1.5 MB entry)", async () => {
    const big = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ i, text: `item ${i} ${"é😀".repeat(i % 7)}`, n: i * 1.5 })));
    expect(big.length).toBeGreaterThan(1_000_000);
    const packed = await packBody(big);
    expect(packed).toBe(await referencePackBody(big));
    expect(await unpackBody(packed)).toBe(big);
  });
});

describe("recordChange", () => {
  const row = fc.dictionary(fc.constantFrom("name", "metadata", "isPrimary", "version", "size", "tenantId", "clientId", "scopes", "when"), jsonValue, { maxKeys: 9 });
  it("lists exactly the fields whose JSON differs, as the definition does", () => {
    fc.assert(
      fc.property(row, row, fc.constantFrom("created", "updated", "deleted"), (a, b, kind) => {
        const before = kind === "created" ? null : { ...a, id: "r1" };
        const after = kind === "deleted" ? null : { ...(kind === "updated" ? a : {}), ...b, id: "r1" };
        expect(JSON.stringify(recordChange("address", before, after))).toBe(JSON.stringify(referenceRecordChange("address", before, after)));
      }),
      { numRuns: 2000 },
    );
  });

  it("compares values that are not plain JSON as their JSON does (a Date and its text, non-finite numbers)", () => {
    const at = new Date("2026-01-02T03:04:05.000Z");
    const cases: [unknown, unknown][] = [
      [at, at.toISOString()],
      [NaN, null],
      [Infinity, -Infinity],
      [{ a: 1 }, { a: 1 }],
      [[1], [1]],
      [{ toJSON: () => "x" }, "x"],
    ];
    for (const [from, to] of cases) {
      const before = { id: "r", v: from };
      const after = { id: "r", v: to };
      expect(recordChange("client", before, after)).toEqual(referenceRecordChange("client", before, after));
    }
  });
});
