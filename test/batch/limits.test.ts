// POST /clients/batch — D1 budgets (API.md §5, §9): reads, then ONE write round trip; the statement
// count does not grow with the items; a maximum-size 250-item call (every optional field, the body
// close to 5 MiB) stays within every production limit. The D1 guard (test/support/d1-guard.ts)
// fails any request that breaks a limit; `res.stats` is what it recorded for the request.
import { afterEach, describe, expect, it } from "vitest";
import { clientLookupKeys, clients } from "../../src/db/schema";
import { insertRowBytes, type StatementInfo } from "../support/d1-guard";
import { createHarness } from "../support/harness";
import { batch, expectEqualToGet, minimal, VALID_CURP, xid } from "./fixtures";

const h = createHarness();
const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

const MIB = 1024 * 1024;
const METADATA_MAX = 16 * 1024;

afterEach(() => {
  h.guard.failStatement = undefined;
});

/** Watches every statement sent to D1 (without failing any) and keeps the largest bound value. */
function watchParams() {
  const seen = { maxValueBytes: 0, maxParams: 0, statements: [] as { sql: string; params: number; values: readonly unknown[] }[] };
  h.guard.failStatement = (info: StatementInfo) => {
    seen.maxParams = Math.max(seen.maxParams, info.params.length);
    for (const p of info.params) if (typeof p === "string") seen.maxValueBytes = Math.max(seen.maxValueBytes, bytes(p));
    seen.statements.push({ sql: info.sql, params: info.params.length, values: info.params });
    return false;
  };
  return seen;
}

const isInsert = (sql: string) => /^insert into "clients"/i.test(sql);
const writeStatements = (stats: { statements: { sql: string }[] }) => stats.statements.filter((s) => /^\s*(insert|update|delete)/i.test(s.sql));
/** What every write batch ends with (API.md §11, §12): its history entries, then their outbox rows. */
const isRecorded = (sql: string) => /^insert into "(client_history|event_outbox)"/i.test(sql);
const RECORDED = 2;
/** The lookup keys' INSERT (API.md §14) that ends a write batch creating clients with identifiers. */
const isKeys = (sql: string) => /^insert into "client_lookup_keys"/i.test(sql);
const KEYS = 1;
/** The completeness column\'s UPDATE (API.md §16) that ends every write batch recording a change. */
const COMPLETENESS = 1;
/** Who else holds the items' RFCs and CURPs (API.md §14 duplicates): one read statement when they bring any. */
const DUPLICATES = 1;

/** A string of exactly `length` characters starting with `prefix`. */
const padded = (prefix: string, length: number, fill = "x") => (prefix + fill.repeat(length)).slice(0, length);

/** An object whose JSON is exactly `target` UTF-8 bytes (mixed content, multi-byte characters). */
function metadataOf(target: number, seed: string): Record<string, unknown> {
  const base = { seed, source: "crm-import", flags: { vip: true, pep: false, score: 97.5 }, tags: ["a", "b", "ñandú"], nested: { deep: { deeper: [1, 2, { k: null }] } }, notes: "" };
  const room = target - bytes(JSON.stringify(base));
  // Fill with "ñ" (2 bytes) and finish with ASCII to land exactly on the target.
  const twoByte = Math.floor(room / 2) - 10;
  base.notes = "ñ".repeat(twoByte) + "x".repeat(room - twoByte * 2);
  const json = JSON.stringify(base);
  if (bytes(json) !== target) throw new Error(`metadata of ${bytes(json)} bytes, wanted ${target}`);
  return base;
}

