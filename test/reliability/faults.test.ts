// Fault injection (issue 5, item 5): D1 fails at EVERY statement position of a request — the key
// lookup, each read, each statement of the write batch — one position per run. Whatever fails:
//   - the caller gets a problem answer (500) with its request id, logged with that id — never a 200;
//   - both databases are unchanged: every row of the tenant, every table's row count;
//   - nothing was half-done: the same request then succeeds, exactly once.
// test/sync/atomicity.test.ts does this for the write batch of a representative sync; here: POST
// /clients/batch (atomic and not, small and split into several INSERTs), DELETE /clients/{id}, the
// reads of GET and of sync, and both write endpoints under an Idempotency-Key (whose answer is
// stored by the same batch as the writes).
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { ApiResponse, RequestOptions } from "../support/harness";
import { createHarness } from "../support/harness";
import { clabe } from "../sync/helpers";
import { expectProblem, figures, rowsIn, snapshot } from "./support";

const h = createHarness();
// Every test here sends its request once per statement (a fault at each): seconds on a loaded
// machine, past vitest's 5 s default. An explicit timeout, so that only a hang fails.
const SLOW = { timeout: 30_000 };
const stats = figures("faults", ["faults injected", "answered 200 despite a fault", "records lost or half-written"]);
const positionsOf: string[] = [];
afterAll(() => {
  stats.print();
  console.log(`[reliability] faults: positions per scenario: ${positionsOf.join("; ")}`);
});
afterEach(() => {
  h.guard.failStatement = undefined;
});

interface Scenario {
  /** A fresh tenant and data; returns the request to break. */
  setup(): Promise<{ tenantId: string; send: () => Promise<ApiResponse> }>;
  /** Checks the answer of the request once it succeeds. */
  succeeded?(res: ApiResponse): void;
}

/**
 * Runs the scenario once without faults to count its statements, then once per statement position
 * with that statement failing inside D1. Returns the number of positions.
 */
