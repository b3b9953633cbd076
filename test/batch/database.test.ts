// POST /clients/batch — what the databases hold afterwards (not only what the bodies say):
// all-or-nothing, exact partial writes, concurrent claims on one externalId, and environments.
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { batch, expectEqualToGet, expectProblem, minimal, pointers, xid } from "./fixtures";

const h = createHarness();

const items250 = (label: string) => Array.from({ length: 250 }, (_, i) => minimal({ name: `C${i}`, externalId: xid(`${label}${i}`) }));

describe("atomic: nothing written on failure", () => {
  it("one bad item among 250 leaves every clients table row count unchanged", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await h.seedClient("test", tenantId, { externalId: xid("pre") });
    const beforeAll = await h.count("test", clients);
    const beforeLive = await h.count("live", clients);
    for (const bad of [0, 137, 249]) {
      const items = items250("a");
      items[bad] = { ...items[bad]!, birthDate: "2001-02-29" };
      const res = await batch(h, key, { items });
      expectProblem(res, 400, "BAD_REQUEST");
      expect(pointers(res.body)).toEqual([`/items/${bad}/birthDate`]);
      expect(res.stats.rowsWritten).toBe(0);
    }
    expect(await h.count("test", clients, tenantId)).toBe(1);
    expect(await h.count("test", clients)).toBe(beforeAll);
    expect(await h.count("live", clients)).toBe(beforeLive);
  });

  it("one conflicting item among 250 (stored, or repeated in the body) leaves the row count unchanged", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const taken = xid("taken");
    await h.seedClient("test", tenantId, { externalId: taken });
    const beforeAll = await h.count("test", clients);
    const stored = items250("b");
    stored[200] = { ...stored[200]!, externalId: taken };
    const r1 = await batch(h, key, { items: stored });
    expectProblem(r1, 409, "CONFLICT");
    expect(pointers(r1.body)).toEqual(["/items/200/externalId"]);
    const repeated = items250("c");
    repeated[249] = { ...repeated[249]!, externalId: repeated[3]!.externalId };
    const r2 = await batch(h, key, { items: repeated });
    expectProblem(r2, 409, "CONFLICT");
    expect(pointers(r2.body)).toEqual(["/items/249/externalId"]);
    expect(await h.count("test", clients, tenantId)).toBe(1);
    expect(await h.count("test", clients)).toBe(beforeAll);
    // None of the would-be externalIds exists.
    const stored250 = await h.rows("test", clients, { tenantId });
    expect(stored250.map((r) => r.externalId)).toEqual([taken]);
  });
});

describe("atomic: false writes exactly the good items", () => {
  it("rows by externalId: the good ones exist once, with what was sent; the bad ones do not exist", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const taken = xid("taken");
    await h.seedClient("test", tenantId, { externalId: taken, name: "Original" });
    const items: Record<string, unknown>[] = Array.from({ length: 40 }, (_, i) =>
      minimal({ name: `Good ${i}`, externalId: xid(`g${i}`), nationalities: "mx", scopeData: { MX: { rfc: "goma800101ab1" } } }),
    );
    const bad = new Map<number, Record<string, unknown>>([
      [3, minimal({ name: "Bad 3", externalId: xid("bad3"), scopes: ["nope"] })],
      [10, minimal({ name: "Bad 10", externalId: taken })],
      [17, minimal({ name: "Bad 17", externalId: xid("bad17"), scopeData: { MX: { curp: "X" } } })],
      [25, minimal({ name: "Bad 25", externalId: items[1]!.externalId })], // later occurrence of item 1's id
      [39, { name: "Bad 39", externalId: xid("bad39") }],
    ]);
    for (const [i, item] of bad) items[i] = item;
    const res = await batch(h, key, { items, atomic: false });
    expect(res.status).toBe(200);
    expect(res.body.failed.map((f: { index: number }) => f.index)).toEqual([...bad.keys()]);
    const goodIndexes = items.map((_, i) => i).filter((i) => !bad.has(i));
    expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual(goodIndexes);

    const rows = await h.rows("test", clients, { tenantId });
    expect(rows).toHaveLength(1 + goodIndexes.length);
    for (const i of goodIndexes) {
      const item = items[i]!;
      const matching = rows.filter((r) => r.externalId === item.externalId);
      expect(matching).toHaveLength(1);
      const row = matching[0]!;
      expect(row.name).toBe(item.name);
      expect(row.nationalities).toEqual(["MX"]);
      expect(row.scopeData).toEqual({ MX: { rfc: "GOMA800101AB1" } });
      expect(row.isPrimary).toBe(true);
      expect(row.id).toBe(res.body.succeeded.find((s: { index: number }) => s.index === i).data.id);
    }
    for (const [i, item] of bad) {
      expect(rows.filter((r) => r.name === item.name), `item ${i}`).toEqual([]);
    }
    // The stored client holding the taken externalId was not touched.
    expect(rows.filter((r) => r.externalId === taken).map((r) => r.name)).toEqual(["Original"]);
    await expectEqualToGet(h, key, res.body.data.slice(0, 3));
  });
});

