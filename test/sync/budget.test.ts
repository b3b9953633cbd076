// D1 budgets of a sync (API.md §6 "Atomic", §9): the auth lookup, ONE read batch and ONE write
// batch; at the maximum payload (250 items in every list, every optional field set, a body close to
// 5 MiB) at most 50 statements and no bound value over 2 MB (the guard fails the request otherwise),
// with or without an Idempotency-Key; and the same maximal sync repeated is a no-op writing 0 rows.
import { describe, expect, it } from "vitest";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents } from "../../src/db/schema";
import { GRAPH_STATEMENT_COUNT } from "../../src/db/graph";
import { D1_LIMITS } from "../support/d1-guard";
import { createHarness } from "../support/harness";
import { clabe, countsOf, curp, dumpTenant, RFC_INDIVIDUAL, seedWebhookEndpoint, uniq } from "./helpers";

const h = createHarness();
const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });

/**
 * Graph load (GRAPH_STATEMENT_COUNT: one statement) + externalId owners of the 4 child lists + named clients (2) and their contacts +
 * the history heads of the clients the sync may change (API.md §11).
 */
const READ_BATCH_FULL = GRAPH_STATEMENT_COUNT + 4 + 3 + 1;
/** What every write batch that changes something ends with: its history entries, and their outbox rows. */
const RECORDED = 2;
/** The lookup keys' INSERT (API.md §14) that ends a write batch creating records with identifiers. */
const KEYS = 1;
/** The completeness column's UPDATE (API.md §16) that ends every write batch recording a change. */
const COMPLETENESS = 1;
/** Who else holds the RFC, CURP and CLABEs a sync brings (API.md §14 duplicates), one read statement when it brings any. */
const DUPLICATES = 1;

describe("round trips and statements of a typical sync", () => {
  it("create: auth + one read batch + one write batch, exact figures", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `t-${uniq()}`;
    const res = await sync(key, {
      client: { type: "individual", name: "Ana", externalId: ext },
      addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", country: "MX", externalId: `${ext}-a` }],
      contactMethods: [{ value: "a@b.co", externalId: `${ext}-c` }, { value: "5512345678", externalId: `${ext}-p` }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", clabe: clabe(), externalId: `${ext}-b` }],
      documents: [{ type: "ine", externalId: `${ext}-d` }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `${ext}-rep` } }],
    });
    expect(res.status, res.text).toBe(200);
    // Write batch: clients (parent + linked child), 4 child lists, links: one INSERT each; then the entries and outbox.
    // This sync brings a CLABE: its holders are read with the rest (DUPLICATES).
    expect(res.stats.batchSizes).toEqual([1 + READ_BATCH_FULL + DUPLICATES, 6 + RECORDED + KEYS + COMPLETENESS]); // the key lookup shares the first round trip
    expect(res.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(res.stats.statementCount).toBe(1 + READ_BATCH_FULL + DUPLICATES + 6 + RECORDED + KEYS + COMPLETENESS);
    expect(res.stats.statements.map((s) => s.roundTrip)).toEqual([0, ...Array(READ_BATCH_FULL + DUPLICATES).fill(0), ...Array(6 + RECORDED + KEYS + COMPLETENESS).fill(1)]); // the key lookup shares the first round trip
    expect(res.stats.statements.at(-2)!.sql).toMatch(/^insert into "client_lookup_keys"/);
    expect(res.stats.statements.at(-1)!.sql).toMatch(/^update "clients" set "complete"/);
    const counts = await countsOf(h, tenantId);
    expect(counts).toMatchObject({ clients: 2, addresses: 1, contact_methods: 2, bank_accounts: 1, documents: 1, client_links: 1 });
    // Rows written per the D1 meta of the write batch (rows and their index entries).
    const written = res.stats.statements.filter((s) => s.roundTrip === 1).reduce((n, s) => n + (s.rowsWritten ?? 0), 0);
    expect(res.stats.rowsWritten).toBe(written);
    expect(res.stats.rowsWritten).toBeGreaterThanOrEqual(8);
    console.log(`typical create sync: ${res.stats.statementCount} statements, batches ${JSON.stringify(res.stats.batchSizes)}, rows read ${res.stats.rowsRead}, rows written ${res.stats.rowsWritten}`);

    // An update of that graph: the version guard first, then only what changed.
    const update = await sync(key, { client: { externalId: ext, name: "Ana María" }, addresses: [{ externalId: `${ext}-a`, city: "Puebla" }], documents: [{ externalId: `${ext}-d`, _delete: true }] });
    expect(update.status, update.text).toBe(200);
    // The key lookup shares the first round trip; then the history entry (a rival that took its
    // sequence fails the batch at once), the guard, client update, document delete, address update.
    // The rename moves the name search's keys (API.md §14): their INSERT and DELETE, then the completeness column.
    expect(update.stats.batchSizes).toEqual([1 + GRAPH_STATEMENT_COUNT + 2 + 3 + 1, 4 + RECORDED + 2 + COMPLETENESS]);
    const writeSql = update.stats.statements.filter((s) => s.roundTrip === 1).map((s) => s.sql.slice(0, 30).toLowerCase());
    expect(writeSql[0]).toMatch(/^insert into "client_history"/);
    expect(writeSql[RECORDED]).toMatch(/^insert into "write_guards"/);
    console.log(`typical update sync: ${update.stats.statementCount} statements, batches ${JSON.stringify(update.stats.batchSizes)}, rows read ${update.stats.rowsRead}, rows written ${update.stats.rowsWritten}`);

    const noop = await sync(key, { client: { externalId: ext, name: "Ana María" } });
    expect(noop.stats.batchSizes).toEqual([1 + GRAPH_STATEMENT_COUNT + 3 + 1]); // the key lookup shares the first round trip
    expect(noop.stats.rowsWritten).toBe(0);
    console.log(`typical no-op sync: ${noop.stats.statementCount} statements, batches ${JSON.stringify(noop.stats.batchSizes)}, rows read ${noop.stats.rowsRead}, rows written 0`);
  });
});

