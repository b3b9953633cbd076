// The planner's domain problems (src/sync/problems.ts) and their HTTP answers (src/http/plan-problems.ts):
// the planner throws ONE PlanRejected listing every problem, of the first kind present (invalid, then
// not_found, then conflict); the sync answers it as the problem it always was — same status, detail
// and errors — and writes nothing.
import { describe, expect, it } from "vitest";
import { apiErrorOf } from "../../src/write/plan-errors";
import { PlanProblems, PlanRejected } from "../../src/sync/problems";
import { createHarness } from "../support/harness";
import { dumpTenant, uniq } from "./helpers";

function rejectionOf(problems: PlanProblems): PlanRejected {
  try {
    problems.throwIfAny();
  } catch (error) {
    if (error instanceof PlanRejected) return error;
    throw error;
  }
  throw new Error("throwIfAny did not throw");
}

describe("PlanProblems", () => {
  it("throws nothing when nothing was found", () => {
    expect(() => new PlanProblems().throwIfAny()).not.toThrow();
  });

  it("rejects with the first kind present, listing every problem of every kind, kind by kind", () => {
    const problems = new PlanProblems();
    problems.conflict(["addresses", 0, "externalId"], "external_id_taken", "taken");
    expect(rejectionOf(problems).kind).toBe("conflict");
    problems.notFound(["documents", 1, "id"], "not_found", "no such document");
    expect(rejectionOf(problems).kind).toBe("not_found");
    problems.invalid(["addresses", 2, "street"], "required", "street is required");
    problems.invalidAll([{ pointer: "/client/type", code: "required", detail: "type is required" }]);
    const rejected = rejectionOf(problems);
    expect(rejected.kind).toBe("invalid");
    expect(rejected.issues).toEqual([
      { pointer: "/addresses/2/street", code: "required", detail: "street is required" },
      { pointer: "/client/type", code: "required", detail: "type is required" },
      { pointer: "/documents/1/id", code: "not_found", detail: "no such document" },
      { pointer: "/addresses/0/externalId", code: "external_id_taken", detail: "taken" },
    ]);
    expect(rejected.summary).toBeUndefined();
  });
});

describe("apiErrorOf", () => {
  const issues = [{ pointer: "/a/0", code: "c", detail: "d" }];

  it("maps each kind to its status and detail, with the issues as errors", () => {
    expect(apiErrorOf(new PlanRejected("invalid", issues))).toMatchObject({ status: 400, code: "BAD_REQUEST", detail: "Request body failed validation", errors: issues });
    expect(apiErrorOf(new PlanRejected("not_found", issues))).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
      detail: "The request names records that do not exist for this client",
      errors: issues,
    });
    expect(apiErrorOf(new PlanRejected("conflict", issues))).toMatchObject({ status: 409, code: "CONFLICT", detail: "The request conflicts with records of other clients", errors: issues });
  });

  it("keeps a rejection's own summary as the detail", () => {
    expect(apiErrorOf(new PlanRejected("not_found", issues, "Client x not found"))).toMatchObject({ status: 404, detail: "Client x not found", errors: issues });
  });
});

// -------------------------------------------------------------------------------------------------
describe("POST /clients/sync answers a refused plan as before", () => {
  const h = createHarness();
  const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });
  const problem = (res: { status: number; body: any }) => ({ status: res.status, code: res.body.code, detail: res.body.detail, errors: res.body.errors });

  /** A tenant with Ana (one address "home") and another client holding the contact externalId `theirs`. */
  async function setUp() {
    const { tenantId, key } = await h.newTenantWithKey();
    const theirs = `theirs-${uniq()}`;
    const other = await sync(key, { client: { type: "company", name: "Other", externalId: `o-${uniq()}` }, contactMethods: [{ value: "o@example.com", externalId: theirs }] });
    expect(other.status, other.text).toBe(200);
    const ana = await sync(key, {
      client: { type: "individual", name: "Ana", externalId: `a-${uniq()}` },
      addresses: [{ street: "Reforma 1", city: "CDMX", state: "CDMX", postalCode: "06600", externalId: "home" }],
    });
    expect(ana.status, ana.text).toBe(200);
    return { tenantId, key, id: ana.body.client.id as string, theirs };
  }

  it("an unknown clientId: 404 'Client … not found', at /clientId alone", async () => {
    const { tenantId, key } = await setUp();
    const before = await dumpTenant(h, tenantId);
    const missing = crypto.randomUUID();
    const res = await sync(key, { clientId: missing, addresses: [{ id: crypto.randomUUID() }] });
    expect(problem(res)).toEqual({
      status: 404,
      code: "NOT_FOUND",
      detail: `Client ${missing} not found`,
      errors: [{ pointer: "/clientId", code: "not_found", detail: `No client ${missing}` }],
    });
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("neither clientId nor client: 400 at /client", async () => {
    const { tenantId, key } = await setUp();
    const before = await dumpTenant(h, tenantId);
    const res = await sync(key, { addresses: [] });
    expect(problem(res)).toEqual({
      status: 400,
      code: "BAD_REQUEST",
      detail: "Request body failed validation",
      errors: [{ pointer: "/client", code: "required", detail: "client is required when clientId is absent" }],
    });
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("an unknown child id: 404; another client's externalId: 409; both with a rule broken: 400 listing all three", async () => {
    const { tenantId, key, id, theirs } = await setUp();
    const before = await dumpTenant(h, tenantId);
    const ghost = crypto.randomUUID();
    const notFound = { pointer: "/documents/0/id", code: "not_found", detail: `No document ${ghost} on this client` };
    const taken = { pointer: "/contactMethods/0/externalId", code: "external_id_taken", detail: `externalId "${theirs}" belongs to a contact method of another client` };

    const unknownChild = await sync(key, { clientId: id, documents: [{ id: ghost }], client: { name: "Changed" } });
    expect(problem(unknownChild)).toEqual({ status: 404, code: "NOT_FOUND", detail: "The request names records that do not exist for this client", errors: [notFound] });

    const conflict = await sync(key, { clientId: id, contactMethods: [{ value: "a@example.com", externalId: theirs }] });
    expect(problem(conflict)).toEqual({ status: 409, code: "CONFLICT", detail: "The request conflicts with records of other clients", errors: [taken] });

    const all = await sync(key, { clientId: id, contactMethods: [{ value: "a@example.com", externalId: theirs }], documents: [{ id: ghost }], addresses: [{ street: "Sur 2" }] });
    expect(problem(all)).toEqual({
      status: 400,
      code: "BAD_REQUEST",
      detail: "Request body failed validation",
      errors: [
        { pointer: "/addresses/0/city", code: "required", detail: "city is required when creating a address" },
        { pointer: "/addresses/0/state", code: "required", detail: "state is required when creating a address" },
        { pointer: "/addresses/0/postalCode", code: "required", detail: "postalCode is required when creating a address" },
        notFound,
        taken,
      ],
    });
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });

  it("a body that fails validation also reports what the planner finds about its valid parts", async () => {
    const { tenantId, key, id } = await setUp();
    const before = await dumpTenant(h, tenantId);
    const ghost = crypto.randomUUID();
    const res = await sync(key, { clientId: id, client: { name: "   " }, documents: [{ id: ghost }] });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe("Request body failed validation");
    expect(res.body.errors.map((e: { pointer: string; code: string }) => `${e.pointer} ${e.code}`)).toEqual(["/client/name custom", "/documents/0/id not_found"]);
    expect(await dumpTenant(h, tenantId)).toEqual(before);
  });
});
