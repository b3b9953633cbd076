// A database that is full or overloaded (issue 20, item 3): D1 answers such a batch with one of its
// sentences (developers.cloudflare.com/d1/observability/debug-d1) after rolling it back. Here the
// binding plays it: the batch's statements really run, then the batch fails inside its transaction
// (FAILING_SQL) and rolls back, and D1's exact sentence is what the app sees. Every such answer is a
// 503 SERVICE_UNAVAILABLE with Retry-After, logged, nothing written; the same request then succeeds.
// Any other database error stays a 500 (test/reliability/faults.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { RETRY_AFTER_SECONDS, unavailabilityOf } from "../../src/db/unavailable";
import { FAILING_SQL } from "../support/d1-guard";
import { interceptBatches } from "../support/batch-hook";
import { createHarness } from "../support/harness";
import { clabe } from "../sync/helpers";
import { idempotencyKeys } from "../../src/db/schema";
import { expectProblem, snapshot } from "./support";

/** What D1 (production) and SQLite (a local file that cannot grow) say, as each reaches a Worker. */
const FULL = ["D1_ERROR: Exceeded maximum DB size.", "D1_ERROR: database or disk is full: SQLITE_FULL"];
const OVERLOADED = [
  "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
  "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
  "D1_ERROR: D1 DB exceeded its CPU time limit and was reset.",
  "D1_ERROR: D1 DB's isolate exceeded its memory limit and was reset.",
  "D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.",
  "D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.",
  "D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.",
  "D1_ERROR: Network connection lost.",
];

/** The message the next batches fail with, and which batch calls (of the request) fail. */
let failure: { message: string; batches: (call: number, statements: number) => boolean } | undefined;
let calls = 0;
afterEach(() => {
  failure = undefined;
  calls = 0;
});

const h = createHarness({
  wrapBinding: (binding) =>
    interceptBatches(binding, async (statements, connection) => {
      const call = calls++;
      if (!failure?.batches(call, statements.length)) return connection.batch(statements);
      // The statements run, then the batch fails inside its transaction: all of it rolls back.
      await expect(connection.batch([...statements, connection.prepare(FAILING_SQL)])).rejects.toThrow();
      throw new Error(failure.message, { cause: new Error(failure.message) });
    }),
});

/** Fails every batch of more than one statement from the request's `from`-th batch on (0: the key's read). */
const writesFail = (message: string) => ({ message, batches: (_call: number, statements: number) => statements > 1 && _call > 0 });

describe("D1's sentences", () => {
  it.each(FULL)("%s is a full database", (message) => {
    expect(unavailabilityOf(new Error(message))).toBe("full");
    expect(unavailabilityOf(new Error("Failed query", { cause: new Error(message) }))).toBe("full");
  });
  it.each(OVERLOADED)("%s is an overloaded database", (message) => {
    expect(unavailabilityOf(new Error(message))).toBe("overloaded");
  });
  it.each(["D1_ERROR: UNIQUE constraint failed: clients.id: SQLITE_CONSTRAINT", "D1_ERROR: malformed JSON", "D1_ERROR: no such table: x", "boom"])(
    "%s is neither",
    (message) => expect(unavailabilityOf(new Error(message))).toBeNull(),
  );
});

describe("a write that finds the database full or overloaded", () => {
  const cases = [...FULL.map((m) => ["full", m] as const), ...OVERLOADED.map((m) => ["overloaded", m] as const)];

  it.each(cases)("sync, %s (%s): 503 with Retry-After, logged, nothing written; then the same sync succeeds", async (kind, message) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const externalId = `unavail-${crypto.randomUUID()}`;
    const body = {
      client: { type: "individual", name: "Ana", externalId },
      contactMethods: [{ value: "a@b.co", externalId: "c1", isPrimary: true }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: "b1" }],
    };
    const before = await snapshot(h, tenantId);
    const logged = h.logs.length;
    failure = writesFail(message);
    const res = await h.post("/clients/sync", body, { key });
    failure = undefined;
    expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(res.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS[kind]));
    expect(res.text).not.toMatch(/D1_|sqlite|overloaded\. Too|SQLITE/);
    expect(res.body.errors).toEqual([]);
    expect(h.logs.length).toBe(logged + 1);
    expect(h.logs.at(-1)!.message).toBe(`database ${kind}`);
    expect(h.logs.at(-1)!.details.requestId).toBe(res.body.requestId);
    expect(await snapshot(h, tenantId)).toEqual(before);

    const again = await h.post("/clients/sync", body, { key });
    expect(again.status, again.text).toBe(200);
    expect(again.body.client.externalId).toBe(externalId);
  });

  it("batch (atomic and not) and DELETE: 503, nothing written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const seeded = await h.seedClient("test", tenantId);
    for (const send of [
      () => h.post("/clients/batch", { atomic: true, items: [{ type: "company", name: "Hexa", externalId: `b-${crypto.randomUUID()}` }] }, { key }),
      () => h.post("/clients/batch", { atomic: false, items: [{ type: "company", name: "Hexa", externalId: `b-${crypto.randomUUID()}` }] }, { key }),
      () => h.delete(`/clients/${seeded.id}`, { key }),
    ]) {
      const before = await snapshot(h, tenantId);
      failure = writesFail(FULL[0]!);
      const res = await send();
      failure = undefined;
      expectProblem(res, 503, "SERVICE_UNAVAILABLE");
      expect(res.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS.full));
      expect(await snapshot(h, tenantId)).toEqual(before);
      const again = await send();
      expect(again.status, again.text).toBe(200);
    }
  });

  it("under an Idempotency-Key: the 503 is not stored; the retry with the same key runs and answers 200", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = { client: { type: "company", name: "Hexa", externalId: `k-${crypto.randomUUID()}` } };
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    failure = writesFail(OVERLOADED[0]!);
    const res = await h.post("/clients/sync", body, { key, headers });
    failure = undefined;
    expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(0);
    const again = await h.post("/clients/sync", body, { key, headers });
    expect(again.status, again.text).toBe(200);
    const replay = await h.post("/clients/sync", body, { key, headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(again.body);
  });

  it("a read that finds the database overloaded (the key's own read included): 503, not 500", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    failure = { message: OVERLOADED[1]!, batches: () => true };
    const res = await h.get(`/clients/${client.id}`, { key });
    failure = undefined;
    expectProblem(res, 503, "SERVICE_UNAVAILABLE");
    expect(res.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS.overloaded));
    expect((await h.get(`/clients/${client.id}`, { key })).status).toBe(200);
  });
});
