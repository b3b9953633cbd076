// Clients stored before history was kept get their creation entry (issue 20): migration 0008 lists
// them (its own INSERT is run here, on clients seeded straight into D1 without history, as a
// database migrated from before 0003 holds them), and the cron's backfill (src/write/backfill.ts)
// writes each one's entry at sequence 1 — `created`, the graph as stored — and takes it off the
// queue in the same batch. Clients deleted or changed meanwhile are taken off without an entry; a
// sync racing the backfill keeps the chain whole.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { describe, expect, it } from "vitest";
import { openDb } from "../../src/db/database";
import type { Env } from "../../src/env";
import { clientHistory, eventOutbox, historyBackfill } from "../../src/db/schema";
import { backfillSlice, BACKFILL_CLIENTS_PER_RUN } from "../../src/write/backfill";
import { interceptBatches } from "../support/batch-hook";
import { createD1Guard } from "../support/d1-guard";
import { createHarness } from "../support/harness";

const h = createHarness();
const d1 = () => h.binding("test");

/** Migration 0008's listing statement, exactly as the migration runs it. */
async function runMigrationListing() {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0008_"))!;
  const listing = migration.queries.find((q: string) => q.includes("INSERT INTO `history_backfill`"))!;
  expect(listing).toBeDefined();
  await d1().prepare(listing).run();
}

/** A pre-history client: its row, an address, a contact method and a link to another client, no entries. */
async function oldClient(tenantId: string) {
  const client = await h.seedClient("test", tenantId, { updatedAt: "2024-03-01T10:00:00.000Z", createdAt: "2024-01-01T10:00:00.000Z" });
  const child = await h.seedClient("test", tenantId, { updatedAt: "2024-02-01T10:00:00.000Z", createdAt: "2024-02-01T10:00:00.000Z" });
  await h.seedAddress("test", client, { updatedAt: "2024-05-01T10:00:00.000Z", createdAt: "2024-01-01T10:00:00.000Z" });
  await h.seedContactMethod("test", client, { updatedAt: "2024-01-01T10:00:00.000Z", createdAt: "2024-01-01T10:00:00.000Z" });
  await h.seedLink("test", client, child, { updatedAt: "2024-04-01T10:00:00.000Z", createdAt: "2024-04-01T10:00:00.000Z" });
  return { client, child };
}

async function drain(db = openDb(d1())) {
  const runs = [];
  for (;;) {
    const run = await backfillSlice(db);
    runs.push(run);
    if (run.written + run.skipped === 0) return runs;
  }
}

