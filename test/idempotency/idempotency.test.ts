// Idempotency-Key (API.md §8) on POST /clients/batch and POST /clients/sync: the first completed
// answer is stored with the writes it describes and replayed byte for byte; another body under the
// same key is a 422; a failed request stores nothing and may be retried.
import { describe, expect, it } from "vitest";
import { clients, idempotencyKeys } from "../../src/db/schema";
import { PART_BYTES } from "../../src/http/idempotency";
import { createHarness } from "../support/harness";
import { dumpTenant, uniq } from "../sync/helpers";

const h = createHarness();

const client = (externalId: string, extra: Record<string, unknown> = {}) => ({ type: "individual", name: "Ana", externalId, ...extra });
const keyed = (key: string, extra: Record<string, string> = {}) => ({ headers: { "idempotency-key": key, ...extra } });

describe("Idempotency-Key on POST /clients/batch", () => {
  it("replays the first answer byte for byte, with Idempotent-Replayed, writing nothing more", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = { items: [client(`a-${uniq()}`), client(`b-${uniq()}`)] };
    const idem = `k-${uniq()}`;
    const first = await h.post("/clients/batch", body, { key, ...keyed(idem) });
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const before = await dumpTenant(h, tenantId);

    const again = await h.post("/clients/batch", body, { key, ...keyed(idem) });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    // A replay is the API key lookup with the batch's one read round trip (externalIds and the
    // Idempotency-Key's record together), nothing else.
    expect(again.stats.batchSizes).toEqual([3]); // the key lookup shares the first round trip
    expect(again.stats.rowsWritten).toBe(0);
    expect(await h.count("test", clients, tenantId)).toBe(2);
  });

  it("stores the answer in the same batch as the clients it created", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post("/clients/batch", { items: [client(`a-${uniq()}`)] }, { key, ...keyed(`k-${uniq()}`) });
    expect(res.status).toBe(200);
    const writes = res.stats.statements.filter((s) => /^(insert|delete)/i.test(s.sql));
    expect(new Set(writes.map((s) => s.roundTrip)).size).toBe(1);
    expect(writes.some((s) => s.sql.includes('"idempotency_keys"'))).toBe(true);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(1);
  });

  it("answers 422 to the same key with another body, and writes nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    expect((await h.post("/clients/batch", { items: [client(`a-${uniq()}`)] }, { key, ...keyed(idem) })).status).toBe(200);
    const before = await dumpTenant(h, tenantId);
    const other = await h.post("/clients/batch", { items: [client(`b-${uniq()}`)] }, { key, ...keyed(idem) });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: "UNPROCESSABLE_CONTENT", status: 422 });
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("allows a retry after a failed request: failures are not stored", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const bad = { items: [client(`a-${uniq()}`, { name: "  " })] };
    expect((await h.post("/clients/batch", bad, { key, ...keyed(idem) })).status).toBe(400);
    expect((await h.post("/clients/batch", bad, { key, ...keyed(idem) })).status).toBe(400);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(0);
    const good = await h.post("/clients/batch", { items: [client(`a-${uniq()}`)] }, { key, ...keyed(idem) });
    expect(good.status).toBe(200);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("a write batch that fails stores neither the clients nor the answer, and the retry runs", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = { items: [client(`a-${uniq()}`)] };
    h.guard.failStatement = (info) => info.sql.includes('"idempotency_keys"') && /^insert/i.test(info.sql);
    try {
      const failed = await h.post("/clients/batch", body, { key, ...keyed(idem) });
      expect(failed.status).toBe(500);
    } finally {
      h.guard.failStatement = undefined;
    }
    expect(await h.count("test", clients, tenantId)).toBe(0);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(0);
    const retry = await h.post("/clients/batch", body, { key, ...keyed(idem) });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("two concurrent requests with one key and one body create the clients once and answer the same bytes", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = { items: [client(`a-${uniq()}`), client(`b-${uniq()}`)] };
    const answers = await Promise.all([1, 2, 3].map(() => h.post("/clients/batch", body, { key, ...keyed(idem) })));
    for (const res of answers) expect(res.status).toBe(200);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(await h.count("test", clients, tenantId)).toBe(2);
  });

  it("keys are per tenant and per environment", async () => {
    const a = await h.newTenantWithKey();
    const b = await h.newTenantWithKey();
    const live = await h.createKey({ env: "live", tenantId: a.tenantId });
    const idem = `k-${uniq()}`;
    const body = { items: [client(`a-${uniq()}`)] };
    const first = await h.post("/clients/batch", body, { key: a.key, ...keyed(idem) });
    const otherTenant = await h.post("/clients/batch", body, { key: b.key, ...keyed(idem) });
    const otherEnvironment = await h.post("/clients/batch", body, { key: live, env: "live", ...keyed(idem) });
    for (const res of [first, otherTenant, otherEnvironment]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(otherTenant.body.data[0].id).not.toBe(first.body.data[0].id);
    expect(await h.count("test", clients, b.tenantId)).toBe(1);
    expect(await h.count("live", clients, a.tenantId)).toBe(1);
  });

  it("one key cannot stand for a batch and then a sync (422)", async () => {
    const { key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    expect((await h.post("/clients/batch", { items: [client(`a-${uniq()}`)] }, { key, ...keyed(idem) })).status).toBe(200);
    const sync = await h.post("/clients/sync", { client: client(`s-${uniq()}`) }, { key, ...keyed(idem) });
    expect(sync.status).toBe(422);
  });

  it.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["256 characters", "x".repeat(256)],
  ])("rejects an Idempotency-Key that is %s (400)", async (_, idem) => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await h.post("/clients/batch", { items: [client(`a-${uniq()}`)] }, { key, ...keyed(idem) });
    expect(res.status).toBe(400);
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });

  it("stores and replays an answer of megabytes (stored in parts under 2 MB each)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    // Multi-byte and astral characters (a part boundary must not split a surrogate pair).
    const big = "ñ€𝄞".repeat(1400);
    const body = { items: Array.from({ length: 250 }, (_, i) => client(`big-${i}-${uniq()}`, { metadata: { a: big } })) };
    const idem = `k-${uniq()}`;
    const first = await h.post("/clients/batch", body, { key, ...keyed(idem) });
    expect(first.status).toBe(200);
    const encoder = new TextEncoder();
    const answerBytes = encoder.encode(first.text).length;
    expect(answerBytes).toBeGreaterThan(3_000_000);
    // Split by UTF-8 bytes (what D1 binds), as few parts as fit: here 2, all sent by ONE INSERT.
    const parts = await h.rows("test", idempotencyKeys, { tenantId });
    expect(parts.map((p) => p.part).sort()).toEqual([0, 1]);
    expect(parts.find((p) => p.part === 0)!.parts).toBe(2);
    for (const part of parts) expect(encoder.encode(part.body).length).toBeLessThanOrEqual(PART_BYTES);
    const inserts = first.stats.statements.filter((s) => /^insert into "idempotency_keys"/i.test(s.sql));
    expect(inserts).toHaveLength(1);
    const again = await h.post("/clients/batch", body, { key, ...keyed(idem) });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("Idempotency-Key on POST /clients/sync", () => {
  const syncBody = (externalId: string) => ({
    client: client(externalId),
    addresses: [{ externalId: `addr-${externalId}`, street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX" }],
  });

  it("replays the answer and its ETag; a repeat writes nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const idem = `k-${uniq()}`;
    const body = syncBody(`c-${uniq()}`);
    const first = await h.post("/clients/sync", body, { key, ...keyed(idem) });
    expect(first.status).toBe(200);
    const before = await dumpTenant(h, tenantId);
    const again = await h.post("/clients/sync", body, { key, ...keyed(idem) });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.stats.rowsWritten).toBe(0);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("the answer is written by the sync's one write batch; a fault anywhere in it stores nothing", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = syncBody(`c-${uniq()}`);
    const ok = await h.post("/clients/sync", body, { key, ...keyed(`k-${uniq()}`) });
    expect(ok.stats.batchSizes.length).toBe(2); // API key with the graph read and the Idempotency-Key lookup (the key lookup shares the first round trip); write
    const writeBatch = ok.stats.batchSizes.at(-1)!;
    const other = await h.newTenantWithKey();
    for (let position = 0; position < writeBatch; position++) {
      const idem = `k-${uniq()}`;
      const before = await dumpTenant(h, other.tenantId);
      h.guard.failStatement = (info) => info.kind === "batch" && info.of === writeBatch && info.index === position;
      try {
        const res = await h.post("/clients/sync", syncBody(`f-${position}-${uniq()}`), { key: other.key, ...keyed(idem) });
        expect(res.status).toBe(500);
        expect(res.body.requestId).toBe(res.headers.get("x-request-id"));
      } finally {
        h.guard.failStatement = undefined;
      }
      expect(await dumpTenant(h, other.tenantId)).toEqual(before);
    }
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(1);
  });

  it("a no-op sync with a key writes only its answer; a dry run writes nothing, not even that", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = syncBody(`c-${uniq()}`);
    expect((await h.post("/clients/sync", body, { key })).status).toBe(200);
    const noop = await h.post("/clients/sync", body, { key, ...keyed(`k-${uniq()}`) });
    expect(noop.body.action).toBe("unchanged");
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(1);
    const dry = await h.post("/clients/sync", { ...body, dryRun: true }, { key, ...keyed(`k-${uniq()}`) });
    expect(dry.status).toBe(200);
    expect(dry.stats.rowsWritten).toBe(0);
    expect(await h.count("test", idempotencyKeys, tenantId)).toBe(1);
  });
});
