// The graph read (db/graph.ts) is ONE statement whose arms carry every part of the graphs. Held to a
// reference — one drizzle select per part, as the read was until it became one statement — on
// arbitrary stored graphs: the same rows, decoded alike (booleans, JSON columns, numeric-looking
// text, NULLs), in the same order, for every way a read selects clients; nothing of another tenant.
import { and, asc, eq, inArray, sql, type SQLWrapper } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyTenant } from "../../src/db/api-keys";
import { runBatch, tenantFilter, type Db, type Statement, type Tenant } from "../../src/db/database";
import { assembleGraphs, graphsOf, graphStatements, GRAPH_STATEMENT_COUNT, selectClientByExternalId, selectClientById, type GraphPartRows } from "../../src/db/graph";
import { addresses, bankAccounts, clientLinks, clients, contactMethods, documents, type ClientRow } from "../../src/db/schema";
import { hashKey } from "../../src/http/keys";
import { createHarness } from "../support/harness";

const h = createHarness();

/** The read before it was one statement: a select per part, mapped by drizzle. */
function referenceStatements(db: Db, tenantId: Tenant, selector: SQLWrapper): Statement[] {
  const children = <T extends typeof addresses | typeof contactMethods | typeof bankAccounts | typeof documents>(table: T) =>
    db
      .select()
      .from(table)
      .where(and(tenantFilter(table.tenantId, tenantId), inArray(table.clientId as SQLiteColumn, selector)))
      .orderBy(asc(table.createdAt), asc(table.id));
  const linkedIds = db
    .select({ id: clientLinks.childClientId })
    .from(clientLinks)
    .where(and(tenantFilter(clientLinks.tenantId, tenantId), inArray(clientLinks.parentClientId, selector)));
  return [
    db.select().from(clients).where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, selector))).orderBy(asc(clients.createdAt), asc(clients.id)),
    children(addresses),
    children(contactMethods),
    children(bankAccounts),
    children(documents),
    db.select().from(clientLinks).where(and(tenantFilter(clientLinks.tenantId, tenantId), inArray(clientLinks.parentClientId, selector))),
    db.select().from(clients).where(and(tenantFilter(clients.tenantId, tenantId), inArray(clients.id, linkedIds))),
    db
      .select()
      .from(contactMethods)
      .where(and(tenantFilter(contactMethods.tenantId, tenantId), inArray(contactMethods.clientId, linkedIds), inArray(contactMethods.type, ["email", "phone", "mobile"]))),
  ];
}

/** Both reads' graphs, with the parts in the order the statement gave them (not sorted again). */
async function bothReads(tenantId: Tenant, selector: SQLWrapper) {
  const db = h.db("test");
  const ours = graphStatements(db, tenantId, selector);
  expect(ours).toHaveLength(GRAPH_STATEMENT_COUNT);
  const reference = referenceStatements(db, tenantId, selector);
  const results = await runBatch(db, [...ours, ...reference]);
  const mine = assembleGraphs(results.slice(0, ours.length));
  return { mine, reference: results.slice(ours.length) as GraphPartRows };
}


// Free text as stored: numeric-looking (leading zeros, exponents), empty, accents, quotes, controls.
const text = fc.oneof(
  fc.constantFrom("06600", "0012", "1e5", "-0", "  7 ", "", "0x1F", "9007199254740993", "Ñandú \"€\" \\ \u0000 \u2028"),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);
const maybeText = fc.option(text, { nil: null });
const json = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text, fc.boolean(), fc.constant(null)), { maxKeys: 3, noNullPrototype: true });
// A few instants, so that createdAt ties and the order falls to the id.
const at = fc.constantFrom("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.001Z", "2025-12-31T23:59:59.999Z");

const graphShape = fc.record({
  client: fc.record({ name: text, middleName: maybeText, lastName: maybeText, isPrimary: fc.boolean(), externalId: maybeText, birthDate: maybeText, metadata: json, nationalities: fc.array(text, { maxLength: 2 }), complete: fc.option(fc.boolean(), { nil: null }), createdAt: at }),
  addresses: fc.array(fc.record({ street: text, city: text, postalCode: text, isPrimary: fc.boolean(), metadata: json, createdAt: at }), { maxLength: 3 }),
  contacts: fc.array(fc.record({ type: fc.constantFrom("email", "phone", "mobile", "fax"), value: text, isPrimary: fc.boolean(), isVerified: fc.boolean(), createdAt: at }), { maxLength: 3 }),
  banks: fc.array(fc.record({ accountNumber: text, clabe: maybeText, isActive: fc.boolean(), createdAt: at }), { maxLength: 2 }),
  documents: fc.array(fc.record({ externalId: maybeText, filename: maybeText, size: fc.option(fc.integer(), { nil: null }), fields: json, createdAt: at }), { maxLength: 2 }),
  links: fc.array(fc.record({ to: fc.nat(4), createdAt: at }), { maxLength: 3 }),
});