/**
 * A rival client taking `externalId`, inserted straight into D1. Called from the guard's
 * synchronous hook before a batch is sent: a prepared statement queued then reaches D1 before
 * that batch (both go through the same local database in order).
 */
function queueRival(tenantId: string, externalId: string) {
  void h.binding("test")
    .prepare(
      `INSERT INTO clients (id, tenant_id, type, name, is_primary, nationalities, scopes, external_id, metadata, scope_data, version, created_at, updated_at)
       VALUES (?, ?, 'individual', 'Rival', 1, '[]', '[]', ?, '{}', '{}', 1, ?, ?)`,
    )
    .bind(crypto.randomUUID(), tenantId, externalId, new Date().toISOString(), new Date().toISOString())
    .run();
}

describe("concurrent batches claiming one externalId", () => {
  it.each([true, false])("create exactly one client (atomic: %s); the other gets 409 with a pointer at the item", async (atomic) => {
    for (let round = 0; round < 5; round++) {
      const { tenantId, key } = await h.newTenantWithKey();
      const shared = xid("shared");
      const mine = [xid("a"), xid("b")];
      const [a, b] = await Promise.all([
        batch(h, key, { items: [minimal({ name: "A own", externalId: mine[0] }), minimal({ name: "A", externalId: shared })], atomic }),
        batch(h, key, { items: [minimal({ name: "B own", externalId: mine[1] }), minimal({ name: "B", externalId: shared })], atomic }),
      ]);
      const rows = await h.rows("test", clients, { tenantId });
      const owners = rows.filter((r) => r.externalId === shared);
      expect(owners).toHaveLength(1);
      const winner = owners[0]!.name === "A" ? a : b;
      const loser = winner === a ? b : a;
      expect(winner.status).toBe(200);
      expect(winner.body.data.map((c: { externalId: string }) => c.externalId)).toContain(shared);
      if (atomic) {
        expectProblem(loser, 409, "CONFLICT");
        expect(pointers(loser.body)).toEqual(["/items/1/externalId"]);
        // All or nothing: the loser's own client was not written either.
        expect(rows).toHaveLength(2);
      } else {
        expect(loser.status).toBe(200);
        expect(loser.body.succeeded.map((s: { index: number }) => s.index)).toEqual([0]);
        expect(loser.body.failed).toHaveLength(1);
        expect(loser.body.failed[0].index).toBe(1);
        expect(loser.body.failed[0].error).toMatchObject({ status: 409, code: "CONFLICT" });
        expect(pointers(loser.body.failed[0].error)).toEqual(["/items/1/externalId"]);
        expect(rows).toHaveLength(3);
      }
      // What the winner answered is what is stored.
      const winnerShared = winner.body.data.find((c: { externalId: string }) => c.externalId === shared);
      expect(owners[0]!.id).toBe(winnerShared.id);
    }
  });

  it("a write that loses the race after the conflict read is still a 409 at the item (atomic) / a failed item (non-atomic)", async () => {
    // Deterministic race: a rival client with the externalId is inserted straight into D1 between
    // this request's conflict read and its write (when the write batch is admitted by the guard).
    for (const atomic of [true, false]) {
      const { tenantId, key } = await h.newTenantWithKey();
      const shared = xid("race");
      const own = xid("own");
      let injected = false;
      h.guard.failStatement = (info) => {
        if (!injected && /^insert into "clients"/i.test(info.sql)) {
          injected = true;
          queueRival(tenantId, shared);
        }
        return false;
      };
      try {
        const res = await batch(h, key, { items: [minimal({ externalId: own }), minimal({ name: "Mine", externalId: shared })], atomic });
        const rows = await h.rows("test", clients, { tenantId });
        const owners = rows.filter((r) => r.externalId === shared);
        expect(owners).toHaveLength(1);
        // The rival's insert was queued before the write batch, so it got in first.
        expect(owners[0]!.name, "the injected rival insert should have landed first").toBe("Rival");
        // The request must not 500, and must say which item failed.
        if (atomic) {
          expectProblem(res, 409, "CONFLICT");
          expect(pointers(res.body)).toEqual(["/items/1/externalId"]);
          expect(rows.map((r) => r.externalId)).toEqual([shared]);
        } else {
          expect(res.status).toBe(200);
          expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual([0]);
          expect(res.body.failed.map((f: { index: number; error: { status: number } }) => [f.index, f.error.status])).toEqual([[1, 409]]);
          expect(pointers(res.body.failed[0].error)).toEqual(["/items/1/externalId"]);
          expect(rows.map((r) => r.externalId).sort()).toEqual([own, shared].sort());
          expect(res.body.data.map((c: { externalId: string }) => c.externalId)).toEqual([own]);
        }
        expect(h.logs.filter((l) => l.message === "unhandled error")).toEqual([]);
      } finally {
        h.guard.failStatement = undefined;
      }
    }
  });
});

