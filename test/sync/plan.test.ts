// The pure sync planner (src/sync/plan.ts) with hand-made stored graphs: no D1. What it plans to
// write is exactly the diff between the stored graph and the request, and nothing for equal data.
import { describe, expect, it } from "vitest";
import type { ClientGraph } from "../../src/db/mappers";
import type { AddressRow, ClientLinkRow, ClientRow, ContactMethodRow, DocumentRow } from "../../src/db/schema";
import { syncRequest } from "../../src/schemas/requests";
import type { Loaded } from "../../src/sync/load";
import { planSync, type Plan } from "../../src/sync/plan";
import { PlanRejected } from "../../src/sync/problems";

const TENANT = "tenant-plan";
const T0 = "2026-01-01T00:00:00.000Z";
const NOW = new Date("2026-06-01T12:00:00.000Z");

function ids() {
  let n = 0;
  return () => `00000000-0000-7000-8000-${(++n).toString(16).padStart(12, "0")}`;
}
const uuid = (n: number) => `11111111-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;

function clientRow(over: Partial<ClientRow> = {}): ClientRow {
  return {
    id: uuid(1),
    tenantId: TENANT,
    type: "individual",
    name: "Ana",
    middleName: null,
    lastName: null,
    isPrimary: true,
    nationalities: ["MX"],
    scopes: ["base"],
    externalId: "ana",
    metadata: { a: 1, nested: { b: [1, 2] } },
    birthDate: "1990-06-15",
    scopeData: {},
    employment: null,
    version: 7,
    createdAt: T0,
    updatedAt: T0,
    complete: null,
    completeUntil: null,
    ...over,
  };
}

function addressRow(over: Partial<AddressRow> = {}): AddressRow {
  return {
    id: uuid(100),
    tenantId: TENANT,
    clientId: uuid(1),
    type: "home",
    isPrimary: false,
    street: "Reforma 1",
    city: "CDMX",
    state: "CDMX",
    postalCode: "06600",
    country: "MX",
    externalId: null,
    metadata: {},
    scopeData: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function contactRow(over: Partial<ContactMethodRow> = {}): ContactMethodRow {
  return {
    id: uuid(200),
    tenantId: TENANT,
    clientId: uuid(1),
    type: "email",
    value: "ana@example.com",
    isPrimary: false,
    label: null,
    externalId: null,
    metadata: {},
    isVerified: false,
    verifiedAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function documentRow(over: Partial<DocumentRow> = {}): DocumentRow {
  return {
    id: uuid(300),
    tenantId: TENANT,
    clientId: uuid(1),
    type: "ine",
    category: "identity",
    expiresAt: null,
    externalId: null,
    metadata: {},
    fields: { number: "123" },
    filename: null,
    contentType: null,
    size: null,
    status: "pending_upload",
    sha256: null,
    uploadedAt: null,
    fileKey: null,
    verifiedAt: null,
    verifiedBy: null,
    rejectionReason: null,
    reviewedAt: null,
    reviewedBy: null,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function linkRow(child: ClientRow, over: Partial<ClientLinkRow> = {}): ClientLinkRow {
  return {
    id: uuid(400),
    tenantId: TENANT,
    parentClientId: uuid(1),
    childClientId: child.id,
    relationshipType: "guarantor",
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

function graph(over: Partial<ClientGraph> = {}): ClientGraph {
  return {
    client: clientRow(),
    addresses: [],
    contactMethods: [],
    bankAccounts: [],
    documents: [],
    links: [],
    linkedClients: new Map(),
    linkedContacts: [],
    ...over,
  };
}

function loaded(over: Partial<Loaded> = {}): Loaded {
  return {
    graph: null,
    childOwners: { addresses: [], contactMethods: [], bankAccounts: [], documents: [] },
    namedClients: [],
    namedContacts: [],
    ...over,
  };
}

function plan(body: unknown, state: Loaded): Plan {
  return planSync(syncRequest.parse(body), state, { tenantId: TENANT, now: NOW, newId: ids() });
}

function planError(body: unknown, state: Loaded): PlanRejected {
  try {
    plan(body, state);
  } catch (error) {
    if (error instanceof PlanRejected) return error;
    throw error;
  }
  throw new Error("planSync did not throw");
}

const writes = (p: Plan) => ({
  clients: p.clients.insert.length + p.clients.update.length,
  children: Object.values(p.children).reduce((n, c) => n + c.insert.length + c.update.length + c.delete.length, 0),
  links: p.links.insert.length + p.links.update.length + p.links.delete.length,
});

// -------------------------------------------------------------------------------------------------
describe("planSync: diff, not rewrite", () => {
  it("plans nothing when the request repeats the stored graph (key order of objects aside)", () => {
    const linked = clientRow({ id: uuid(2), name: "Rep", externalId: "rep", isPrimary: false, version: 3 });
    const state = loaded({
      graph: graph({
        addresses: [addressRow({ externalId: "a1", isPrimary: true, metadata: { x: 1, y: 2 } })],
        contactMethods: [contactRow({ externalId: "c1" })],
        documents: [documentRow({ externalId: "d1" })],
        links: [linkRow(linked)],
        linkedClients: new Map([[linked.id, linked]]),
      }),
      namedClients: [clientRow(), linked],
    });
    const p = plan(
      {
        client: { externalId: "ana", name: "Ana", type: "individual", metadata: { nested: { b: [1, 2] }, a: 1 }, nationalities: "mx" },
        addresses: [{ externalId: "a1", isPrimary: true, street: "Reforma 1", metadata: { y: 2, x: 1 }, country: "mx" }],
        contactMethods: [{ externalId: "c1", value: "ana@example.com", type: "email" }],
        documents: [{ id: uuid(300), fields: { number: "123" }, type: "ine" }],
        linkedClients: [{ child: { externalId: "rep", name: "Rep" }, relationshipType: "guarantor" }],
      },
      state,
    );
    expect(p.noop).toBe(true);
    expect(p.bumpVersion).toBe(false);
    expect(writes(p)).toEqual({ clients: 0, children: 0, links: 0 });
    expect(p.response.action).toBe("unchanged");
    for (const list of ["addresses", "contactMethods", "bankAccounts", "documents", "linkedClients"] as const) {
      expect(p.response[list]).toEqual({ created: [], updated: [], deleted: [] });
    }
    expect(p.response.client.updatedAt).toBe(T0);
  });

  it("updates only the changed rows, stamping only their updatedAt, and bumps the version", () => {
    const state = loaded({
      graph: graph({
        addresses: [addressRow({ id: uuid(100), externalId: "a1" }), addressRow({ id: uuid(101), externalId: "a2" })],
        documents: [documentRow()],
      }),
    });
    const p = plan({ clientId: uuid(1), addresses: [{ externalId: "a1", city: "Monterrey" }, { externalId: "a2", city: "CDMX" }], documents: [{ id: uuid(300), type: "ine" }] }, state);
    expect(p.response.action).toBe("unchanged");
    expect(p.clients.update).toEqual([]);
    expect(p.bumpVersion).toBe(true);
    expect(p.guards).toEqual([{ id: uuid(1), version: 7 }]);
    expect(p.children.addresses.update).toEqual([expect.objectContaining({ id: uuid(100), city: "Monterrey", updatedAt: NOW.toISOString(), createdAt: T0 })]);
    expect(p.children.addresses.insert).toEqual([]);
    expect(p.children.documents).toEqual({ insert: [], update: [], delete: [], release: [] });
    const shown = p.response.client.addresses;
    expect(shown.find((a) => a.id === uuid(101))!.updatedAt).toBe(T0);
    expect(p.response.client.updatedAt).toBe(T0);
    expect(p.response.addresses.updated.map((a) => a.id)).toEqual([uuid(100)]);
  });

  it("a client field change updates the client row with version + 1 and no separate bump", () => {
    const p = plan({ clientId: uuid(1), client: { name: "Ana María" } }, loaded({ graph: graph() }));
    expect(p.response.action).toBe("updated");
    expect(p.clients.update).toEqual([expect.objectContaining({ id: uuid(1), name: "Ana María", version: 8, updatedAt: NOW.toISOString() })]);
    expect(p.bumpVersion).toBe(false);
    expect(writes(p)).toEqual({ clients: 1, children: 0, links: 0 });
  });

  it("plans a creation with new ids, no guard, and items in request order", () => {
    const p = plan(
      {
        client: { type: "individual", name: "New", externalId: "new" },
        addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", country: "MX" }],
        contactMethods: [{ value: "+52 55 1234 5678" }],
        linkedClients: [{ child: { type: "company", name: "Co" }, relationshipType: "controlling_beneficiary" }],
      },
      loaded(),
    );
    expect(p.response.action).toBe("created");
    expect(p.guards).toEqual([]);
    expect(p.clients.insert.map((c) => [c.name, c.isPrimary, c.version])).toEqual([
      ["New", true, 1],
      ["Co", false, 1],
    ]);
    expect(p.children.addresses.insert).toHaveLength(1);
    expect(p.children.contactMethods.insert[0]).toMatchObject({ type: "phone", clientId: p.clientId });
    expect(p.links.insert).toEqual([expect.objectContaining({ parentClientId: p.clientId, childClientId: p.clients.insert[1]!.id, relationshipType: "controlling_beneficiary" })]);
    expect(p.noop).toBe(false);
  });

  it("dryRun plans the same and only flags the response", () => {
    const state = loaded({ graph: graph({ addresses: [addressRow({ externalId: "a1" })] }) });
    const body = { clientId: uuid(1), client: { lastName: "L" }, addresses: [{ externalId: "a1", _delete: true }] };
    const real = plan(body, state);
    const dry = plan({ ...body, dryRun: true }, state);
    expect({ ...dry.response, dryRun: false }).toEqual(real.response);
    expect(dry.response.dryRun).toBe(true);
    expect(dry.children).toEqual(real.children);
  });
});

// -------------------------------------------------------------------------------------------------
describe("planSync: matching and deleting", () => {
  it("_delete with an externalId that matches nothing plans nothing; replaceMode deletes the untargeted of present lists only", () => {
    const state = loaded({
      graph: graph({
        addresses: [addressRow({ id: uuid(100), externalId: "a1" }), addressRow({ id: uuid(101) })],
        contactMethods: [contactRow()],
      }),
    });
    expect(plan({ clientId: uuid(1), addresses: [{ externalId: "gone", _delete: true }] }, state).noop).toBe(true);
    const p = plan({ clientId: uuid(1), replaceMode: true, addresses: [{ externalId: "a1" }] }, state);
    expect(p.children.addresses.delete).toEqual([uuid(101)]);
    expect(p.children.contactMethods.delete).toEqual([]);
    expect(p.response.client.contactMethods).toHaveLength(1);
  });

  it("an id of no child of this client is a 404 at the item's pointer; another client's externalId a 409", () => {
    const state = loaded({
      graph: graph(),
      childOwners: { addresses: [], contactMethods: [{ id: uuid(900), clientId: uuid(9), externalId: "theirs" }], bankAccounts: [], documents: [] },
    });
    const notFound = planError({ clientId: uuid(1), documents: [{ id: uuid(901) }] }, state);
    expect(notFound.kind).toBe("not_found");
    expect(notFound.issues.map((e) => e.pointer)).toEqual(["/documents/0/id"]);
    const conflict = planError({ clientId: uuid(1), contactMethods: [{ value: "a@b.co", externalId: "theirs" }] }, state);
    expect(conflict.kind).toBe("conflict");
    expect(conflict.issues.map((e) => e.pointer)).toEqual(["/contactMethods/0/externalId"]);
  });

  it("400 wins over 404 and 409 as the status, and the answer lists every problem, of every kind (API.md §3)", () => {
    const state = loaded({ graph: graph() });
    const error = planError(
      {
        clientId: uuid(1),
        documents: [{ id: uuid(901) }],
        addresses: [{ street: "x", clientId: uuid(5) }],
      },
      state,
    );
    expect(error.kind).toBe("invalid");
    expect(error.issues.map((e) => e.pointer)).toEqual(["/addresses/0/clientId", "/addresses/0/city", "/addresses/0/state", "/addresses/0/postalCode", "/documents/0/id"]);
    expect(error.issues.at(-1)!.code).toBe("not_found");
  });

  it("swapping two children's externalIds releases both first", () => {
    const state = loaded({
      graph: graph({ addresses: [addressRow({ id: uuid(100), externalId: "x" }), addressRow({ id: uuid(101), externalId: "y" }), addressRow({ id: uuid(102), externalId: "z" })] }),
    });
    const p = plan({ clientId: uuid(1), addresses: [{ id: uuid(100), externalId: "y" }, { id: uuid(101), externalId: "x" }, { id: uuid(102), externalId: "w" }] }, state);
    expect(p.children.addresses.release.sort()).toEqual([uuid(100), uuid(101)]);
    expect(p.children.addresses.update).toHaveLength(3);
  });
});

// -------------------------------------------------------------------------------------------------
describe("planSync: primary flags", () => {
  it("a new primary demotes the stored one (reported as updated); contact slots are per type", () => {
    const state = loaded({
      graph: graph({
        addresses: [addressRow({ id: uuid(100), isPrimary: true })],
        contactMethods: [contactRow({ id: uuid(200), isPrimary: true }), contactRow({ id: uuid(201), type: "phone", value: "5512345678", isPrimary: true })],
      }),
    });
    const p = plan(
      {
        clientId: uuid(1),
        addresses: [{ street: "s", city: "c", state: "st", postalCode: "01000", isPrimary: true }],
        contactMethods: [{ value: "new@example.com", isPrimary: true }],
      },
      state,
    );
    expect(p.children.addresses.update).toEqual([expect.objectContaining({ id: uuid(100), isPrimary: false, updatedAt: NOW.toISOString() })]);
    expect(p.response.addresses.updated.map((a) => a.id)).toEqual([uuid(100)]);
    expect(p.children.contactMethods.update.map((c) => c.id)).toEqual([uuid(200)]);
    expect(p.response.client.email).toBe("new@example.com");
    expect(p.response.client.phone).toBe("5512345678");
  });

  it("two items claiming one slot is a 400 at the second claim", () => {
    const error = planError(
      { clientId: uuid(1), bankAccounts: [{ accountNumber: "1", bankName: "b", currency: "MXN", isPrimary: true }, { accountNumber: "2", bankName: "b", currency: "MXN", isPrimary: true }] },
      loaded({ graph: graph() }),
    );
    expect(error.kind).toBe("invalid");
    expect(error.issues.map((e) => e.pointer)).toEqual(["/bankAccounts/1/isPrimary"]);
  });
});

// -------------------------------------------------------------------------------------------------
describe("planSync: links", () => {
  const other = clientRow({ id: uuid(2), name: "Other", externalId: "other", version: 4 });

  it("links an existing client by id, guarding its version; a link listed again only updates what changed", () => {
    const p = plan({ clientId: uuid(1), linkedClients: [{ clientId: uuid(2) }] }, loaded({ graph: graph(), namedClients: [other] }));
    expect(p.links.insert).toEqual([expect.objectContaining({ childClientId: uuid(2), relationshipType: null, metadata: {} })]);
    expect(p.guards).toEqual([{ id: uuid(1), version: 7 }, { id: uuid(2), version: 4 }]);
    expect(p.bumpVersion).toBe(true);

    const linkedState = loaded({ graph: graph({ links: [linkRow(other)], linkedClients: new Map([[other.id, other]]) }), namedClients: [other] });
    const relisted = plan({ clientId: uuid(1), linkedClients: [{ clientId: uuid(2), metadata: { m: 1 } }] }, linkedState);
    expect(relisted.links.update).toEqual([expect.objectContaining({ id: uuid(400), relationshipType: "guarantor", metadata: { m: 1 }, updatedAt: NOW.toISOString() })]);
    expect(relisted.response.linkedClients.updated).toHaveLength(1);
    const same = plan({ clientId: uuid(1), linkedClients: [{ clientId: uuid(2), relationshipType: "guarantor" }] }, linkedState);
    expect(same.noop).toBe(true);
  });

  it("updating only the linked client writes that client, not the link, and reports the link as updated", () => {
    const state = loaded({ graph: graph({ links: [linkRow(other)], linkedClients: new Map([[other.id, other]]) }), namedClients: [other] });
    const p = plan({ clientId: uuid(1), linkedClients: [{ clientId: uuid(2), child: { lastName: "X" } }] }, state);
    expect(p.clients.update).toEqual([expect.objectContaining({ id: uuid(2), lastName: "X", version: 5 })]);
    expect(p.links.update).toEqual([]);
    expect(p.response.linkedClients.updated).toEqual([expect.objectContaining({ id: uuid(400), client: expect.objectContaining({ lastName: "X" }) })]);
    expect(p.noop).toBe(false);
  });

  it("unknown clientId is a 404; the client itself is a 400, also under its stored externalId while renamed", () => {
    const state = loaded({ graph: graph(), namedClients: [clientRow()] });
    expect(planError({ clientId: uuid(1), linkedClients: [{ clientId: uuid(3) }] }, state).kind).toBe("not_found");
    expect(planError({ clientId: uuid(1), linkedClients: [{ clientId: uuid(1) }] }, state).issues[0]!.code).toBe("self_link");
    const renamed = planError({ clientId: uuid(1), client: { externalId: "ana-2" }, linkedClients: [{ child: { externalId: "ana" } }] }, state);
    expect(renamed.kind).toBe("invalid");
    expect(renamed.issues.map((e) => [e.pointer, e.code])).toEqual([["/linkedClients/0", "self_link"]]);
  });

  it("_delete removes the link only; replaceMode removes the unlisted links", () => {
    const third = clientRow({ id: uuid(3), externalId: "third" });
    const state = loaded({
      graph: graph({ links: [linkRow(other), linkRow(third, { id: uuid(401) })], linkedClients: new Map([[other.id, other], [third.id, third]]) }),
      namedClients: [other, third],
    });
    const del = plan({ clientId: uuid(1), linkedClients: [{ child: { externalId: "other" }, _delete: true }] }, state);
    expect(del.links.delete).toEqual([uuid(400)]);
    expect(del.clients).toEqual({ insert: [], update: [] });
    const replaced = plan({ clientId: uuid(1), replaceMode: true, linkedClients: [{ clientId: uuid(3) }] }, state);
    expect(replaced.links.delete).toEqual([uuid(400)]);
    expect(replaced.response.client.linkedClients.map((l) => l.id)).toEqual([uuid(401)]);
  });
});
