// decodeUtf8 (src/encoding.ts) against the definition it replaces, one fatal TextDecoder call: the
// same text for UTF-8 bytes (a sent U+FFFD and a BOM included), a TypeError for anything else. The body
// reader and the history's unpacking use it, so a 400 for a non-UTF-8 body rests on it too.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8 } from "../../src/encoding";
import { readJsonBody } from "../../src/http/body";
import { ApiError } from "../../src/http/errors";

const fatal = (bytes: Uint8Array, ignoreBOM: boolean) => {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM }).decode(bytes);
  } catch (error) {
    return error instanceof TypeError ? "TypeError" : "other error";
  }
};
const ours = (bytes: Uint8Array, ignoreBOM: boolean) => {
  try {
    return decodeUtf8(bytes, ignoreBOM);
  } catch (error) {
    return error instanceof TypeError ? "TypeError" : "other error";
  }
};
const encode = (text: string) => new TextEncoder().encode(text);

/**
 * Bytes that are mostly UTF-8, with the odd byte that breaks it, a BOM and an encoded U+FFFD, after
 * a run of "a" that puts them at or just before decodeUtf8's 64 KiB slice ends (or at the start).
 */
const lead = fc.oneof(fc.constant(0), fc.integer({ min: 65_520, max: 65_536 }), fc.integer({ min: 131_056, max: 131_072 }));
const tail = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }).map(encode),
      fc.constant(Uint8Array.of(0xef, 0xbb, 0xbf)),
      fc.constant(encode("\uFFFD")),
      fc.uint8Array({ minLength: 1, maxLength: 3 }),
    ),
    { maxLength: 12 },
  );
const bytes = fc.tuple(lead, tail).map(([run, parts]) => {
  const out = new Uint8Array(run + parts.reduce((n, p) => n + p.length, 0)).fill(0x61, 0, run);
  let at = run;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
});

describe("decodeUtf8", () => {
  it("answers what a fatal TextDecoder answers, on arbitrary bytes, with and without ignoreBOM", () => {
    fc.assert(
      fc.property(bytes, fc.boolean(), (input, ignoreBOM) => {
        expect(ours(input, ignoreBOM)).toBe(fatal(input, ignoreBOM));
      }),
      { numRuns: 1500 },
    );
  });

  it("keeps a U+FFFD that was sent, refuses a lone continuation byte and a truncated sequence", () => {
    expect(decodeUtf8(encode('{"a":"\uFFFD"}'), false)).toBe('{"a":"\uFFFD"}');
    expect(() => decodeUtf8(Uint8Array.of(0x7b, 0x80, 0x7d), false)).toThrow(TypeError);
    expect(() => decodeUtf8(Uint8Array.of(0x22, 0xe2, 0x82), false)).toThrow(TypeError);
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x31), false)).toBe("1");
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x31), true)).toBe("\uFEFF1");
  });

  it("decodes past its 64 KiB slices: a character cut by a slice's end, a BOM, a bad byte far in", () => {
    for (const at of [65_535, 65_534, 65_533, 131_071]) {
      const text = `${"a".repeat(at)}\u{1F600}é€${"b".repeat(70_000)}`;
      const input = encode(text);
      expect(decodeUtf8(input, false)).toBe(text);
      const broken = input.slice();
      broken[at + 1] = 0x41; // inside the 4-byte character
      expect(() => decodeUtf8(broken, false)).toThrow(TypeError);
      const truncated = input.subarray(0, at + 2);
      expect(() => decodeUtf8(truncated, false)).toThrow(TypeError);
    }
    // A U+FEFF where a slice begins is text, not a BOM (workerd's streaming decoder dropped it).
    for (const at of [65_536, 131_072]) expect(decodeUtf8(encode(`${"a".repeat(at)}\uFEFF1`), false)).toBe(`${"a".repeat(at)}\uFEFF1`);
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...encode("x".repeat(200_000))]);
    expect(decodeUtf8(bom, false)).toBe("x".repeat(200_000));
    expect(decodeUtf8(bom, true)).toBe(`\uFEFF${"x".repeat(200_000)}`);
  });

  it("is what makes a body that is not UTF-8 a 400, and a sent U+FFFD read as sent", async () => {
    const post = (body: Uint8Array) => new Request("http://localhost/", { method: "POST", headers: { "content-type": "application/json" }, body });
    const refused = await readJsonBody(post(Uint8Array.of(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d))).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(400);
    expect((refused as ApiError).message).toContain("not valid UTF-8");
    expect((await readJsonBody(post(encode('{"a":"\uFFFD"}')))).value).toEqual({ a: "\uFFFD" });
  });
});
