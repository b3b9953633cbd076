// How Idempotency-Key records live and go (API.md §8): kept at least 24 h, purged after that by
// later keyed writes, always whole; a record missing any of its parts is never replayed. The clock
// is controlled by ageing stored records in D1 (their created_at), not by waiting.
import { env } from "cloudflare:workers";
import { and, eq, inArray, sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clients, idempotencyKeys } from "../../src/db/schema";
import { PART_BYTES, PURGE_ROWS_PER_WRITE, splitUtf8 } from "../../src/http/idempotency";
import { createHarness } from "../support/harness";
import { uniq } from "../sync/helpers";

const h = createHarness();
const HOUR = 60 * 60 * 1000;

const client = (name = "Ana") => ({ type: "individual", name });
const keyed = (key: string) => ({ headers: { "idempotency-key": key } });
const post = (key: string, idem: string, body: unknown) => h.post("/clients/batch", body, { key, ...keyed(idem) });

/** Sets the created_at of every part of a key's record to `hoursAgo` before now. */
async function age(tenantId: string, idem: string, hoursAgo: number) {
  const at = new Date(Date.now() - hoursAgo * HOUR).toISOString();
  await h.db("test").update(idempotencyKeys).set({ createdAt: at }).where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, idem)));
}

const partsOf = (tenantId: string, idem: string) => h.rows("test", idempotencyKeys, { tenantId, key: idem });

describe("retention", () => {
  it("a record 23 h old is kept and replays; at 25 h the next keyed write purges it and the key is free", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = { items: [client()] };
    const first = await post(key, idem, body);
    expect(first.status).toBe(200);

    await age(tenantId, idem, 23);
    // Another keyed write (another tenant even: the purge is not per tenant) runs the purge.
    const other = await h.newTenantWithKey();
    expect((await post(other.key, `k-${uniq()}`, { items: [client()] })).status).toBe(200);
    expect(await partsOf(tenantId, idem)).toHaveLength(1);
    const replay = await post(key, idem, body);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(first.text);
    expect(await h.count("test", clients, tenantId)).toBe(1);

    await age(tenantId, idem, 25);
    expect((await post(other.key, `k-${uniq()}`, { items: [client()] })).status).toBe(200);
    expect(await partsOf(tenantId, idem)).toEqual([]);
    // The key is free: another body under it is a new request (a 422 while the record lived).
    const reused = await post(key, idem, { items: [client("Luis")] });
    expect(reused.status).toBe(200);
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
    expect(await h.count("test", clients, tenantId)).toBe(2);
    expect(await partsOf(tenantId, idem)).toHaveLength(1);
  });

  it("an unkeyed write purges nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    expect((await post(key, idem, { items: [client()] })).status).toBe(200);
    await age(tenantId, idem, 25);
    const unkeyed = await h.post("/clients/batch", { items: [client()] }, { key });
    expect(unkeyed.status).toBe(200);
    expect(unkeyed.stats.statements.some((s) => s.sql.includes('"idempotency_keys"'))).toBe(false);
    expect(await partsOf(tenantId, idem)).toHaveLength(1);
    expect((await post(key, `k-${uniq()}`, { items: [client()] })).status).toBe(200); // purges it
    expect(await partsOf(tenantId, idem)).toEqual([]);
  });

  it("when the purge limit cuts across a multi-part record, the whole record goes: no partial record is left", async () => {
    const tenantId = h.newTenant();
    // 40 expired records of 3 parts each, older than anything else in this file, one second apart:
    // the oldest PURGE_ROWS_PER_WRITE (100) rows end one row into record 33.
    const records = 40;
    const keys = Array.from({ length: records }, (_, i) => `old-${String(i).padStart(2, "0")}-${uniq()}`);
    const rows = keys.flatMap((key, i) =>
      [0, 1, 2].map((part) => ({
        tenantId,
        key,
        part,
        parts: part === 0 ? 3 : null,
        requestHash: "h",
        status: 200,
        headers: {},
        body: `part ${part} of ${key}`,
        createdAt: new Date(Date.UTC(2000, 0, 1) + i * 1000).toISOString(),
      })),
    );
    for (let i = 0; i < rows.length; i += 10) await h.db("test").insert(idempotencyKeys).values(rows.slice(i, i + 10));
    expect(PURGE_ROWS_PER_WRITE % 3).not.toBe(0); // the cut falls inside a record

    const other = await h.newTenantWithKey();
    const write = await post(other.key, `k-${uniq()}`, { items: [client()] });
    expect(write.status).toBe(200);

    const left = await h.db("test")
      .select({ key: idempotencyKeys.key, n: sql<number>`count(*)` })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), inArray(idempotencyKeys.key, keys)))
      .groupBy(idempotencyKeys.key);
    const cut = Math.floor(PURGE_ROWS_PER_WRITE / 3); // record 33 holds the 100th oldest row
    // Records 0…33 are gone, all their parts; 34…39 are whole, waiting for the next writes.
    expect(left.map((r) => r.key).sort()).toEqual(keys.slice(cut + 1));
    expect(left.every((r) => r.n === 3)).toBe(true);

    // The next keyed write takes the rest.
    expect((await post(other.key, `k-${uniq()}`, { items: [client()] })).status).toBe(200);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(0);
  });
});

