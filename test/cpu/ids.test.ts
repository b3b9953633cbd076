// Server ids (src/ids.ts): UUIDv7 whose random bits come from a pool drawn in bulk. Ids made one
// after another sort in the order they were made (the millisecond, then the counter), carry version 7
// and variant 10, and never repeat.
import { describe, expect, it } from "vitest";
import { isUuid, newId } from "../../src/ids";

describe("newId", () => {
  it("makes UUIDv7 ids that sort in creation order, across several random pools", () => {
    const ids = Array.from({ length: 5000 }, () => newId()); // ~20 pools of 256
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe("7"); // version
      expect("89ab").toContain(id[19]); // variant 10
    }
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("encodes the current millisecond in its first 48 bits", () => {
    const before = Date.now();
    const id = newId();
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1); // at most one millisecond borrowed
  });

  it("keeps the random part random: no two ids of a pool share their last 62 bits", () => {
    const tails = Array.from({ length: 1000 }, () => newId().slice(19));
    expect(new Set(tails).size).toBe(tails.length);
  });
});