/** Stores the shapes as clients of `tenantId` (links point among them, never to the client itself). */
type Shape = typeof graphShape extends fc.Arbitrary<infer T> ? T : never;

async function store(tenantId: string, shapes: Shape[]): Promise<ClientRow[]> {
  const stored: ClientRow[] = [];
  for (const s of shapes) {
    const client = await h.seedClient("test", tenantId, { ...s.client, externalId: s.client.externalId === null ? null : `${s.client.externalId}-${crypto.randomUUID()}` });
    stored.push(client);
    for (const a of s.addresses) await h.seedAddress("test", client, a);
    for (const c of s.contacts) await h.seedContactMethod("test", client, c);
    for (const b of s.banks) await h.seedBankAccount("test", client, b);
    for (const d of s.documents) await h.seedDocument("test", client, { ...d, externalId: d.externalId === null ? null : `${d.externalId}-${crypto.randomUUID()}` });
  }
  for (const [i, s] of shapes.entries()) {
    const targets = new Set(s.links.map((l) => l.to % shapes.length).filter((to) => to !== i));
    for (const to of targets) await h.seedLink("test", stored[i]!, stored[to]!, { createdAt: s.links[0]!.createdAt, relationshipType: "controlling_beneficiary" });
  }
  return stored;
}

describe("the one-statement graph read equals a select per part", () => {
  it("by id, by externalId, a page of several, a JSON list of ids; through the key's tenant too", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(graphShape, { minLength: 1, maxLength: 4 }), async (shapes) => {
        const { tenantId, key } = await h.newTenantWithKey();
        const stored = await store(tenantId, shapes);
        const db = h.db("test");
        const keyed = keyTenant(await hashKey(key), ["clients:read"]);
        const byExternal = stored.find((c) => c.externalId !== null);
        const page = db.select({ id: clients.id }).from(clients).where(eq(clients.tenantId, tenantId)).orderBy(asc(clients.createdAt), asc(clients.id)).limit(3);
        const ids = sql`(SELECT value FROM json_each(${JSON.stringify(stored.map((c) => c.id))}))`;
        const cases: [Tenant, SQLWrapper][] = [
          [tenantId, selectClientById(db, tenantId, stored[0]!.id)],
          [keyed, selectClientById(db, keyed, stored.at(-1)!.id)],
          [tenantId, page],
          [tenantId, ids],
          ...(byExternal ? [[tenantId, selectClientByExternalId(db, tenantId, byExternal.externalId!)] as [Tenant, SQLWrapper]] : []),
        ];
        for (const [tenant, selector] of cases) {
          const { mine, reference } = await bothReads(tenant, selector);
          // The graphs as they were assembled from the statements per part (in their orders).
          const expected = graphsOf(reference);
          expect(mine).toEqual(expected);
          // In order: toEqual compares arrays position by position, and the Maps' keys in order too.
          expect(mine.map((g) => [...g.linkedClients.keys()])).toEqual(expected.map((g) => [...g.linkedClients.keys()]));
          expect(mine.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("reads nothing of another tenant, nor for a refused key", async () => {
    const { tenantId } = await h.newTenantWithKey();
    const other = await h.newTenantWithKey();
    const [client] = await store(tenantId, [
      { client: { name: "A", middleName: null, lastName: null, isPrimary: true, externalId: null, birthDate: null, metadata: {}, nationalities: [], complete: null, createdAt: "2026-01-01T00:00:00.000Z" }, addresses: [{ street: "s", city: "c", postalCode: "01000", isPrimary: true, metadata: {}, createdAt: "2026-01-01T00:00:00.000Z" }], contacts: [], banks: [], documents: [], links: [] },
    ]);
    const db = h.db("test");
    const unknownKey = keyTenant(await hashKey(`sk_test_${"B".repeat(43)}`), ["clients:read"]);
    for (const tenant of [other.tenantId, keyTenant(await hashKey(other.key), ["clients:read"]), unknownKey]) {
      const results = await runBatch(db, graphStatements(db, tenant, selectClientById(db, tenant, client!.id)));
      expect(results[0]).toEqual([]);
      expect(assembleGraphs(results)).toEqual([]);
    }
    // The same client's id, read in its tenant but selected from another's: nothing either.
    const results = await runBatch(db, graphStatements(db, tenantId, selectClientById(db, other.tenantId, client!.id)));
    expect(results[0]).toEqual([]);
  });
});