async function failEveryStatement(label: string, scenario: Scenario, only?: (sql: string, roundTrip: number) => boolean): Promise<number> {
  const probe = await scenario.setup();
  const ok = await probe.send();
  expect(ok.status, ok.text.slice(0, 500)).toBe(200);
  scenario.succeeded?.(ok);
  const positions = ok.stats.statements.map((s, ordinal) => ({ ordinal, sql: s.sql, roundTrip: s.roundTrip })).filter((s) => only?.(s.sql, s.roundTrip) ?? true);
  expect(positions.length).toBeGreaterThan(0);
  positionsOf.push(`${label} ${positions.length}`);

  for (const { ordinal, sql } of positions) {
    const what = `${label}, statement ${ordinal} (${sql.slice(0, 60).replace(/\s+/g, " ")})`;
    const { tenantId, send } = await scenario.setup();
    const before = await snapshot(h, tenantId);
    const logged = h.logs.length;
    let injected = 0;
    h.guard.failStatement = (info) => {
      const hit = info.record.statementCount === ordinal && injected === 0;
      if (hit) injected++;
      return hit;
    };
    const res = await send();
    h.guard.failStatement = undefined;
    expect(injected, what).toBe(1);
    stats.add("faults injected");
    if (res.status === 200) stats.add("answered 200 despite a fault");
    expectProblem(res, 500, "INTERNAL_SERVER_ERROR");
    expect(res.text, what).not.toMatch(/sqlite|D1_|json\(|select |insert |update |delete /i);
    expect(h.logs.length, what).toBe(logged + 1);
    expect(h.logs.at(-1)!.details.requestId, what).toBe(res.body.requestId);
    const after = await snapshot(h, tenantId);
    if (JSON.stringify(after) !== JSON.stringify(before)) stats.add("records lost or half-written");
    expect(after, what).toEqual(before);
    stats.add("rows compared", rowsIn(before));
    // Nothing half-done: the same request now succeeds.
    const retry = await send();
    expect(retry.status, `${what}, retry: ${retry.text.slice(0, 300)}`).toBe(200);
    scenario.succeeded?.(retry);
  }
  return positions.length;
}

const address = (over: Record<string, unknown> = {}) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", ...over });

/** A client graph touching every table, written through the API; and a client that links to it. */
async function seedGraph(key: string) {
  const ext = `g-${crypto.randomUUID().slice(0, 8)}`;
  const res = await h.post(
    "/clients/sync",
    {
      client: { type: "individual", name: "Ana", externalId: ext, metadata: { v: 1 } },
      addresses: [address({ externalId: "a1", isPrimary: true }), address({ externalId: "a2" })],
      contactMethods: [{ value: "a@b.co", externalId: "c1", isPrimary: true }, { value: "5512345678", externalId: "c2" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: "b1" }],
      documents: [{ type: "ine", externalId: "d1" }, { type: "passport", externalId: "d2" }],
      linkedClients: [
        { child: { type: "individual", name: "Rep", externalId: `${ext}-rep` }, relationshipType: "legal_representative" },
        { child: { type: "individual", name: "Gone", externalId: `${ext}-gone` } },
      ],
    },
    { key },
  );
  expect(res.status, res.text).toBe(200);
  const id = res.body.client.id as string;
  const parent = await h.post("/clients/sync", { client: { type: "company", name: "Parent", externalId: `${ext}-parent` }, linkedClients: [{ clientId: id }] }, { key });
  expect(parent.status, parent.text).toBe(200);
  return { id, ext };
}

/** A sync that creates, updates and deletes in every list and in links. */
const representativeSync = (g: { id: string; ext: string }) => ({
  clientId: g.id,
  client: { name: "Ana María", metadata: { v: 2 } },
  addresses: [{ externalId: "a1", city: "Puebla" }, { externalId: "a2", _delete: true }, address({ externalId: "a3", isPrimary: true })],
  contactMethods: [{ externalId: "c2", label: "work" }, { value: "new@b.co", externalId: "c3", isPrimary: true }, { externalId: "c1", _delete: true }],
  bankAccounts: [{ externalId: "b1", isActive: false }, { accountNumber: "2", bankName: "B", currency: "USD", country: "US", externalId: "b2" }],
  documents: [{ externalId: "d1", fields: { n: 1 } }, { externalId: "d2", _delete: true }, { type: "rfc", category: "tax", externalId: "d3" }],
  linkedClients: [
    { child: { externalId: `${g.ext}-rep`, lastName: "Pérez" }, relationshipType: "guarantor" },
    { child: { externalId: `${g.ext}-gone` }, _delete: true },
    { child: { type: "company", name: "New Co", externalId: `${g.ext}-co` } },
  ],
});

let run = 0;
const items = (n: number, over: (i: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({ type: "individual", name: `N${i}`, externalId: `x-${++run}-${i}`, ...over(i) }));

describe("POST /clients/batch: a fault at any statement leaves both databases unchanged", () => {
  it.each([true, false])("atomic: %s, three items", SLOW, async (atomic) => {
    const n = await failEveryStatement(`batch atomic=${atomic}`, {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        await h.seedClient("test", tenantId, { externalId: "taken" });
        await h.createKey({ env: "live", tenantId });
        const body = { atomic, items: items(3) };
        return { tenantId, send: () => h.post("/clients/batch", body, { key }) };
      },
    });
    expect(n).toBeGreaterThanOrEqual(3); // key lookup, conflict read, the write
  });

  it("atomic: false with an invalid and a conflicting item (a partial-success answer)", SLOW, async () => {
    await failEveryStatement("batch partial", {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        await h.seedClient("test", tenantId, { externalId: "taken" });
        const body = { atomic: false, items: [...items(2), { type: "individual", name: "Dup", externalId: "taken" }, { type: "nope", name: "Bad" }] };
        return { tenantId, send: () => h.post("/clients/batch", body, { key }) };
      },
      succeeded(res) {
        expect(res.body.failed.map((f: { index: number }) => f.index)).toEqual([2, 3]);
      },
    });
  });

  it.each([true, false])("atomic: %s, 250 items of ~15 KB written by several INSERT statements", { timeout: 120_000 }, async (atomic) => {
    const n = await failEveryStatement(`big batch atomic=${atomic}`, {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        const body = JSON.stringify({ atomic, items: items(250, (i) => ({ metadata: { i, pad: "ñ".repeat(7_000) } })) });
        return { tenantId, send: () => h.post("/clients/batch", body, { key, headers: { "content-type": "application/json" } }) };
      },
      succeeded(res) {
        expect(res.body.data).toHaveLength(250);
      },
    });
    const inserts = n - 2;
    expect(inserts, "the write is split into several statements").toBeGreaterThanOrEqual(2);
  });
});