describe("the creation-entry backfill", () => {
  it("writes each listed client's creation entry: sequence 1, created, the graph as GET shows it, a valid chain; the queue empties", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const { client, child } = await oldClient(tenantId);
    const before = await h.get(`/clients/${client.id}`, { key });
    expect((await h.get(`/clients/${client.id}/history`, { key })).body.data).toEqual([]);
    await runMigrationListing();
    expect(await h.count("test", historyBackfill, tenantId)).toBe(2);

    await drain();
    expect(await h.count("test", historyBackfill, tenantId)).toBe(0);
    const history = await h.get(`/clients/${client.id}/history`, { key });
    expect(history.status).toBe(200);
    expect(history.body.data).toHaveLength(1);
    const [entry] = history.body.data;
    expect(entry).toMatchObject({ sequence: 1, operation: "backfill", previousHash: "", at: "2024-05-01T10:00:00.000Z", actor: { keyPrefix: "backfill" } });
    expect(entry.changes.map((c: any) => `${c.entity}:${c.action}`).sort()).toEqual(["address:created", "client:created", "contactMethod:created", "link:created"]);
    expect((await h.get(`/clients/${client.id}/history/verify`, { key })).body).toMatchObject({ valid: true, entries: 1 });
    expect((await h.get(`/clients/${child.id}/history/verify`, { key })).body).toMatchObject({ valid: true, entries: 1 });
    // As of the entry's instant (and later), the client exactly as GET answers it; before it, unknown.
    const asOf = await h.get(`/clients/${client.id}?asOf=2024-05-01T10:00:00.000Z`, { key });
    expect(asOf.status, asOf.text).toBe(200);
    expect(asOf.body).toEqual(before.body);
    expect((await h.get(`/clients/${client.id}?asOf=2024-04-30T00:00:00.000Z`, { key })).status).toBe(404);
    // The backfill is no change: no outbox row. The next change follows the entry.
    expect(await h.count("test", eventOutbox, tenantId)).toBe(0);
    const sync = await h.post("/clients/sync", { clientId: client.id, client: { name: "Renamed" } }, { key });
    expect(sync.status, sync.text).toBe(200);
    const after = await h.get(`/clients/${client.id}/history`, { key });
    expect(after.body.data.map((e: any) => [e.sequence, e.operation])).toEqual([[1, "backfill"], [2, "sync"]]);
    expect((await h.get(`/clients/${client.id}/history/verify`, { key })).body).toMatchObject({ valid: true, entries: 2 });
  });

  it("the Worker's cron runs it: one scheduled event drains a small queue in both environments", async () => {
    const test = await h.newTenantWithKey("test");
    const live = await h.newTenantWithKey("live");
    const a = await h.seedClient("test", test.tenantId);
    const b = await h.seedClient("live", live.tenantId);
    await runMigrationListing();
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0008_"))!;
    await h.binding("live").prepare(migration.queries.find((q: string) => q.includes("INSERT INTO `history_backfill`"))!).run();
    // The tests before this one drained the queue: these two are all it holds.
    await (worker.scheduled as (c: ScheduledController, e: Env) => Promise<void>)(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), h.env);
    for (const [environment, id] of [["test", a.id], ["live", b.id]] as const) {
      const rows = await h.rows(environment, clientHistory, { clientId: id });
      expect(rows.map((r) => [r.sequence, r.operation]), environment).toEqual([[1, "backfill"]]);
    }
  });

  it("an empty queue: one read, nothing written; a slice is at most BACKFILL_CLIENTS_PER_RUN clients of one tenant, within D1's limits", async () => {
    await drain();
    const guard = createD1Guard();
    const idle = guard.wrap(d1(), "backfill idle");
    const record = guard.last!;
    expect(await backfillSlice(openDb(idle))).toEqual({ written: 0, skipped: 0 });
    expect(record.roundTrips).toBe(1);
    expect(record.rowsWritten).toBe(0);

    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    for (let i = 0; i < BACKFILL_CLIENTS_PER_RUN + 3; i++) await h.seedClient("test", a.tenantId);
    await h.seedClient("test", b.tenantId);
    await runMigrationListing();
    const busy = guard.wrap(d1(), "backfill slice");
    const sliced = guard.last!;
    const first = await backfillSlice(openDb(busy));
    expect(first.written).toBe(first.written + first.skipped); // all written: none changed or deleted
    expect(first.written).toBeLessThanOrEqual(BACKFILL_CLIENTS_PER_RUN);
    expect(sliced.roundTrips).toBe(2);
    expect(sliced.violations).toEqual([]);
    expect(sliced.statementCount).toBeLessThanOrEqual(50);
    await drain();
    // Each tenant's entries under its own tenant.
    for (const { tenantId } of [a, b]) {
      const rows = await h.rows("test", clientHistory, { tenantId });
      expect(rows.length).toBe(tenantId === a.tenantId ? BACKFILL_CLIENTS_PER_RUN + 3 : 1);
    }
    expect(await h.count("test", historyBackfill)).toBe(0);
  });

  it("a client deleted, or changed (its chain begun by a sync), since the migration is taken off the queue without an entry", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const changed = await h.seedClient("test", tenantId);
    const deleted = await h.seedClient("test", tenantId);
    await runMigrationListing();
    expect((await h.post("/clients/sync", { clientId: changed.id, client: { name: "New" } }, { key })).status).toBe(200);
    expect((await h.delete(`/clients/${deleted.id}`, { key })).status).toBe(200);
    const history = (id: string) => h.get(`/clients/${id}/history`, { key });
    const changedBefore = (await history(changed.id)).body.data;
    const deletedBefore = (await history(deleted.id)).body.data;
    const runs = await drain();
    expect(runs.reduce((n, r) => n + r.written, 0)).toBe(0);
    expect(await h.count("test", historyBackfill, tenantId)).toBe(0);
    expect((await history(changed.id)).body.data).toEqual(changedBefore);
    expect((await history(deleted.id)).body.data).toEqual(deletedBefore);
  });

  it("a sync that appends between the backfill's read and its write: the backfill's batch fails whole; the next run skips the client; one chain", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    await runMigrationListing();
    let raced = false;
    let calls = 0;
    const racing = interceptBatches(d1(), async (statements, connection) => {
      // The backfill's second batch is its write (the first, its read).
      if (++calls === 2) {
        raced = true;
        const sync = await h.post("/clients/sync", { clientId: client.id, client: { name: "Raced" } }, { key });
        expect(sync.status, sync.text).toBe(200);
      }
      return connection.batch(statements);
    });
    await expect(backfillSlice(openDb(racing))).rejects.toThrow(/UNIQUE|constraint/i);
    expect(raced).toBe(true);
    expect(await h.count("test", historyBackfill, tenantId)).toBe(1); // nothing of the failed batch
    expect(await drain()).toContainEqual({ written: 0, skipped: 1 });
    const entries = (await h.get(`/clients/${client.id}/history`, { key })).body.data;
    expect(entries.map((e: any) => e.operation)).toEqual(["sync"]);
    expect((await h.get(`/clients/${client.id}/history/verify`, { key })).body).toMatchObject({ valid: true, entries: 1 });
  });
});
