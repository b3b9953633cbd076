// A local database that another process holds locked for a moment (`npm run apikey` while
// `npm start` serves): local D1 then fails the batch with "Failed to get session commit token"
// (or SQLITE_BUSY) from inside the batch's transaction, which rolls back. runBatch runs such a batch
// again (src/db/busy.ts). Here the binding plays that lock: a locked attempt really runs the
// batch's statements, then fails and rolls back, and answers the message local D1 answers.
// test/scripts/local-commands.node.test.ts shows the real thing (a real lock, under load).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { isBusyDatabaseError } from "../../src/db/busy";
import { clients } from "../../src/db/schema";
import { FAILING_SQL } from "../support/d1-guard";
import { interceptBatches } from "../support/batch-hook";
import { createHarness } from "../support/harness";

const h = createHarness();

/** What local D1 answered in `npm start`'s log when `npm run apikey` held the lock. */
const LOCKED = "D1_ERROR: Failed to get session commit token: internal error; reference = 51rrhpk9r0gdap4mgtu490ni";

/** The batch calls (attempts included) of the current test, and which of them find the lock. */
let calls = 0;
let locked: (call: number) => boolean = () => false;
let otherError: string | undefined;
afterEach(() => {
  calls = 0;
  locked = () => false;
  otherError = undefined;
});

/** The binding, with the lock played on the batch calls `locked` picks. */
function lockable(binding: D1Database): D1Database {
  return interceptBatches(binding, async (statements, connection) => {
    const call = calls++;
    if (otherError !== undefined) throw new Error(otherError);
    if (!locked(call)) return connection.batch(statements);
    // The statements run, then the batch fails inside its transaction: all of it rolls back.
    await expect(connection.batch([...statements, connection.prepare(FAILING_SQL)])).rejects.toThrow();
    throw new Error(LOCKED);
  });
}

const logs: unknown[] = [];
const app = createApp({
  wrapDatabase: (binding, request) => h.guard.wrap(lockable(binding), request),
  logError: (message, details) => logs.push({ message, details }),
});

async function send(method: string, path: string, key: string, body?: unknown) {
  const headers = new Headers({ "x-environment": "test", authorization: `Bearer ${key}` });
  if (body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, h.env, ctx);
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  const records = h.guard.recordsOf(request);
  return { status: response.status, text, body: text === "" ? null : JSON.parse(text), roundTrips: records.reduce((n, r) => n + r.roundTrips, 0) };
}

const item = (externalId: string) => ({ type: "company", name: "Hexa", externalId });

describe("a batch that finds the local database locked", () => {
  it("the errors local D1 gives for a lock are recognised, and no other", () => {
    expect(isBusyDatabaseError(new Error(LOCKED))).toBe(true);
    expect(isBusyDatabaseError(new Error("D1_ERROR: database is locked: SQLITE_BUSY"))).toBe(true);
    expect(isBusyDatabaseError(new Error("D1_ERROR: Wrapped", { cause: new Error("SQLITE_BUSY") }))).toBe(true);
    expect(isBusyDatabaseError(new Error("D1_ERROR: UNIQUE constraint failed: clients.id: SQLITE_CONSTRAINT"))).toBe(false);
    expect(isBusyDatabaseError(new Error("D1_ERROR: malformed JSON"))).toBe(false);
    expect(isBusyDatabaseError("SQLITE_BUSY")).toBe(false);
  });

  it("a read is run again: GET answers 200, the same body as without the lock", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const client = await h.seedClient("test", tenantId);
    const free = await send("GET", `/clients/${client.id}`, key);
    expect(free.status).toBe(200);
    const freeCalls = calls;

    calls = 0;
    locked = (call) => call < 3; // the key lookup finds the lock three times
    const res = await send("GET", `/clients/${client.id}`, key);
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe(free.text);
    expect(calls).toBe(freeCalls + 3);
    expect(res.roundTrips).toBe(free.roundTrips + 3);
  });

  it("a write is run again and done once: every client of POST /clients/batch exists exactly once", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const probe = await send("POST", "/clients/batch", key, { items: [item("probe")] });
    expect(probe.status, probe.text).toBe(200);
    const write = calls - 1; // the write batch is the last call

    calls = 0;
    locked = (call) => call >= write && call < write + 3; // it finds the lock three times
    const res = await send("POST", "/clients/batch", key, { items: [item("a"), item("b")] });
    expect(res.status, res.text).toBe(200);
    expect(calls).toBe(write + 1 + 3);
    expect(res.body.data.map((c: { externalId: string }) => c.externalId)).toEqual(["a", "b"]);
    const rows = await h.rows("test", clients, { tenantId });
    expect(rows.map((r) => r.externalId).sort()).toEqual(["a", "b", "probe"]);
    // The ids answered are the ids stored: the answer is that of the attempt that committed.
    expect(rows.filter((r) => r.externalId !== "probe").map((r) => r.id).sort()).toEqual(res.body.data.map((c: { id: string }) => c.id).sort());
  });

  it("a lock that does not clear: 500 after 7 attempts (about a second), nothing written", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const before = logs.length;
    locked = () => true;
    const res = await send("POST", "/clients/batch", key, { items: [item("never")] });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe("INTERNAL_SERVER_ERROR");
    expect(res.text).not.toMatch(/SQLITE|D1_|session commit/i);
    expect(calls).toBe(7); // the key lookup: 1 + 6 retries, then the request fails
    expect(logs.length).toBe(before + 1);
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("any other error is not retried: one attempt, 500", async () => {
    const { key } = await h.newTenantWithKey();
    otherError = "D1_ERROR: no such table: api_keys: SQLITE_ERROR";
    const res = await send("GET", "/clients", key);
    expect(res.status).toBe(500);
    expect(calls).toBe(1);
  });
});