// -------------------------------------------------------------------------------------------------

const SCOPES = ["base", "MX", "MX:AV", "MX:AV:ARI", "MX:AV:AVI", "MX:AV:INM", "MX:AV:JYS", "MX:AV:MJR", "MX:AV:MPC", "MX:AV:TSC", "MX:AV:VEH", "MX:CNBV", "MX:CNBV:TRANSMISOR"];
const CONTACT_TYPES = ["email", "phone", "mobile", "fax", "other"] as const;

function fullClientInput(ext: string, filler: string, i = 0) {
  return {
    type: "individual",
    name: `Name ${i}`,
    middleName: "Middle",
    lastName: "Last",
    birthDate: "1980-01-01",
    nationalities: ["MX", "US", "ES"],
    scopes: SCOPES,
    externalId: ext,
    metadata: { filler, i },
    employment: { isEmployee: true, employeeId: `E${i}`, position: "Analyst", department: "Risk", startDate: "2020-02-29" },
    scopeData: {
      MX: {
        rfc: RFC_INDIVIDUAL,
        curp: curp(),
        actividadVulnerable: { ARI: {}, AVI: { username: "user" }, INM: {}, JYS: {}, MJR: {}, MPC: {}, TSC: {}, VEH: {} },
        cnbv: { TRANSMISOR: { numeroCuenta: "123456", claveSujetoObligado: "ABC" } },
      },
      US: { ssnLast4: "1234" },
    },
  };
}

function contactValue(type: (typeof CONTACT_TYPES)[number], i: number) {
  if (type === "email") return `person${i}@example.com`;
  if (type === "other") return `handle-${i}`;
  return `+52 55 ${String(10000000 + i).slice(0, 4)} ${String(i).padStart(4, "0")}`;
}