/** An item setting EVERY optional field, long strings at their maximum length. */
function maxItem(index: number, run: string, usPad: number) {
  const id = `${run}-${String(index).padStart(3, "0")}-`;
  return {
    type: "individual",
    name: padded(`Nombre ${id}`, 300, "ñ"),
    middleName: padded(`Segundo ${id}`, 300, "m"),
    lastName: padded(`Apellido ${id}`, 300, "á"),
    birthDate: "1980-01-01",
    nationalities: ["mx", "US", "ES", "FR", "DE", "IT", "GB", "BR", "AR", "CL"],
    scopes: ["base", "MX", "MX:AV", "MX:AV:ARI", "MX:AV:AVI", "MX:AV:INM", "MX:AV:JYS", "MX:AV:MJR", "MX:AV:MPC", "MX:AV:TSC", "MX:AV:VEH", "MX:CNBV", "MX:CNBV:TRANSMISOR"],
    externalId: padded(id, 255, "e"),
    metadata: metadataOf(METADATA_MAX - 4, id),
    employment: {
      isEmployee: true,
      employeeId: padded(id, 255, "9"),
      position: padded("Directora ", 255, "p"),
      department: padded("Finanzas ", 255, "d"),
      startDate: "2010-02-28",
    },
    scopeData: {
      MX: {
        rfc: "goma800101ab1",
        curp: VALID_CURP.toLowerCase(),
        actividadVulnerable: { ARI: {}, AVI: { username: padded(id, 255, "u") }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
        cnbv: { TRANSMISOR: { numeroCuenta: padded("", 64, "1"), claveSujetoObligado: padded("CSO", 64, "C") } },
      },
      US: { ssnLast4: "1234", state: "TX", quotes: 'he said "hola" \\ back', pad: "u".repeat(usPad) },
    },
  };
}

/** US padding that lands a 250-item body just under 5 MiB (5 MiB − 32 KiB). */
function usPadFor(run: string): number {
  const probeBytes = bytes(JSON.stringify({ items: Array.from({ length: 250 }, (_, i) => maxItem(i, run, 0)), atomic: false }));
  const pad = Math.floor((5 * MIB - 32 * 1024 - probeBytes) / 250);
  if (pad <= 0) throw new Error("the items alone exceed the target size");
  return pad;
}

function maxBody(run: string, atomic: boolean): string {
  const pad = usPadFor(run);
  return JSON.stringify({ items: Array.from({ length: 250 }, (_, i) => maxItem(i, run, pad)), atomic });
}

describe("round trips and statements", () => {
  it("one item with an externalId: key lookup and conflict read in one round trip + ONE write batch of one INSERT", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await batch(h, key, { items: [minimal({ externalId: xid() })] });
    expect(res.status).toBe(200);
    expect(res.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(res.stats.statementCount).toBe(3 + RECORDED + KEYS + COMPLETENESS);
    expect(res.stats.batchSizes).toEqual([2, 1 + RECORDED + KEYS + COMPLETENESS]); // the key lookup shares the first round trip
    expect(res.stats.statements.map((s) => s.roundTrip)).toEqual([0, 0, 1, 1, 1, 1, 1]); // the key lookup shares the first round trip
    expect(res.stats.statements[0]!.sql).toMatch(/from "api_keys"/i);
    expect(res.stats.statements[1]!.sql).toMatch(/from "clients"/i);
    // The history entry and its outbox row first (runner.ts: a chain race fails at once), then the
    // INSERT, then the lookup keys of the rows written (the externalId's), then the completeness column.
    expect(isInsert(res.stats.statements.at(-3)!.sql)).toBe(true);
    expect(isKeys(res.stats.statements.at(-2)!.sql)).toBe(true);
    expect(res.stats.statements.at(-1)!.sql).toMatch(/^update "clients" set "complete"/);
    expect(res.stats.statements.slice(2, -3).every((s) => isRecorded(s.sql))).toBe(true);
    expect(writeStatements(res.stats)).toHaveLength(1 + RECORDED + KEYS + COMPLETENESS);
    // The read round trips write nothing; the write writes the client row (and its index entries),
    // and its history entry (the row and its primary key: 2; no outbox rows without an endpoint).
    expect(res.stats.statements[0]!.rowsWritten).toBe(0);
    expect(res.stats.statements[1]!.rowsWritten).toBe(0);
    expect(res.stats.statements[2]!.rowsWritten).toBe(2);
    expect(res.stats.statements[3]!.rowsWritten).toBe(0);
    // The keys — its externalId's and its name's (API.md §14 search: "ana" → x:ana): each its row
    // and two index entries.
    expect(res.stats.statements[5]!.rowsWritten).toBe(6);
    // The completeness column: a created client is inserted incomplete, and stays so here: the
    // UPDATE writes nothing (it writes only where the value changes: at most the row and 2 index entries).
    const completeness = res.stats.statements[6]!.rowsWritten!;
    expect(completeness).toBe(0);
    expect(res.stats.rowsWritten).toBe(res.stats.statements[4]!.rowsWritten! + 2 + 6 + completeness);
    expect(res.stats.rowsWritten).toBeGreaterThan(2);
    expect(await h.count("test", clients, tenantId)).toBe(1);
  });

  it("items without externalId skip the conflict read: key lookup + ONE write", async () => {
    const { key } = await h.newTenantWithKey();
    const res = await batch(h, key, { items: [minimal(), minimal({ externalId: null })] });
    expect(res.status).toBe(200);
    expect(res.stats.roundTrips).toBe(2);
    // Every client has a name, and so the name search's keys (KEYS).
    expect(res.stats.batchSizes).toEqual([1, 1 + RECORDED + KEYS + COMPLETENESS]);
    expect(writeStatements(res.stats)).toHaveLength(1 + RECORDED + KEYS + COMPLETENESS);
  });

  it("non-atomic calls also write in ONE batch", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const stored = xid();
    await h.seedClient("test", tenantId, { externalId: stored });
    const res = await batch(h, key, { items: [minimal({ externalId: xid() }), minimal({ name: "" }), minimal({ externalId: stored }), minimal()], atomic: false });
    expect(res.status).toBe(200);
    expect(res.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(res.stats.batchSizes).toEqual([2, 1 + RECORDED + KEYS + COMPLETENESS]); // the key lookup shares the first round trip
    expect(writeStatements(res.stats)).toHaveLength(1 + RECORDED + KEYS + COMPLETENESS);
    expect(await h.count("test", clients, tenantId)).toBe(3);
  });

  it("a failing atomic call never opens a write round trip", async () => {
    const { key, tenantId } = await h.newTenantWithKey();
    const stored = xid();
    await h.seedClient("test", tenantId, { externalId: stored });
    const invalid = await batch(h, key, { items: [minimal({ externalId: xid() }), minimal({ type: "x" })] });
    expect(invalid.status).toBe(400);
    const conflict = await batch(h, key, { items: [minimal({ externalId: xid() }), minimal({ externalId: stored })] });
    expect(conflict.status).toBe(409);
    for (const res of [invalid, conflict]) {
      expect(writeStatements(res.stats)).toHaveLength(0);
      expect(res.stats.rowsWritten).toBe(0);
      expect(res.stats.roundTrips).toBe(1); // key lookup + conflict read: the key lookup shares the first round trip
    }
  });

  it("the statement count does not grow with the items: 1 item and 250 typical items both use the same statements", async () => {
    const one = await h.newTenantWithKey();
    const many = await h.newTenantWithKey();
    const typical = (i: number) =>
      minimal({ name: "Cliente", lastName: "García", externalId: xid(`typ${i}`), nationalities: ["MX"], scopes: ["base", "MX"], metadata: { crmId: i, source: "import" }, scopeData: { MX: { rfc: "GOMA800101AB1" } } });
    const r1 = await batch(h, one.key, { items: [typical(0)] });
    const r250 = await batch(h, many.key, { items: Array.from({ length: 250 }, (_, i) => typical(i)) });
    expect(r1.status).toBe(200);
    expect(r250.status).toBe(200);
    expect(r250.stats.statementCount).toBe(r1.stats.statementCount);
    expect(r250.stats.statementCount).toBe(3 + RECORDED + KEYS + DUPLICATES + COMPLETENESS);
    expect(r250.stats.batchSizes).toEqual(r1.stats.batchSizes);
    expect(r250.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    // Rows written grow exactly linearly: the same per-client cost, nothing else.
    expect(r250.stats.rowsWritten).toBe(250 * r1.stats.rowsWritten);
    expect(await h.count("test", clients, many.tenantId)).toBe(250);
  });

  it("the conflict read goes through the index: its rows read do not depend on the tenant's size", async () => {
    const small = await h.newTenantWithKey();
    const big = await h.newTenantWithKey();
    for (let round = 0; round < 2; round++) {
      const res = await batch(h, big.key, { items: Array.from({ length: 250 }, () => minimal({ externalId: xid("bulk") })) });
      expect(res.status).toBe(200);
    }
    const probe = () => ({ items: Array.from({ length: 5 }, () => minimal({ externalId: xid("probe") })) });
    const onSmall = await batch(h, small.key, probe());
    const onBig = await batch(h, big.key, probe());
    expect(onSmall.status).toBe(200);
    expect(onBig.status).toBe(200);
    const readSmall = onSmall.stats.statements[1]!;
    const readBig = onBig.stats.statements[1]!;
    expect(readBig.sql).toMatch(/from "clients"/i);
    expect(readSmall.sql).toBe(readBig.sql);
    // Per probed externalId at most one json_each row and one index seek, whatever the tenant holds
    // (measured: 6 rows on an empty tenant, 10 on one with 500 clients, for 5 probes), and the one
    // api_keys row of its tenant condition (the key lookup shares the first round trip).
    expect(readBig.rowsRead!).toBeLessThanOrEqual(2 * 5 + 2);
    expect(readSmall.rowsRead!).toBeLessThanOrEqual(2 * 5 + 2);
  });
});

describe("a maximum-size 250-item call", () => {
  it("every optional field set, body > 4.5 MiB and < 5 MiB: within every D1 limit, one write round trip", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const run = xid("max");
    const usPad = usPadFor(run);
    const body = maxBody(run, true);
    const bodyBytes = bytes(body);
    expect(bodyBytes).toBeGreaterThan(4.5 * MIB);
    expect(bodyBytes).toBeLessThan(5 * MIB);
    // Each item really is at the limits.
    const first = maxItem(0, run, usPad);
    expect(bytes(JSON.stringify(first.metadata))).toBe(METADATA_MAX - 4);
    expect([first.name.length, first.middleName.length, first.lastName.length, first.externalId.length]).toEqual([300, 300, 300, 255]);

    const seen = watchParams();
    const res = await h.post("/clients/batch", body, { key, headers: { "content-type": "application/json" } });
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    const { stats } = res;
    const inserts = stats.statements.filter((s) => isInsert(s.sql));
    console.log(
      `max batch: body ${bodyBytes} bytes; statements ${stats.statementCount}; round trips ${stats.roundTrips}; ` +
        `batchSizes ${JSON.stringify(stats.batchSizes)}; rowsRead ${stats.rowsRead}; rowsWritten ${stats.rowsWritten}; ` +
        `largest bound value ${seen.maxValueBytes} bytes; most params ${seen.maxParams}; inserts ${inserts.length}`,
    );

    // The guard would have thrown on a violation; assert the budget explicitly as well.
    expect(stats.violations).toEqual([]);
    expect(stats.statementCount).toBeLessThanOrEqual(50);
    expect(seen.maxValueBytes).toBeLessThanOrEqual(2_000_000);
    expect(seen.maxValueBytes).toBeGreaterThan(1_000_000); // the list is split by size, not per row
    expect(seen.maxParams).toBeLessThanOrEqual(100);
    // Reads, then ONE write round trip holding every INSERT.
    expect(stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(stats.batchSizes.slice(0, 1)).toEqual([2 + DUPLICATES]); // the key lookup shares the first round trip
    const recorded = stats.statements.filter((s) => isRecorded(s.sql));
    expect(stats.batchSizes[1]).toBe(inserts.length + recorded.length + KEYS + COMPLETENESS);
    expect(inserts.every((s) => s.roundTrip === 1)).toBe(true);
    expect(writeStatements(stats)).toHaveLength(inserts.length + recorded.length + KEYS + COMPLETENESS);
    // 250 entries (~5 MB of fields before gzip) in one history INSERT, and the outbox's.
    expect(recorded).toHaveLength(RECORDED);
    // ≤ 3 rows written per client it created (API.md §11): the entry and its primary key.
    expect(recorded.reduce((n, s) => n + (s.rowsWritten ?? 0), 0)).toBe(2 * 250);
    // The rows, stored as JSON parameters of ≤ 2 MB, need at least ceil(size / 2 MB) INSERTs.
    expect(inserts.length).toBeGreaterThanOrEqual(Math.ceil(bodyBytes / 2_000_000));
    expect(inserts.length).toBeLessThanOrEqual(5);
    expect(stats.statementCount).toBe(2 + DUPLICATES + inserts.length + RECORDED + KEYS + COMPLETENESS);

    // Everything was written, normalized, in input order, and equals GET.
    expect(res.body.data).toHaveLength(250);
    expect(res.body.data.map((c: { externalId: string }) => c.externalId)).toEqual(Array.from({ length: 250 }, (_, i) => maxItem(i, run, 0).externalId));
    const c0 = res.body.data[0];
    expect(c0.scopeData.MX.rfc).toBe("GOMA800101AB1");
    expect(c0.scopeData.MX.curp).toBe(VALID_CURP);
    expect(c0.nationalities[0]).toBe("MX");
    expect(c0.metadata).toEqual(first.metadata);
    expect(c0.scopeData.US).toEqual(first.scopeData.US);
    await expectEqualToGet(h, key, [res.body.data[0], res.body.data[137], res.body.data[249]]);
    expect(await h.count("test", clients, tenantId)).toBe(250);
    // Same per-row write cost as a one-item call (no extra writes for big rows), besides the lookup
    // keys (API.md §14): 3 rows (the key and its two index entries) per identifier the rows hold.
    const single = await batch(h, (await h.newTenantWithKey()).key, { items: [minimal({ externalId: xid() })] });
    const keyRows = (s: typeof stats) => s.statements.filter((st) => isKeys(st.sql)).reduce((n, st) => n + (st.rowsWritten ?? 0), 0);
    expect(stats.rowsWritten - keyRows(stats)).toBe(250 * (single.stats.rowsWritten - keyRows(single.stats)));
    expect(keyRows(stats)).toBe(3 * (await h.count("test", clientLookupKeys, tenantId)));
    expect(await h.count("test", clientLookupKeys, tenantId)).toBeGreaterThanOrEqual(3 * 250); // RFC, CURP, externalId, metadata strings
  });

  it("the same body with atomic: false also fits (insert … returning, on conflict do nothing)", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = maxBody(xid("maxna"), false);
    expect(bytes(body)).toBeGreaterThan(4.5 * MIB);
    expect(bytes(body)).toBeLessThan(5 * MIB);
    const seen = watchParams();
    const res = await h.post("/clients/batch", body, { key, headers: { "content-type": "application/json" } });
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    expect(res.body.failed).toEqual([]);
    expect(res.body.succeeded).toHaveLength(250);
    expect(res.stats.statementCount).toBeLessThanOrEqual(50);
    expect(res.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(seen.maxValueBytes).toBeLessThanOrEqual(2_000_000);
    expect(await h.count("test", clients, tenantId)).toBe(250);
  });

  it("with an Idempotency-Key: the answer is stored in the same write batch, within every limit, and replayed byte for byte", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const body = maxBody(xid("maxkey"), true);
    expect(bytes(body)).toBeGreaterThan(4.5 * MIB);
    const headers = { "content-type": "application/json", "idempotency-key": xid("k") };
    const seen = watchParams();
    const res = await h.post("/clients/batch", body, { key, headers });
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    const { stats } = res;
    const keyStatements = stats.statements.filter((s) => s.sql.includes('"idempotency_keys"'));
    console.log(
      `keyed max batch: body ${bytes(body)} bytes, answer ${bytes(res.text)} bytes; statements ${stats.statementCount} ` +
        `(${keyStatements.length} on idempotency_keys); batchSizes ${JSON.stringify(stats.batchSizes)}; largest bound value ${seen.maxValueBytes} bytes`,
    );
    expect(stats.violations).toEqual([]);
    expect(stats.statementCount).toBeLessThanOrEqual(50);
    expect(seen.maxValueBytes).toBeLessThanOrEqual(2_000_000);
    expect(seen.maxParams).toBeLessThanOrEqual(100);
    // The stored answer's INSERT, at its biggest (issue 20): within D1's production limits one by
    // one — parameters, SQL text, each value, each row's values together.
    const recordInserts = seen.statements.filter((s) => /^insert into "idempotency_keys"/i.test(s.sql));
    expect(recordInserts.length).toBeGreaterThan(0);
    for (const insert of recordInserts) {
      expect(insert.params).toBeLessThanOrEqual(100);
      expect(bytes(insert.sql)).toBeLessThanOrEqual(100_000);
      const rows = insertRowBytes(insert.sql, insert.values)!;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row).toBeLessThanOrEqual(2_000_000);
    }
    console.log(`keyed max batch: the answer's INSERT rows bind ${recordInserts.flatMap((s) => insertRowBytes(s.sql, s.values)!).join(", ")} bytes`);
    // Reads (the key's record with the conflict read), then ONE write round trip: purge, the
    // answer's parts in one INSERT, the clients.
    expect(stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(stats.batchSizes.slice(0, 1)).toEqual([3 + DUPLICATES]); // the key lookup shares the first round trip
    expect(keyStatements.filter((s) => s.roundTrip === 1)).toHaveLength(2);
    expect(await h.count("test", clients, tenantId)).toBe(250);

    const again = await h.post("/clients/batch", body, { key, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text === res.text).toBe(true); // not toBe: a failure would print 5 MB twice
    expect(again.stats.rowsWritten).toBe(0);
    expect(again.stats.statementCount).toBeLessThanOrEqual(50);
    expect(await h.count("test", clients, tenantId)).toBe(250);
  });

  it("a body over 5 MiB is a 413 and touches nothing but the key", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const run = xid("over");
    const body = JSON.stringify({ items: Array.from({ length: 250 }, (_, i) => maxItem(i, run, 3000)) });
    expect(bytes(body)).toBeGreaterThan(5 * MIB);
    const res = await h.post("/clients/batch", body, { key, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(res.stats.rowsWritten).toBe(0);
    expect(await h.count("test", clients, tenantId)).toBe(0);
  });
});
