// src/sync/compare.ts `same` made faster (issue 25: primitives compared without writing JSON, values
// already in key order written by JSON.stringify, src/encoding.ts stringifiesSorted) answers exactly
// what its straightforward definition answers — the canonical JSON of both, compared — on arbitrary
// values: unicode, integer-like and __proto__ keys, undefined members, functions, Dates, NaN, -0.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringifiesSorted } from "../../src/encoding";
import { same } from "../../src/sync/compare";

/** The definition (the code before issue 25, written out plainly). */
function referenceCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonical(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
const referenceSame = (a: unknown, b: unknown) => referenceCanonical(a) === referenceCanonical(b);

const key = fc.oneof(fc.constantFrom("a", "b", "c", "__proto__", "10", "9", "toJSON", "é", "\u{1F600}", "\uD800", ""), fc.string({ maxLength: 3 }));
const leaf = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.constantFrom(0, -0, 1, NaN, Infinity, -Infinity, 1.5, "1", "", "a"),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
  fc.constant(() => 1),
  fc.constant(new Date("2026-01-02T03:04:05.000Z")),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(key, tie("v"), { maxKeys: 4 })),
})).v;
/** Pairs that are often equal: a value and a copy with its keys reordered, or with one leaf changed. */
const pair = fc.oneof(
  fc.tuple(value, value),
  value.map((v) => [v, reordered(v)] as const),
  value.map((v) => [v, JSON.parse(JSON.stringify(v) ?? "null")] as const),
);

function reordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reordered);
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]));
}

describe("same (sync/compare.ts)", () => {
  it("answers what comparing the canonical JSON of both answers, on arbitrary values", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(same(a, b)).toBe(referenceSame(a, b));
        expect(same(b, a)).toBe(referenceSame(b, a));
      }),
      { numRuns: 3000 },
    );
  });

  it("compares the plain cases as the definition does", () => {
    const cases: [unknown, unknown, boolean][] = [
      [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
      [{ a: undefined }, { a: null }, true],
      [{ a: undefined }, {}, false],
      [NaN, null, true],
      [0, -0, true],
      [{ a: () => 1 }, { a: null }, true],
      [new Date(0), {}, true],
      [[undefined], [null], true],
      [{ "10": 1, "9": 2 }, { "9": 2, "10": 1 }, true],
      ["1", 1, false],
      [{}, "{}", false],
    ];
    for (const [a, b, expected] of cases) {
      expect(referenceSame(a, b), JSON.stringify([a, b])).toBe(expected);
      expect(same(a, b), JSON.stringify([a, b])).toBe(expected);
    }
  });
});

describe("stringifiesSorted", () => {
  it("is true only when JSON.stringify writes the sorted-key form", () => {
    expect(stringifiesSorted({ a: 1, b: { c: [1, { d: 2, e: null }] } }, false)).toBe(true);
    expect(stringifiesSorted({ b: 1, a: 2 }, false)).toBe(false);
    expect(stringifiesSorted({ "10": 1, "9": 2 }, false)).toBe(false);
    expect(stringifiesSorted({ a: undefined }, false)).toBe(false);
    expect(stringifiesSorted({ a: undefined }, true)).toBe(true);
    expect(stringifiesSorted({ a: new Date(0) }, true)).toBe(false);
    expect(stringifiesSorted({ a: () => 1 }, true)).toBe(false);
    expect(stringifiesSorted([undefined, null, 1], false)).toBe(true);
    expect(stringifiesSorted({ toJSON: () => 1 }, true)).toBe(false);
  });
});