describe("DELETE /clients/{id}: a fault at any statement leaves both databases unchanged", () => {
  it("a client with children in every table, links both ways", SLOW, async () => {
    const n = await failEveryStatement("delete", {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        await h.createKey({ env: "live", tenantId });
        const g = await seedGraph(key);
        return { tenantId, send: () => h.delete(`/clients/${g.id}`, { key }) };
      },
      succeeded(res) {
        expect(res.body.deleted).toBe(true);
      },
    });
    expect(n).toBeGreaterThanOrEqual(8); // key lookup + the 7-statement batch
  });
});

describe("reads: a fault answers a problem, never a partial 200", () => {
  it.each([
    ["GET /clients/{id}", (id: string) => `/clients/${id}`],
    ["GET /clients", () => `/clients?limit=5`],
  ])("%s", SLOW, async (label, path) => {
    await failEveryStatement(label, {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        const g = await seedGraph(key);
        return { tenantId, send: () => h.get(path(g.id), { key }) };
      },
    });
  });

  it("POST /clients/sync: the key lookup and every statement of the read batch (its write batch: test/sync/atomicity.test.ts)", { timeout: 60_000 }, async () => {
    const n = await failEveryStatement(
      "sync reads",
      {
        async setup() {
          const { tenantId, key } = await h.newTenantWithKey();
          const g = await seedGraph(key);
          const body = representativeSync(g);
          return { tenantId, send: () => h.post("/clients/sync", body, { key }) };
        },
      },
      (sql) => /^\s*select/i.test(sql),
    );
    expect(n).toBeGreaterThanOrEqual(2);
  });
});

describe("Idempotency-Key: a fault anywhere stores no answer, and the retry with the same key is applied once", () => {
  /** Sends with the key; the retry after the fault must be a first answer, the next one its replay. */
  function keyed(send: (options: RequestOptions) => Promise<ApiResponse>) {
    const idempotencyKey = `k-${crypto.randomUUID()}`;
    let first: ApiResponse | undefined;
    return {
      send: async () => {
        const res = await send({ headers: { "idempotency-key": idempotencyKey } });
        if (res.status === 200 && !first) {
          first = res;
          expect(res.headers.get("idempotent-replayed")).toBeNull();
          // Applied once: the third call replays the second's bytes.
          const replay = await send({ headers: { "idempotency-key": idempotencyKey } });
          expect(replay.status).toBe(200);
          expect(replay.headers.get("idempotent-replayed")).toBe("true");
          expect(replay.text).toBe(res.text);
          stats.add("replays checked");
        }
        return res;
      },
    };
  }

  it.each([true, false])("POST /clients/batch (atomic: %s)", SLOW, async (atomic) => {
    await failEveryStatement(`idempotent batch atomic=${atomic}`, {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        await h.seedClient("test", tenantId, { externalId: "taken" });
        const body = { atomic, items: [...items(3), ...(atomic ? [] : [{ type: "individual", name: "T", externalId: "taken" }])] };
        const k = keyed((o) => h.post("/clients/batch", body, { key, ...o }));
        return { tenantId, send: k.send };
      },
    });
  });

  it("POST /clients/sync (a representative sync: creates, updates and deletes in every list and in links)", { timeout: 180_000 }, async () => {
    const n = await failEveryStatement("idempotent sync", {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        await h.createKey({ env: "live", tenantId });
        const g = await seedGraph(key);
        const body = representativeSync(g);
        const k = keyed((o) => h.post("/clients/sync", body, { key, ...o }));
        return { tenantId, send: k.send };
      },
      succeeded(res) {
        expect(res.body.action).toBe("updated");
      },
    });
    expect(n).toBeGreaterThanOrEqual(10);
  });

  it("a no-op sync under a key (it writes only its answer)", SLOW, async () => {
    await failEveryStatement("idempotent no-op sync", {
      async setup() {
        const { tenantId, key } = await h.newTenantWithKey();
        const g = await seedGraph(key);
        const k = keyed((o) => h.post("/clients/sync", { clientId: g.id, client: { name: "Ana" } }, { key, ...o }));
        return { tenantId, send: k.send };
      },
      succeeded(res) {
        expect(res.body.action).toBe("unchanged");
      },
    });
  });
});
