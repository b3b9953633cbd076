// A sync's problems come in ONE answer (API.md §3 amended): shape errors together with the rules that
// need stored state; and the planner catches every conflict the database would (§6), so a dry run and
// the real call always agree.
import { describe, expect, it } from "vitest";
import { createHarness } from "../support/harness";
import { dumpTenant, pointers, uniq } from "../sync/helpers";

const h = createHarness();
const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });
const address = (over: Record<string, unknown> = {}) => ({ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", country: "MX", ...over });

async function setUp() {
  const { tenantId, key } = await h.newTenantWithKey();
  const other = await sync(key, { client: { type: "company", name: "Other", externalId: `o-${uniq()}` }, documents: [{ externalId: "doc-of-other", type: "ine" }] });
  expect(other.status, other.text).toBe(200);
  const ana = await sync(key, { client: { type: "individual", name: "Ana", externalId: `a-${uniq()}` }, addresses: [address({ externalId: "home" })] });
  expect(ana.status, ana.text).toBe(200);
  return { tenantId, key, id: ana.body.client.id as string, otherId: other.body.client.id as string };
}

describe("every problem of a sync in one answer", () => {
  it("shape errors and state errors together; fixing the shape reveals nothing new", async () => {
    const { tenantId, key, id } = await setUp();
    const unknown = crypto.randomUUID();
    const ghost = crypto.randomUUID();
    const before = await dumpTenant(h, tenantId);
    const broken = {
      clientId: id,
      client: { name: "   " },
      addresses: [{ id: unknown, city: "Puebla" }, { externalId: "home", street: 5 }],
      documents: [{ externalId: "doc-of-other", type: "ine", size: -1 }, { externalId: "doc-new", type: "curp" }],
      linkedClients: [{ clientId: ghost, relationshipType: "friend" }],
    };
    const first = await sync(key, broken);
    expect(first.status).toBe(400);
    expect(pointers(first.body).sort()).toEqual(
      [
        "/client/name", // shape
        "/addresses/1/street", // shape
        "/documents/0/size", // shape
        "/linkedClients/0/relationshipType", // shape
        "/addresses/0/id", // no such address on this client (state)
        "/documents/0/externalId", // a document of another client holds it (state), although the item is invalid
        "/linkedClients/0/clientId", // no such client (state), although the item is invalid
      ].sort(),
    );
    expect(await dumpTenant(h, tenantId)).toEqual(before);

    // The shape fixed: what is left was in the first answer already.
    const fixed = {
      clientId: id,
      client: { name: "Ana" },
      addresses: [{ id: unknown, city: "Puebla" }, { externalId: "home", street: "Juárez 5" }],
      documents: [{ externalId: "doc-of-other", type: "ine" }, { externalId: "doc-new", type: "curp" }],
      linkedClients: [{ clientId: ghost }],
    };
    const second = await sync(key, fixed);
    expect(second.status).toBe(404);
    expect(pointers(second.body).length).toBeGreaterThan(0);
    for (const p of pointers(second.body)) expect(pointers(first.body)).toContain(p);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("an unknown clientId is reported with the shape errors, not after them", async () => {
    const { key } = await setUp();
    const res = await sync(key, { clientId: crypto.randomUUID(), addresses: [{ street: "" }] });
    expect(res.status).toBe(400);
    expect(pointers(res.body).sort()).toEqual(["/addresses/0/street", "/clientId"]);
  });

  it("a body that is not an object still answers its shape errors only, with no read", async () => {
    const { key } = await setUp();
    const res = await sync(key, [1, 2]);
    expect(res.status).toBe(400);
    expect(res.stats.roundTrips).toBe(1); // the key lookup
  });
});

describe("conflicts inside one body are caught by the planner, not the database", () => {
  it("a renamed linked client taking the externalId of a client created in the same body: 400 at once, dryRun agrees", async () => {
    const { tenantId, key, id, otherId } = await setUp();
    const body = {
      clientId: id,
      linkedClients: [
        { child: { type: "individual", name: "New", externalId: "n" } },
        { clientId: otherId, child: { externalId: "n" } },
      ],
    };
    const before = await dumpTenant(h, tenantId);
    const dry = await sync(key, { ...body, dryRun: true });
    const real = await sync(key, body);
    expect(real.status).toBe(400);
    expect(pointers(real.body)).toEqual(["/linkedClients/1/child/externalId"]);
    expect(real.body.errors[0].code).toBe("duplicate_reference");
    // Found by the plan: no write batch was tried (auth + one read round trip).
    expect(real.stats.roundTrips).toBe(1); // the key lookup shares the first round trip
    expect({ status: dry.status, errors: dry.body.errors }).toEqual({ status: real.status, errors: real.body.errors });
    expect(await dumpTenant(h, tenantId)).toEqual(before);

    // The other order, and two renames to one value: the same.
    const third = await sync(key, { client: { type: "company", name: "Third", externalId: `t-${uniq()}` } });
    const renames = await sync(key, { clientId: id, linkedClients: [{ clientId: otherId, child: { externalId: "m" } }, { clientId: third.body.client.id, child: { externalId: "m" } }] });
    expect(renames.status).toBe(400);
    expect(pointers(renames.body)).toEqual(["/linkedClients/1/child/externalId"]);
    const reversed = await sync(key, { clientId: id, linkedClients: [{ clientId: otherId, child: { externalId: "k" } }, { child: { type: "individual", name: "New", externalId: "k" } }] });
    expect(reversed.status).toBe(400);
    expect(pointers(reversed.body)).toEqual(["/linkedClients/1/child/externalId"]);
  });
});

describe("an invalid part still reports the keys it lacks", () => {
  it("a new client, address, and linked child that are invalid AND incomplete: both in one answer", async () => {
    const { tenantId, key, id } = await setUp();
    const before = await dumpTenant(h, tenantId);
    const created = await sync(key, { client: { name: " ", externalId: `new-${uniq()}` } });
    expect(created.status).toBe(400);
    expect(pointers(created.body).sort()).toEqual(["/client/name", "/client/type"]);

    const res = await sync(key, {
      clientId: id,
      addresses: [{ street: "", externalId: `x-${uniq()}` }, { _delete: true, street: 5 }],
      linkedClients: [{ child: { name: "" } }, { relationshipType: "friend" }, { _delete: true, relationshipType: "friend" }],
    });
    expect(res.status).toBe(400);
    expect(pointers(res.body).sort()).toEqual(
      [
        "/addresses/0/street", // shape
        "/addresses/0/city", // lacking, it creates
        "/addresses/0/state",
        "/addresses/0/postalCode",
        "/addresses/1/street", // shape
        "/addresses/1/_delete", // names nothing to delete
        "/linkedClients/0/child/name", // shape
        "/linkedClients/0/child/type", // lacking, it creates
        "/linkedClients/1/relationshipType", // shape
        "/linkedClients/1", // names no client
        "/linkedClients/2/relationshipType", // shape
        "/linkedClients/2", // names no client (as a valid item would be told)
      ].sort(),
    );
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });
});
