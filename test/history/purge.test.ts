// Retention (API.md §11), the SQL of `npm run purge` (src/db/purge.ts) run in the Workers runtime on
// real local D1: a client deleted longer ago than the retention period loses its history and its
// outbox rows; NOTHING else goes — not a client deleted one day inside retention, not a live client
// with old entries, not another tenant's, not the other environment's, not any other row.
import { describe, expect, it } from "vitest";
import { PURGE_BATCH_CLIENTS, purgeBatchStatements, purgeExpired, retentionCutoff } from "../../src/db/purge";
import { clientHistory, eventOutbox, webhookEndpoints } from "../../src/db/schema";
import type { Environment } from "../../src/env";
import { newId } from "../../src/ids";
import { createHarness } from "../support/harness";
import { uniq } from "../sync/helpers";

const h = createHarness();
const DAY = 86_400_000;
const RETENTION_YEARS = 10;

/** Runs statements as one D1 batch, as the purge command does. */
const executor = (environment: Environment) => async (statements: string[]) => {
  const d1 = h.binding(environment);
  const results = await d1.batch(statements.map((sql) => d1.prepare(sql)));
  return results.map((r) => (r.results ?? []) as Record<string, unknown>[]);
};

/** Every row of the tables purge may touch, and the counts of every other table, as stored. */
async function snapshot(environment: Environment) {
  const d1 = h.binding(environment);
  const all = async (sql: string) => (await d1.prepare(sql).all()).results;
  const counts: Record<string, unknown> = {};
  for (const table of ["clients", "addresses", "contact_methods", "bank_accounts", "documents", "client_links", "api_keys", "idempotency_keys", "webhook_endpoints"]) {
    counts[table] = (await d1.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
  }
  return {
    history: (await all("SELECT * FROM client_history ORDER BY client_id, sequence, part")) as { client_id: string }[],
    outbox: (await all("SELECT * FROM event_outbox ORDER BY id")) as { client_id: string }[],
    counts,
  };
}

/** A tenant with a webhook endpoint (so that its writes leave outbox rows) and a key. */
async function tenantWithEndpoint(environment: Environment = "test") {
  const { tenantId, key } = await h.newTenantWithKey(environment);
  await h.db(environment).insert(webhookEndpoints).values({
    id: newId(),
    tenantId,
    url: "https://hooks.example.com/in",
    description: null,
    events: ["client.created", "client.updated", "client.deleted"],
    secret: "whsec_test",
    createdAt: new Date().toISOString(),
  });
  return { tenantId, key };
}

/** A client with a few entries (created with children and a link, updated), deleted when `deleted`. */
async function clientWithHistory(key: string, options: { linkTo?: string; deleted: boolean; env?: Environment }) {
  const env = options.env ?? "test";
  const x = uniq();
  const created = await h.post(
    "/clients/sync",
    {
      client: { type: "individual", name: `P ${x}`, externalId: `p-${x}` },
      addresses: [{ street: "S", city: "C", state: "ST", postalCode: "1000" }],
      contactMethods: [{ value: `p-${x}@example.com` }],
      linkedClients: options.linkTo ? [{ clientId: options.linkTo }] : [],
    },
    { key, env },
  );
  expect(created.status, created.text).toBe(200);
  const id = created.body.client.id as string;
  expect((await h.post("/clients/sync", { clientId: id, client: { name: `P2 ${x}` } }, { key, env })).status).toBe(200);
  if (options.deleted) expect((await h.delete(`/clients/${id}`, { key, env })).status).toBe(200);
  return id;
}

/** Moves every entry of a client to `at` (its deletion included), as if it had all happened then. */
async function backdate(id: string, at: number, environment: Environment = "test") {
  await h.binding(environment).prepare("UPDATE client_history SET at = ? WHERE client_id = ? AND part = 0").bind(new Date(at).toISOString(), id).run();
}

describe("purge (src/db/purge.ts)", () => {
  it("erases the history and outbox rows of clients deleted before retention, and nothing else", async () => {
    const now = new Date();
    const cutoff = Date.parse(retentionCutoff(now, RETENTION_YEARS));
    const one = await tenantWithEndpoint();
    const two = await tenantWithEndpoint();

    const live = await clientWithHistory(one.key, { deleted: false });
    const expired = await clientWithHistory(one.key, { deleted: true, linkTo: live });
    const recent = await clientWithHistory(one.key, { deleted: true });
    const otherExpired = await clientWithHistory(two.key, { deleted: true });
    const otherRecent = await clientWithHistory(two.key, { deleted: true });
    await backdate(live, cutoff - 20 * 365 * DAY); // old entries, never deleted
    await backdate(expired, cutoff - DAY);
    await backdate(recent, cutoff + DAY);
    await backdate(otherExpired, cutoff - 400 * DAY);
    await backdate(otherRecent, cutoff + DAY);
    // The other environment's database: a client deleted long ago there is not this purge's.
    const liveTenant = await tenantWithEndpoint("live");
    const elsewhere = await clientWithHistory(liveTenant.key, { deleted: true, env: "live" });
    await backdate(elsewhere, cutoff - DAY, "live");

    const mine = [live, expired, recent, otherExpired, otherRecent];
    const before = await snapshot("test");
    const liveBefore = await snapshot("live");
    for (const id of mine) expect(before.history.some((r) => r.client_id === id), id).toBe(true);
    for (const id of [expired, recent, otherExpired]) expect(before.outbox.some((r) => r.client_id === id), id).toBe(true);
    expect((await h.get(`/clients/${expired}/history`, { key: one.key })).status).toBe(200);

    const erased = await purgeExpired(executor("test"), retentionCutoff(now, RETENTION_YEARS));

    const gone = new Set([expired, otherExpired]);
    const ours = erased.filter((e) => mine.includes(e.clientId));
    expect(ours.map((e) => e.clientId).sort()).toEqual([...gone].sort());
    const expiredEntries = before.history.filter((r: any) => r.client_id === expired && r.part === 0).length;
    expect(ours.find((e) => e.clientId === expired)).toEqual({
      tenantId: one.tenantId,
      clientId: expired,
      deletedAt: new Date(cutoff - DAY).toISOString(),
      entries: expiredEntries,
      rows: before.history.filter((r) => r.client_id === expired).length,
      events: before.outbox.filter((r) => r.client_id === expired).length,
      files: 0, // run without a bucket: files are test/files/purge.test.ts's
    });
    expect(expiredEntries).toBe(3);
    expect(ours.find((e) => e.clientId === otherExpired)!.tenantId).toBe(two.tenantId);

    // Exactly their rows went: every other row of the database is as it was.
    const after = await snapshot("test");
    const erasedIds = new Set(erased.map((e) => e.clientId));
    expect(after.history).toEqual(before.history.filter((r) => !erasedIds.has(r.client_id)));
    expect(after.outbox).toEqual(before.outbox.filter((r) => !erasedIds.has(r.client_id)));
    expect(after.counts).toEqual(before.counts);
    expect(await snapshot("live")).toEqual(liveBefore);
    for (const id of gone) {
      expect(await h.rows("test", clientHistory, { clientId: id })).toEqual([]);
      expect(await h.rows("test", eventOutbox, { clientId: id })).toEqual([]);
    }

    // Through the API: the erased client is unknown now; the others' records are whole.
    expect((await h.get(`/clients/${expired}/history`, { key: one.key })).status).toBe(404);
    for (const [id, key] of [
      [live, one.key],
      [recent, one.key],
      [otherRecent, two.key],
    ] as const) {
      expect((await h.get(`/clients/${id}/history`, { key })).body.data.length, id).toBeGreaterThanOrEqual(2);
    }
    expect((await h.get(`/clients/${live}`, { key: one.key })).status).toBe(200);

    // Run again: nothing left to erase.
    expect((await purgeExpired(executor("test"), retentionCutoff(now, RETENTION_YEARS))).filter((e) => mine.includes(e.clientId))).toEqual([]);
  });

  it("keeps a live client whose linked client's DELETE, past retention, appended a `delete` entry to it", async () => {
    const now = new Date();
    const cutoff = Date.parse(retentionCutoff(now, RETENTION_YEARS));
    const { key } = await tenantWithEndpoint();
    const child = await clientWithHistory(key, { deleted: false });
    const parent = await clientWithHistory(key, { deleted: false, linkTo: child });
    expect((await h.delete(`/clients/${child}`, { key })).status).toBe(200);
    // The DELETE removed the parent's link: its last entry is a `delete` entry, though it lives on.
    const [last] = (await h.binding("test").prepare("SELECT operation FROM client_history WHERE client_id = ? AND part = 0 ORDER BY sequence DESC LIMIT 1").bind(parent).all<{ operation: string }>()).results;
    expect(last!.operation).toBe("delete");
    await backdate(parent, cutoff - 2 * DAY);
    await backdate(child, cutoff - 2 * DAY);
    const parentRows = await h.rows("test", clientHistory, { clientId: parent });

    const erased = await purgeExpired(executor("test"), retentionCutoff(now, RETENTION_YEARS));
    expect(erased.map((e) => e.clientId)).toContain(child);
    expect(erased.map((e) => e.clientId)).not.toContain(parent);
    expect(await h.rows("test", clientHistory, { clientId: parent })).toEqual(parentRows);
    expect((await h.get(`/clients/${parent}/history`, { key })).body.data.length).toBe(parentRows.filter((r) => r.part === 0).length);
    // Later deleted itself, within retention: still kept (its own deletion is what counts).
    expect((await h.delete(`/clients/${parent}`, { key })).status).toBe(200);
    expect((await purgeExpired(executor("test"), retentionCutoff(now, RETENTION_YEARS))).map((e) => e.clientId)).not.toContain(parent);
    expect((await h.rows("test", clientHistory, { clientId: parent })).length).toBeGreaterThan(parentRows.length);
  });

  it("works through a backlog in bounded batches", async () => {
    const now = new Date();
    const cutoff = Date.parse(retentionCutoff(now, RETENTION_YEARS));
    const { key } = await tenantWithEndpoint();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await clientWithHistory(key, { deleted: true });
      await backdate(id, cutoff - (i + 1) * DAY);
      ids.push(id);
    }
    let batches = 0;
    const counting = async (statements: string[]) => {
      batches++;
      expect(statements).toHaveLength(3);
      return executor("test")(statements);
    };
    const erased = await purgeExpired(counting, retentionCutoff(now, RETENTION_YEARS), 1);
    // Oldest deletion first, one client a batch, and one more batch that finds none.
    expect(erased.map((e) => e.clientId)).toEqual([...ids].reverse());
    expect(batches).toBe(4);
    expect(PURGE_BATCH_CLIENTS).toBeGreaterThan(1);
  });

  it("finds deleted clients through the partial index client_history_deletions, and erases by primary key", async () => {
    const d1 = h.binding("test");
    const plans: string[][] = [];
    for (const sql of purgeBatchStatements(retentionCutoff(new Date(), RETENTION_YEARS))) {
      plans.push((await d1.prepare(`EXPLAIN QUERY PLAN ${sql}`).all<{ detail: string }>()).results.map((r) => r.detail));
    }
    for (const plan of plans) {
      expect(plan.some((d) => d.includes("client_history_deletions")), plan.join("\n")).toBe(true);
      expect(plan.filter((d) => /^SCAN /.test(d)), plan.join("\n")).toEqual([]);
    }
    expect(plans[1]!.some((d) => /event_outbox USING (COVERING )?INDEX event_outbox_client/.test(d)), plans[1]!.join("\n")).toBe(true);
    expect(plans[2]!.some((d) => /client_history USING (COVERING )?(PRIMARY KEY|INDEX sqlite_autoindex)/.test(d)), plans[2]!.join("\n")).toBe(true);
  });

  it("counts retention in calendar years", () => {
    expect(retentionCutoff(new Date("2036-11-27T10:00:00.000Z"), 10)).toBe("2026-11-27T10:00:00.000Z");
    expect(() => retentionCutoff(new Date(), 0)).toThrow();
    expect(() => retentionCutoff(new Date(), 1.5)).toThrow();
  });
});
