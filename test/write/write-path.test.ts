// The one write path (src/write/runner.ts) under a change made by another request between an
// operation's read and its write batch, deterministically: an app whose D1 binding runs a hook
// before each batch of the request. DELETE now decides from a read too; the same Idempotency-Key
// completed meanwhile is replayed, for sync as for batch.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { addresses, clientLinks, clients, idempotencyKeys } from "../../src/db/schema";
import { emptyRecord, type RequestRecord } from "../support/d1-guard";
import { interceptBatches } from "../support/batch-hook";
import { createHarness } from "../support/harness";
import { uniq } from "../sync/helpers";

const h = createHarness();

/** Sends one request through an app that awaits `beforeBatch(n)` before the request's n-th D1 batch (0: the read, with the API key lookup). */
function hooked(beforeBatch: (call: number) => Promise<void>) {
  const app = createApp({
    wrapDatabase: (binding, request) => {
      let call = 0;
      return interceptBatches(h.guard.wrap(binding, request), async (statements, connection) => {
        await beforeBatch(call++);
        return connection.batch(statements);
      });
    },
    logError: (message, details) => h.logs.push({ message, details }),
  });
  return async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
    const before = h.guard.records.length;
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: { "content-type": "application/json", "x-environment": "test", authorization: `Bearer ${key}`, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      h.env,
      ctx,
    );
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    const stats: RequestRecord = h.guard.records[before] ?? emptyRecord();
    return { status: response.status, headers: response.headers, text, body: JSON.parse(text), stats };
  };
}

/** Once, before the request's write batch (batch 1: after the API key with the read). */
function beforeTheWrite(run: () => Promise<void>) {
  let done = false;
  return async (call: number) => {
    if (call === 1 && !done) { // the key lookup shares the first round trip
      done = true;
      await run();
    }
  };
}

const address = (externalId: string) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", externalId });

/** A client with an address, and a parent client that links to it. */
async function clientWithParent(key: string) {
  const ext = `d-${uniq()}`;
  const child = await h.post("/clients/sync", { client: { type: "individual", name: "Ana", externalId: ext }, addresses: [address(`${ext}-a`)] }, { key });
  expect(child.status, child.text).toBe(200);
  const id = child.body.client.id as string;
  const parent = await h.post("/clients/sync", { client: { type: "company", name: "Parent", externalId: `${ext}-p` }, linkedClients: [{ clientId: id }] }, { key });
  expect(parent.status, parent.text).toBe(200);
  return { id, parentId: parent.body.client.id as string };
}

describe("DELETE /clients/{id} decides from a read, and its batch re-checks it", () => {
  it("a client another request deleted between the read and the write: 404, and only the other delete happened", async () => {
    const { key } = await h.newTenantWithKey();
    const { id, parentId } = await clientWithParent(key);
    const [parentBefore] = await h.rows("test", clients, { id: parentId });
    let rival: number | undefined;
    const send = hooked(
      beforeTheWrite(async () => {
        rival = (await h.delete(`/clients/${id}`, { key })).status;
      }),
    );

    const res = await send("DELETE", `/clients/${id}`, key);
    expect(rival).toBe(200);
    expect(res.status, res.text).toBe(404);
    expect(res.body.code).toBe("NOT_FOUND");
    // The API key with the read, the write refused by its guard (with its lookup keys' UPDATE and the
    // completeness column's, API.md §16), the read again (the client is gone).
    expect(res.stats.batchSizes).toEqual([5, 12, 4]); // the key lookup shares the first round trip
    expect(res.stats.rowsWritten).toBe(0);
    expect(await h.rows("test", clients, { id })).toEqual([]);
    expect(await h.rows("test", addresses, { clientId: id })).toEqual([]);
    // The parent lost its link once: its version moved once, by the other request.
    const [parentAfter] = await h.rows("test", clients, { id: parentId });
    expect(parentAfter!.version).toBe(parentBefore!.version + 1);
  });

  it("a client another request changed between the read and the write is deleted with that change", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const { id, parentId } = await clientWithParent(key);
    let rival: number | undefined;
    const send = hooked(
      beforeTheWrite(async () => {
        const res = await h.post("/clients/sync", { clientId: id, addresses: [address(`late-${uniq()}`)], linkedClients: [{ child: { type: "individual", name: "Late" } }] }, { key });
        rival = res.status;
      }),
    );

    const res = await send("DELETE", `/clients/${id}`, key);
    expect(rival).toBe(200);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id, deleted: true });
    // Nothing of the client is left, what the other request added included; the clients it was
    // linked to stay (the parent, and the new linked client).
    expect(await h.rows("test", clients, { id })).toEqual([]);
    expect(await h.rows("test", addresses, { clientId: id })).toEqual([]);
    expect(await h.rows("test", clientLinks, { parentClientId: id })).toEqual([]);
    expect(await h.rows("test", clientLinks, { childClientId: id })).toEqual([]);
    const names = (await h.rows("test", clients, { tenantId })).map((c) => c.name).sort();
    expect(names).toEqual(["Late", "Parent"]);
    expect((await h.get(`/clients/${parentId}`, { key })).body.linkedClients).toEqual([]);
  });
});

describe("the same Idempotency-Key completed by another request between the read and the write", () => {
  it("POST /clients/sync replays the answer the other request stored, and writes nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = { client: { type: "individual", name: "Ana", externalId: `i-${uniq()}` }, addresses: [address(`i-${uniq()}`)] };
    let rival: { status: number; text: string } | undefined;
    const send = hooked(
      beforeTheWrite(async () => {
        rival = await h.post("/clients/sync", body, { key, headers: { "idempotency-key": idem } });
      }),
    );

    const res = await send("POST", "/clients/sync", key, body, { "idempotency-key": idem });
    expect(rival!.status, rival!.text).toBe(200);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
    expect(res.text).toBe(rival!.text);
    // The API key with the read (and the key's record), the write refused on the key, then the
    // record alone (not a new read and plan).
    expect(res.stats.batchSizes.length).toBe(3); // the key lookup shares the first round trip
    expect(res.stats.batchSizes.at(-1)).toBe(1);
    expect(res.stats.rowsWritten).toBe(0);
    expect(await h.count("test", clients, tenantId)).toBe(1);
    expect(await h.count("test", addresses, tenantId)).toBe(1);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(1);
  });
});
