// The JSON parameters of the bulk writers (src/db/bulk.ts): chunks are counted in UTF-8 bytes
// (each row with its comma), and split where the next row would pass the limit; every row in order, none lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countedJsonChunks } from "../../src/db/bulk";

const utf8 = (text: string) => new TextEncoder().encode(text).length;

describe("countedJsonChunks", () => {
  it("counts each chunk's UTF-8 bytes exactly and keeps every row, in order, within the limit", () => {
    const row = fc.dictionary(fc.string({ unit: "binary", maxLength: 4 }), fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.integer(), fc.constant(null)), { maxKeys: 5 });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.integer({ min: 2000, max: 6000 }), (rows, maxBytes) => {
        const fits = rows.every((r) => utf8(JSON.stringify(r)) + 3 <= maxBytes);
        fc.pre(fits);
        const chunks = countedJsonChunks(rows, maxBytes);
        for (const chunk of chunks) {
          // Each row is counted with a comma after it: one byte over the text, never under.
          expect(chunk.bytes).toBe(utf8(chunk.json) + 1);
          expect(chunk.bytes).toBeLessThanOrEqual(maxBytes);
        }
        expect(chunks.flatMap((c) => JSON.parse(c.json))).toEqual(JSON.parse(JSON.stringify(rows)));
        expect(chunks.reduce((n, c) => n + c.count, 0)).toBe(rows.length);
      }),
      { numRuns: 500 },
    );
  });

  it("counts rows longer than its scratch space too (a 1.5 MB history body of multi-byte text)", () => {
    const rows = [{ body: "é😀".repeat(200_000) }, { body: "x" }];
    const [chunk] = countedJsonChunks(rows);
    expect(chunk!.bytes).toBe(utf8(chunk!.json) + 1);
  });
});