/** The maximal sync body: 250 items in each list, every optional field, `filler` in every metadata. */
function maximalBody(ext: string, filler: string, fieldsFiller: string) {
  const n = 250;
  const range = Array.from({ length: n }, (_, i) => i);
  return {
    client: fullClientInput(ext, filler),
    addresses: range.map((i) => ({
      type: (["home", "business", "mailing", "legal", "other"] as const)[i % 5],
      isPrimary: i === 0,
      street: `Street ${i}`,
      city: "Ciudad de México",
      state: "CDMX",
      postalCode: String(10000 + i),
      country: "MX",
      externalId: `${ext}-a${i}`,
      metadata: { filler, i },
      scopeData: {
        MX: {
          exteriorNumber: "1",
          interiorNumber: "2",
          neighborhood: "Juárez",
          municipality: "Cuauhtémoc",
          betweenStreets: "A y B",
          reference: "Door",
          cnbv: { TRANSMISOR: { localidad: "01" } },
        },
        US: { county: "x" },
      },
    })),
    contactMethods: range.map((i) => {
      const type = CONTACT_TYPES[i % 5]!;
      return { type, value: contactValue(type, i), isPrimary: i < 5, label: `label ${i}`, externalId: `${ext}-c${i}`, metadata: { filler, i } };
    }),
    bankAccounts: range.map((i) => {
      const value = clabe("002", "180", i + 1);
      return {
        accountNumber: `ACC${i}`,
        bankName: "BBVA México",
        bankCode: "BBVA",
        country: "MX",
        currency: "MXN",
        type: (["checking", "savings", "investment", "other"] as const)[i % 4],
        isPrimary: i === 0,
        isActive: i % 2 === 0,
        label: `account ${i}`,
        externalId: `${ext}-b${i}`,
        metadata: { filler, i },
        clabe: value,
        codigoBanco: "002",
        codigoPlaza: "180",
      };
    }),
    documents: range.map((i) => ({
      type: "ine",
      category: "identity",
      expiresAt: "2031-12-31",
      externalId: `${ext}-d${i}`,
      metadata: { filler, i },
      fields: { number: `N${i}`, fieldsFiller },
      filename: `ine-${i}.pdf`,
      contentType: "application/pdf",
      size: 1024 * (i + 1),
    })),
    linkedClients: range.map((i) => ({
      child: fullClientInput(`${ext}-l${i}`, filler, i + 1),
      relationshipType: (["legal_representative", "controlling_beneficiary", "guarantor"] as const)[i % 3],
      metadata: { filler, i },
    })),
  };
}

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * Rows (index entries included, from D1's meta) that a request's history and outbox statements
 * wrote, and the history entries it appended: API.md §11 allows 3 per client it changed (plus the
 * outbox rows when the tenant has webhook endpoints; this one has none, so the outbox writes none).
 */
function recordedRows(res: { stats: { statements: { sql: string; rowsWritten: number | null }[] } }) {
  const of = (table: string) => res.stats.statements.filter((s) => s.sql.toLowerCase().startsWith(`insert into "${table}"`)).reduce((n, s) => n + (s.rowsWritten ?? 0), 0);
  return { history: of("client_history"), outbox: of("event_outbox") };
}
const MiB = 1024 * 1024;

describe("the maximal sync", () => {
  it("stays within every D1 limit, and repeated is a no-op writing 0 rows", { timeout: 120_000 }, async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const ext = `max-${uniq()}`;
    // Fill to ~4.9 MiB: metadata of all 1,501 objects (≤ 16 KiB each), plus documents.fields.
    const base = bytes(maximalBody(ext, "", ""));
    const fieldsFiller = "f".repeat(2048);
    const slots = 1 + 250 * 5 + 250;
    const filler = "m".repeat(Math.floor((4.9 * MiB - base - 250 * fieldsFiller.length) / slots));
    const body = maximalBody(ext, filler, fieldsFiller);
    const size = bytes(body);
    expect(size).toBeGreaterThan(4.5 * MiB);
    expect(size).toBeLessThan(5 * MiB);
    expect(bytes(body.client.metadata)).toBeLessThanOrEqual(16 * 1024);

    const first = await sync(key, body);
    expect(first.status, first.text.slice(0, 2000)).toBe(200);
    expect(first.stats.violations).toEqual([]);
    expect(first.stats.statementCount).toBeLessThanOrEqual(D1_LIMITS.maxStatementsPerRequest);
    expect(first.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    expect(first.stats.batchSizes).toHaveLength(2); // the key lookup shares the first round trip
    console.log(
      `maximal sync (${size} bytes of body): ${first.stats.statementCount} statements, batches ${JSON.stringify(first.stats.batchSizes)}, ` +
        `rows read ${first.stats.rowsRead}, rows written ${first.stats.rowsWritten}, max params ${Math.max(...first.stats.statements.map((s) => s.params))}`,
    );
    const counts = await countsOf(h, tenantId);
    expect(counts).toMatchObject({ clients: 251, addresses: 250, contact_methods: 250, bank_accounts: 250, documents: 250, client_links: 250 });
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"] as const) {
      expect(first.body[list].created).toHaveLength(250);
    }
    // Everything was stored as sent (spot checks in the database).
    const id = first.body.client.id;
    const [bank] = await h.rows("test", bankAccounts, { clientId: id, externalId: `${ext}-b249` });
    expect(bank).toMatchObject({ clabe: clabe("002", "180", 250), codigoBanco: "002", codigoPlaza: "180", isActive: false, metadata: { filler, i: 249 } });
    const [doc] = await h.rows("test", documents, { clientId: id, externalId: `${ext}-d7` });
    expect(doc).toMatchObject({ fields: { number: "N7", fieldsFiller }, size: 8192, contentType: "application/pdf", status: "pending_upload" });
    const [child] = await h.rows("test", clients, { tenantId, externalId: `${ext}-l3` });
    expect(child).toMatchObject({ isPrimary: false, name: "Name 4", scopes: SCOPES });
    expect((await h.rows("test", addresses, { clientId: id, isPrimary: true })).map((a) => a.externalId)).toEqual([`${ext}-a0`]);
    expect(await h.rows("test", contactMethods, { clientId: id, isPrimary: true })).toHaveLength(5);
    expect(await h.rows("test", clientLinks, { parentClientId: id })).toHaveLength(250);
    const get = await h.get(`/clients/${id}`, { key });
    expect(get.body).toEqual(first.body.client);
    expect(get.headers.get("etag")).toBe(first.headers.get("etag"));
    // One entry per client it created (the client and its 250 linked clients), ≤ 3 rows each.
    expect(recordedRows(first)).toEqual({ history: 2 * 251, outbox: 0 });

    const before = await dumpTenant(h, tenantId);
    const again = await sync(key, body);
    expect(again.status, again.text.slice(0, 2000)).toBe(200);
    expect(again.stats.rowsWritten).toBe(0);
    expect(again.stats.roundTrips).toBe(1); // the key lookup shares the first round trip
    expect(again.stats.statementCount).toBeLessThanOrEqual(D1_LIMITS.maxStatementsPerRequest);
    expect(again.body.action).toBe("unchanged");
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"] as const) {
      expect(again.body[list]).toEqual({ created: [], updated: [], deleted: [] });
    }
    expect(again.body.client).toEqual(first.body.client);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    console.log(`maximal sync repeated: ${again.stats.statementCount} statements, batches ${JSON.stringify(again.stats.batchSizes)}, rows read ${again.stats.rowsRead}, rows written 0`);

    // The maximal sync updating every record (every list re-listed with a change, replaceMode on).
    const changedFiller = filler.slice(1) + "n";
    const changed = maximalBody(ext, changedFiller, fieldsFiller);
    const update = await sync(key, { ...changed, replaceMode: true });
    expect(update.status, update.text.slice(0, 2000)).toBe(200);
    expect(update.stats.statementCount).toBeLessThanOrEqual(D1_LIMITS.maxStatementsPerRequest);
    expect(update.body.addresses.updated).toHaveLength(250);
    expect(update.body.linkedClients.updated).toHaveLength(250);
    expect(recordedRows(update)).toEqual({ history: 2 * 251, outbox: 0 });
    console.log(`maximal sync changing everything: ${update.stats.statementCount} statements, batches ${JSON.stringify(update.stats.batchSizes)}, rows read ${update.stats.rowsRead}, rows written ${update.stats.rowsWritten}`);
  });
});

