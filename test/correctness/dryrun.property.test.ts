// Property (issue 10, item 3): a dry run answers what the real call answers — over generated sync
// bodies full of references that may collide (externalIds shared by children, clients created and
// renamed in one body, links to the synced client itself, unknown ids, deletes, replaceMode). The
// planner must catch every conflict the database would: if it missed one, the real call would fail
// in its write batch (409 after retries, or a 500) while the dry run answers 200.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";
import { dumpTenant } from "../sync/helpers";

const h = createHarness();
const SEED = 20261127;
const RUNS = 200;

const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });
const address = (over: Record<string, unknown>) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", ...over });

/** A tenant with client C (two addresses, a primary email, linked to O) and client O (an address). */
async function world() {
  const { tenantId, key } = await h.newTenantWithKey();
  const o = await sync(key, { client: { type: "company", name: "O", externalId: "o" }, addresses: [address({ externalId: "oa" })] });
  const c = await sync(key, {
    client: { type: "individual", name: "C", externalId: "c" },
    addresses: [address({ externalId: "a1", isPrimary: true }), address({ externalId: "a2" })],
    contactMethods: [{ externalId: "e1", value: "c@example.com", isPrimary: true }],
    linkedClients: [{ clientId: o.body.client.id, relationshipType: "guarantor" }],
  });
  expect([o.status, c.status]).toEqual([200, 200]);
  return { tenantId, key, ids: { C: c.body.client.id as string, O: o.body.client.id as string, a1: c.body.addresses.created[0].id as string } };
}

type Ids = Awaited<ReturnType<typeof world>>["ids"];
type Ref = "C" | "O" | "a1" | "ghost";
const resolve = (ref: Ref, ids: Ids) => (ref === "ghost" ? "00000000-0000-4000-8000-000000000000" : ids[ref]);

const maybe = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Present in about one case of `1 + absent`. */
const rarely = <T,>(arb: fc.Arbitrary<T>, absent = 4) => fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
// Small alphabets, so that references collide often: children's externalIds, and clients'.
const extId = fc.constantFrom("a1", "a2", "oa", "x", "y", null);
const clientExtId = fc.constantFrom("n", "n", "m", "c", "o", null);
const addressItem = fc.record(
  { ref: rarely(fc.constantFrom<Ref>("a1", "a1", "ghost")), externalId: maybe(extId), street: fc.oneof({ weight: 12, arbitrary: fc.constantFrom("Juárez 5", "Reforma 1") }, { weight: 1, arbitrary: fc.constant(undefined) }), isPrimary: maybe(fc.boolean()), _delete: rarely(fc.constant(true)) },
  { requiredKeys: [] },
);
const contactItem = fc.record(
  { externalId: maybe(fc.constantFrom("e1", "e2", "x")), value: fc.oneof({ weight: 12, arbitrary: fc.constantFrom("c@example.com", "d@example.com", "+52 55 1234 5678") }, { weight: 1, arbitrary: fc.constant(undefined) }), isPrimary: maybe(fc.boolean()), _delete: rarely(fc.constant(true)) },
  { requiredKeys: [] },
);
const linkItem = fc.record(
  {
    ref: maybe(fc.constantFrom<Ref>("O", "O", "O", "O", "O", "O", "O", "O", "O", "O", "O", "O", "C", "ghost")),
    child: maybe(
      fc.record(
        { externalId: maybe(clientExtId), name: fc.oneof({ weight: 12, arbitrary: fc.constantFrom("New", "Renamed") }, { weight: 1, arbitrary: fc.constant(undefined) }), type: maybe(fc.constantFrom("individual", "company")) },
        { requiredKeys: [] },
      ),
    ),
    relationshipType: maybe(fc.constantFrom("legal_representative", "guarantor", null)),
    _delete: rarely(fc.constant(true)),
  },
  { requiredKeys: [] },
);
const bodyArb = fc.record(
  {
    byId: fc.boolean(),
    client: maybe(fc.record({ externalId: maybe(clientExtId), name: maybe(fc.constantFrom("C", "C2")) }, { requiredKeys: [] })),
    addresses: maybe(fc.array(addressItem, { maxLength: 3 })),
    contactMethods: maybe(fc.array(contactItem, { maxLength: 3 })),
    linkedClients: maybe(
      fc.oneof(
        fc.array(linkItem, { maxLength: 4 }),
        // Clients created and renamed in one body claiming one externalId, in either order.
        fc
          .tuple(fc.constantFrom("n", "m"), fc.boolean(), fc.array(linkItem, { maxLength: 1 }))
          .map(([x, flip, rest]) => {
            const pair = [{ child: { externalId: x, name: "New" } }, { ref: "O" as Ref, child: { externalId: x } }];
            return [...(flip ? pair.reverse() : pair), ...rest];
          }),
      ),
    ),
    replaceMode: maybe(fc.boolean()),
  },
  { requiredKeys: ["byId"] },
);
type Generated = typeof bodyArb extends fc.Arbitrary<infer T> ? T : never;