describe("a record missing parts is never replayed", () => {
  it.each([
    ["part 0 declares more parts than there are", async (tenantId: string, idem: string) => {
      await h.db("test").update(idempotencyKeys).set({ parts: 2 }).where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, idem)));
    }],
    ["part 0 is gone and a later part is left", async (tenantId: string, idem: string) => {
      const [row] = await partsOf(tenantId, idem);
      await h.db("test").delete(idempotencyKeys).where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, idem)));
      await h.db("test").insert(idempotencyKeys).values({ ...row!, part: 1, parts: null, headers: {}, body: '"tail of an answer"}' });
    }],
  ])("%s: the key counts as unused, the request runs, and its record replaces the remains", async (_, damage) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = { items: [client()] };
    expect((await post(key, idem, body)).status).toBe(200);
    await damage(tenantId, idem);

    const retry = await post(key, idem, body);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(JSON.parse(retry.text).data).toHaveLength(1);
    expect(await h.count("test", clients, tenantId)).toBe(2);
    const stored = await partsOf(tenantId, idem);
    expect(stored.map((r) => [r.part, r.parts])).toEqual([[0, 1]]);

    const replay = await post(key, idem, body);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(retry.text);
    expect(await h.count("test", clients, tenantId)).toBe(2);
  });
});

describe("records stored before migration 0002 (no part count)", () => {
  const backfill = () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0002_"))!;
    const update = migration.queries.find((q: string) => /^\s*(--[^\n]*\n\s*)*UPDATE/i.test(q))!;
    expect(update).toBeDefined();
    return h.binding("test").prepare(update).run();
  };

  it("a whole record gets its count and replays; one the old purge cut (part 0 gone) does not", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const whole = `k-${uniq()}`;
    const cut = `k-${uniq()}`;
    const body = { items: [client()] };
    const first = await post(key, whole, body);
    expect((await post(key, cut, body)).status).toBe(200);
    // As the old code left them: no count; the cut one lost part 0 and kept a part 1.
    await h.db("test").update(idempotencyKeys).set({ parts: null }).where(eq(idempotencyKeys.tenantId, tenantId));
    await h.db("test").update(idempotencyKeys).set({ part: 1 }).where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, cut)));

    await backfill();
    expect((await partsOf(tenantId, whole)).map((r) => r.parts)).toEqual([1]);
    expect((await partsOf(tenantId, cut)).map((r) => [r.part, r.parts])).toEqual([[1, null]]);
    const replay = await post(key, whole, body);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(first.text);
    const rerun = await post(key, cut, body);
    expect(rerun.status).toBe(200);
    expect(rerun.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("splitting an answer into parts", () => {
  const encoder = new TextEncoder();
  const wellFormed = (s: string) => new TextDecoder().decode(encoder.encode(s)) === s;
  const text = "a€b𝄞ñ" + "x𝄞".repeat(5) + "€€ñ𝄞a" + "🇲🇽ü".repeat(4);

  it.each([4, 5, 6, 7, 8, 9, 11, 13, 64])("parts of at most %i UTF-8 bytes, whole characters, the same text joined", (max) => {
    const parts = splitUtf8(text, max);
    expect(parts.join("")).toBe(text);
    for (const part of parts) {
      expect(encoder.encode(part).length).toBeLessThanOrEqual(max);
      expect(part.length).toBeGreaterThan(0);
      expect(wellFormed(part)).toBe(true);
    }
    // Greedy: a part is only cut short by a character that does not fit.
    for (let i = 0; i + 1 < parts.length; i++) {
      const next = String.fromCodePoint(parts[i + 1]!.codePointAt(0)!);
      expect(encoder.encode(parts[i]! + next).length).toBeGreaterThan(max);
    }
  });

  /** The definition splitUtf8 replaced (one encodeInto per part): the parts must be the same. */
  function reference(text: string, maxBytes: number): string[] {
    const buffer = new Uint8Array(maxBytes);
    const out: string[] = [];
    for (let start = 0; start < text.length; ) {
      let end = start + encoder.encodeInto(text.slice(start, start + maxBytes), buffer).read;
      const unit = text.charCodeAt(end - 1);
      if (end < text.length && unit >= 0xd800 && unit <= 0xdbff) end--;
      if (end === start) throw new Error("does not fit");
      out.push(text.slice(start, end));
      start = end;
    }
    return out.length > 0 ? out : [""];
  }

  it("the same parts as one encodeInto per part, past the 16 K-unit slices it counts by", () => {
    // Well-formed text: answers are JSON.stringify's, which escapes lone surrogates.
    const unit = fc.constantFrom("a", "ñ", "€", "𝄞", "🇲🇽", "x".repeat(100));
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 3000 }), fc.integer({ min: 4, max: 70_000 }), (units, max) => {
        const text = units.join("").repeat(12);
        expect(splitUtf8(text, max)).toEqual(reference(text, max));
      }),
      { numRuns: 150 },
    );
    // Lone surrogates (never in an answer) still end: parts that join to the text.
    const odd = "a\uD800".repeat(20_000) + "\uDC00b".repeat(20_000);
    expect(splitUtf8(odd, 1000).join("")).toBe(odd);
  });

  it("an empty answer is one empty part; parts of the real size hold up to PART_BYTES", () => {
    expect(splitUtf8("")).toEqual([""]);
    const big = "ñ".repeat(PART_BYTES); // 2 bytes each
    const parts = splitUtf8(big);
    expect(parts.map((p) => encoder.encode(p).length)).toEqual([PART_BYTES, PART_BYTES]);
  });
});