describe("non-atomic batches always answer 200 (API.md §5)", () => {
  // A rival takes one more of this request's externalIds right before each of its writes.
  function rivalBeforeEveryWrite(tenantId: string, claims: string[]) {
    const taken: string[] = [];
    h.guard.failStatement = (info) => {
      const next = claims[taken.length];
      if (next !== undefined && /^insert into "clients"/i.test(info.sql)) {
        taken.push(next);
        queueRival(tenantId, next);
      }
      return false;
    };
    return taken;
  }

  it("a rival before every write: the raced items are reported failed, the rest created — never a 409", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ids = Array.from({ length: 8 }, (_, i) => xid(`r${i}`));
    const taken = rivalBeforeEveryWrite(tenantId, ids);
    try {
      const res = await batch(h, key, { items: ids.map((externalId) => minimal({ name: "Mine", externalId })), atomic: false });
      expect(res.status, res.text).toBe(200);
      expect(taken.length).toBeGreaterThan(0);
      const failedIndexes = res.body.failed.map((f: { index: number }) => f.index);
      expect(failedIndexes).toEqual(taken.map((t) => ids.indexOf(t)));
      for (const f of res.body.failed) {
        expect(f.error).toMatchObject({ status: 409, code: "CONFLICT", errors: [{ pointer: `/items/${f.index}/externalId` }] });
      }
      // What the answer says is what is stored: its clients are ours, the raced ones the rivals'.
      const rows = await h.rows("test", clients, { tenantId });
      const mine = rows.filter((r) => r.name === "Mine");
      expect(mine.map((r) => r.id).sort()).toEqual(res.body.data.map((c: { id: string }) => c.id).sort());
      expect(res.body.succeeded.map((s: { index: number }) => s.index)).toEqual(ids.map((_, i) => i).filter((i) => !failedIndexes.includes(i)));
      expect(rows.filter((r) => r.name === "Rival").map((r) => r.externalId).sort()).toEqual([...taken].sort());
    } finally {
      h.guard.failStatement = undefined;
    }
  });

  it("with an Idempotency-Key, a raced write is read and written again, and the stored answer is exact", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ids = [xid("k0"), xid("k1"), xid("k2")];
    const taken = rivalBeforeEveryWrite(tenantId, ids.slice(0, 2));
    try {
      const body = { items: ids.map((externalId) => minimal({ name: "Mine", externalId })), atomic: false };
      const res = await h.post("/clients/batch", body, { key, headers: { "idempotency-key": xid("key") } });
      expect(res.status, res.text).toBe(200);
      expect(taken).toEqual(ids.slice(0, 2));
      expect(res.body.failed.map((f: { index: number }) => f.index)).toEqual([0, 1]);
      expect(res.body.data.map((c: { externalId: string }) => c.externalId)).toEqual([ids[2]]);
      const rows = await h.rows("test", clients, { tenantId });
      expect(rows.filter((r) => r.name === "Mine").map((r) => r.externalId)).toEqual([ids[2]]);
    } finally {
      h.guard.failStatement = undefined;
    }
  });
});