// -------------------------------------------------------------------------------------------------
describe("reads go through indexes (§9)", () => {
  /** A small client, and a sync of it that reads, updates, deletes, links and checks versions. */
  async function smallSync(key: string, big?: string) {
    const ext = `s-${uniq()}`;
    const made = await sync(key, {
      client: { type: "individual", name: "Small", externalId: ext },
      addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", externalId: `${ext}-a1` }, { street: "s", city: "c", state: "st", postalCode: "01000", externalId: `${ext}-a2` }],
      contactMethods: [{ value: "a@b.co", externalId: `${ext}-c1` }],
      linkedClients: [{ child: { type: "individual", name: "Rep", externalId: `${ext}-rep` } }],
    });
    expect(made.status, made.text).toBe(200);
    const res = await sync(key, {
      clientId: made.body.client.id,
      client: { name: "Small 2" },
      addresses: [{ externalId: `${ext}-a1`, city: "d" }, { externalId: `${ext}-a2`, _delete: true }, { street: "s", city: "c", state: "st", postalCode: "01000", externalId: `${ext}-a3` }],
      contactMethods: [{ externalId: `${ext}-c1`, label: "x" }],
      bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", externalId: `${ext}-b1` }],
      documents: [{ type: "ine", externalId: `${ext}-d1` }],
      linkedClients: [{ child: { externalId: `${ext}-rep`, lastName: "L" } }, ...(big ? [{ child: { externalId: big } }] : [{ child: { type: "company", name: "Co" } }])],
    });
    expect(res.status, res.text).toBe(200);
    return res.stats;
  }

  it("the rows a sync reads and writes do not depend on how big the rest of the tenant is", { timeout: 60_000 }, async () => {
    const alone = await h.newTenantWithKey();
    // Link a client of similar size in both tenants so that both syncs load the same graph sizes.
    const link = (key: string) => sync(key, { client: { type: "company", name: "Co", externalId: "co" } });
    await link(alone.key);
    const reference = await smallSync(alone.key, "co");

    const crowded = await h.newTenantWithKey();
    await link(crowded.key);
    // A big neighbour: 250 items in every list and 250 linked clients.
    const big = maximalBody(`big-${uniq()}`, "m", "f");
    const made = await sync(crowded.key, big);
    expect(made.status).toBe(200);
    const measured = await smallSync(crowded.key, "co");
    expect(measured.batchSizes).toEqual(reference.batchSizes);
    expect(measured.statements.map((s) => s.rowsRead)).toEqual(reference.statements.map((s) => s.rowsRead));
    expect(measured.rowsRead).toBe(reference.rowsRead);
    expect(measured.rowsWritten).toBe(reference.rowsWritten);
    console.log(`small sync next to a big client: rows read ${measured.rowsRead} (alone: ${reference.rowsRead}), rows written ${measured.rowsWritten}`);
  });
});