const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function toBody(g: Generated, ids: Ids): Record<string, unknown> {
  const body: Record<string, unknown> = g.byId ? { clientId: ids.C } : { client: { externalId: "c" } };
  // Found by externalId, the client keeps it (another one would create a client without a type).
  if (g.client) body.client = { ...clean(g.client), ...(body.client as object) };
  if (g.addresses) {
    body.addresses = g.addresses.map(({ ref, ...rest }) => clean({ ...(ref ? { id: resolve(ref, ids) } : {}), city: "CDMX", state: "CDMX", postalCode: "06600", ...rest }));
  }
  if (g.contactMethods) body.contactMethods = g.contactMethods.map((c) => clean(c));
  if (g.linkedClients) {
    // A child without a type gets one unless it names a client (a create needs type and name).
    const namesClient = (child: Record<string, unknown>, ref: unknown) => ref !== undefined || child.externalId === "c" || child.externalId === "o";
    const childOf = (child: Record<string, unknown>, ref: unknown) => clean({ ...(namesClient(child, ref) ? {} : { type: "individual" }), ...child });
    body.linkedClients = g.linkedClients.map(({ ref, child, ...rest }) =>
      clean({ ...(ref ? { clientId: resolve(ref, ids) } : {}), ...(child || !ref ? { child: childOf(child ?? {}, ref) } : {}), ...rest }),
    );
  }
  if (g.replaceMode !== undefined) body.replaceMode = g.replaceMode;
  return body;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** The answer with the ids this request made numbered in order of appearance, and times blanked. */
function normalized(text: string, known: ReadonlySet<string>): unknown {
  const fresh = new Map<string, string>();
  const replaced = text
    .replace(UUID, (id) => (known.has(id) ? id : (fresh.get(id) ?? (fresh.set(id, `new-${fresh.size}`), fresh.get(id)!))))
    .replace(ISO, "<time>")
    .replace('"dryRun":true', '"dryRun":false');
  const value = JSON.parse(replaced);
  delete value.requestId; // a problem names its own request
  return value;
}

describe("dryRun answers what the real call answers", () => {
  it(`over ${RUNS} generated bodies (seed ${SEED})`, async () => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(bodyArb, async (g) => {
        const { tenantId, key, ids } = await world();
        const body = toBody(g, ids);
        const before = await dumpTenant(h, tenantId);
        const dry = await sync(key, { ...body, dryRun: true });
        expect(await dumpTenant(h, tenantId), "a dry run writes nothing").toEqual(before);
        const real = await sync(key, body);
        statuses[real.status] = (statuses[real.status] ?? 0) + 1;
        expect(real.status, `${JSON.stringify(body)}\n→ ${real.text.slice(0, 500)}`).toBe(dry.status);
        expect([200, 400, 404, 409]).toContain(real.status);
        const known = new Set(Object.values(before).flatMap((rows) => (rows as { id?: string }[]).map((r) => r.id ?? "")));
        expect(normalized(real.text, known), JSON.stringify(body)).toEqual(normalized(dry.text, known));
        if (real.status === 200) {
          const get = await h.get(`/clients/${real.body.client.id}`, { key });
          expect(get.body).toEqual(real.body.client);
        } else {
          expect(await dumpTenant(h, tenantId), "a refused sync writes nothing").toEqual(before);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.log(`[correctness] dryRun vs real: seed ${SEED}, ${RUNS} bodies, statuses ${JSON.stringify(statuses)}`);
  }, 120_000);
});