describe("environments", () => {
  it("a live call touches only the live database, a test call only the test one", async () => {
    const tenantId = h.newTenant();
    const liveKey = await h.createKey({ env: "live", tenantId });
    const testKey = await h.createKey({ env: "test", tenantId });
    const shared = xid("env");
    const testBefore = await h.count("test", clients);
    const liveBefore = await h.count("live", clients);

    const live = await batch(h, liveKey, { items: [minimal({ name: "Live", externalId: shared })] }, "live");
    expect(live.status).toBe(200);
    expect(await h.count("live", clients)).toBe(liveBefore + 1);
    expect(await h.count("test", clients)).toBe(testBefore);
    expect(await h.count("test", clients, tenantId)).toBe(0);
    expect((await h.rows("live", clients, { tenantId })).map((r) => [r.externalId, r.name])).toEqual([[shared, "Live"]]);

    // The same externalId in test is no conflict: it is another database.
    const test = await batch(h, testKey, { items: [minimal({ name: "Test", externalId: shared })] }, "test");
    expect(test.status).toBe(200);
    expect(await h.count("test", clients)).toBe(testBefore + 1);
    expect(await h.count("live", clients)).toBe(liveBefore + 1);
    expect((await h.rows("test", clients, { tenantId })).map((r) => [r.externalId, r.name])).toEqual([[shared, "Test"]]);
    expect((await h.rows("live", clients, { tenantId })).map((r) => [r.externalId, r.name])).toEqual([[shared, "Live"]]);

    // Each client is visible only in its own environment.
    await expectEqualToGet(h, liveKey, live.body.data, "live");
    await expectEqualToGet(h, testKey, test.body.data, "test");
    expect((await h.get(`/clients/${live.body.data[0].id}`, { key: testKey, env: "test" })).status).toBe(404);
    expect((await h.get(`/clients/${test.body.data[0].id}`, { key: liveKey, env: "live" })).status).toBe(404);

    // A repeat in live conflicts in live only.
    const again = await batch(h, liveKey, { items: [minimal({ externalId: shared })] }, "live");
    expectProblem(again, 409, "CONFLICT");
    expect(await h.count("live", clients)).toBe(liveBefore + 1);
    expect(await h.count("test", clients)).toBe(testBefore + 1);
  });

  it("a key of the other environment is a 401 and writes nowhere", async () => {
    const tenantId = h.newTenant();
    const liveKey = await h.createKey({ env: "live", tenantId });
    const testKey = await h.createKey({ env: "test", tenantId });
    const testBefore = await h.count("test", clients);
    const liveBefore = await h.count("live", clients);
    const r1 = await batch(h, liveKey, { items: [minimal()] }, "test");
    expect(r1.status).toBe(401);
    expect(r1.body.detail).toMatch(/live/);
    const r2 = await batch(h, testKey, { items: [minimal()] }, "live");
    expect(r2.status).toBe(401);
    expect(await h.count("test", clients)).toBe(testBefore);
    expect(await h.count("live", clients)).toBe(liveBefore);
  });
});