// -------------------------------------------------------------------------------------------------
describe("the keyed worst case (§8, §9)", () => {
  const LISTS = [
    ["addresses", "a"],
    ["contactMethods", "c"],
    ["bankAccounts", "b"],
    ["documents", "d"],
  ] as const;

  /**
   * Over a stored maximal client: per child list 125 updates (items 0 and 1 swap their externalIds,
   * targeted by id) and 125 creates, the other 125 children left to replaceMode; 125 linked
   * clients updated and 125 created and linked (the other 125 links removed).
   */
  function worstBody(ext: string, stored: Record<string, { id: string; externalId: string }[]>, filler: string, fieldsFiller: string) {
    const body = maximalBody(ext, filler, fieldsFiller);
    const out: Record<string, unknown> = { client: body.client, replaceMode: true };
    for (const [list, tag] of LISTS) {
      const byExternalId = new Map(stored[list]!.map((c) => [c.externalId, c.id]));
      out[list] = (body[list] as { externalId: string }[]).map((item, i) => {
        if (i >= 125) return { ...item, externalId: `${ext}-n${tag}${i}` };
        if (i > 1) return item;
        // The swap: each of the two stored children takes the other's externalId.
        return { ...item, id: byExternalId.get(`${ext}-${tag}${i}`), externalId: `${ext}-${tag}${1 - i}` };
      });
    }
    out.linkedClients = body.linkedClients.map((link, i) =>
      i < 125 ? link : { ...link, child: { ...link.child, externalId: `${ext}-nl${i}` } },
    );
    return out;
  }

  it("a keyed ~4.8 MiB sync with replaceMode mixing updates, a swap, creates and deletes stays within 50 statements, and its replay is byte for byte", { timeout: 180_000 }, async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    await seedWebhookEndpoint(h, tenantId); // the worst case writes outbox rows too (API.md §12)
    const ext = `kw-${uniq()}`;
    const fieldsFiller = "f".repeat(2048);
    const slots = 1 + 250 * 5 + 250;
    const fillerFor = (target: number, probe: number) => "m".repeat(Math.floor((target - probe - 250 * fieldsFiller.length) / slots));
    const storedFiller = fillerFor(4.8 * MiB, bytes(maximalBody(ext, "", "")));
    const made = await sync(key, maximalBody(ext, storedFiller, fieldsFiller));
    expect(made.status, made.text.slice(0, 2000)).toBe(200);
    const stored = Object.fromEntries(LISTS.map(([list]) => [list, made.body.client[list] as { id: string; externalId: string }[]]));

    const probe = bytes(worstBody(ext, stored, "", ""));
    const filler = fillerFor(4.85 * MiB, probe).replace(/^m/, "w"); // every kept record changes
    const body = worstBody(ext, stored, filler, fieldsFiller);
    const size = bytes(body);
    expect(size).toBeGreaterThan(4.6 * MiB);
    expect(size).toBeLessThan(5 * MiB);

    const idem = { headers: { "idempotency-key": `kw-${uniq()}` } };
    const first = await h.post("/clients/sync", body, { key, ...idem });
    expect(first.status, first.text.slice(0, 2000)).toBe(200);
    expect(first.stats.violations).toEqual([]);
    expect(first.stats.statementCount).toBeLessThanOrEqual(D1_LIMITS.maxStatementsPerRequest);
    expect(first.stats.roundTrips).toBe(2); // the key lookup shares the first round trip
    const answerBytes = bytes(first.text) - 2; // bytes() measures the JSON of the string
    const keyStatements = first.stats.statements.filter((s) => s.sql.includes('"idempotency_keys"')).length;
    console.log(
      `keyed worst-case sync (${size} bytes of body, ${answerBytes} bytes of answer): ${first.stats.statementCount} statements ` +
        `(${keyStatements} on idempotency_keys), batches ${JSON.stringify(first.stats.batchSizes)}, rows read ${first.stats.rowsRead}, rows written ${first.stats.rowsWritten}`,
    );
    for (const [list] of LISTS) {
      expect(first.body[list].created).toHaveLength(125);
      expect(first.body[list].updated).toHaveLength(125);
      expect(first.body[list].deleted).toHaveLength(125);
    }
    expect(first.body.linkedClients.created).toHaveLength(125);
    expect(first.body.linkedClients.updated).toHaveLength(125);
    expect(first.body.linkedClients.deleted).toHaveLength(125);
    // The swap happened: the stored child that was a0 now holds a1, and the other way round.
    const [a0, a1] = [0, 1].map((i) => stored.addresses!.find((c) => c.externalId === `${ext}-a${i}`)!.id);
    expect((await h.rows("test", addresses, { id: a0 }))[0]!.externalId).toBe(`${ext}-a1`);
    expect((await h.rows("test", addresses, { id: a1 }))[0]!.externalId).toBe(`${ext}-a0`);
    expect(await countsOf(h, tenantId)).toMatchObject({ addresses: 250, contact_methods: 250, bank_accounts: 250, documents: 250, client_links: 250 });
    // One entry (2 rows: the row and its primary key) per client changed: the client, 125 linked
    // clients created and 125 updated; each with its outbox row.
    const entries = (await h.binding("test").prepare("SELECT count(*) AS n FROM client_history WHERE tenant_id = ? AND part = 0 AND sequence > 0 AND at = (SELECT max(at) FROM client_history WHERE tenant_id = ?)").bind(tenantId, tenantId).first<{ n: number }>())!.n;
    expect(entries).toBe(251);
    const recorded = recordedRows(first);
    expect(recorded.history).toBe(2 * 251);
    expect(recorded.history).toBeLessThanOrEqual(3 * 251);
    expect(recorded.outbox).toBeGreaterThanOrEqual(251);

    const before = await dumpTenant(h, tenantId);
    const again = await h.post("/clients/sync", body, { key, ...idem });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text === first.text).toBe(true); // not toBe: a failure would print 10 MB twice
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.stats.rowsWritten).toBe(0);
    expect(again.stats.statementCount).toBeLessThanOrEqual(D1_LIMITS.maxStatementsPerRequest);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
    console.log(`keyed worst-case sync replayed: ${again.stats.statementCount} statements, batches ${JSON.stringify(again.stats.batchSizes)}`);
  });
});
