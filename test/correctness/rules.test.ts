// Rules of API.md §4 that a review's mutants showed no test held: the digit bounds of phone
// numbers, the server-owned status of a document, the byte caps of the free-form objects, and
// `age` on the day of the birthday. Each goes through HTTP and checks the database where the
// effect matters (what is stored, and that a refused request stored nothing).
import { describe, expect, it } from "vitest";
import { addresses, clientLinks, clients, contactMethods, documents } from "../../src/db/schema";
import { createHarness } from "../support/harness";
import { countsOf, pointers, uniq } from "../sync/helpers";

const h = createHarness();

const sync = (key: string, body: unknown) => h.post("/clients/sync", body, { key });
const batch = (key: string, body: unknown) => h.post("/clients/batch", body, { key });

/** A tenant with one client (created through the API). */
async function withClient() {
  const { tenantId, key } = await h.newTenantWithKey();
  const res = await sync(key, { client: { type: "individual", name: "Ana", externalId: `ana-${uniq()}` } });
  expect(res.status, res.text).toBe(200);
  return { tenantId, key, id: res.body.client.id as string };
}

/** A 400 whose errors point exactly at `expected` (every pointer, no other). */
function expect400(res: { status: number; text: string; body: any }, expected: string[]) {
  expect(res.status, res.text.slice(0, 400)).toBe(400);
  expect(res.body.code).toBe("BAD_REQUEST");
  expect([...new Set(pointers(res.body))].sort()).toEqual([...expected].sort());
}

// -------------------------------------------------------------------------------------------------
// §4.3: phone, mobile and fax hold 7–15 digits once + spaces . - ( ) are removed
// -------------------------------------------------------------------------------------------------

/** `n` digits spelled with every separator the rule removes. */
function phoneOf(n: number): string {
  const digits = Array.from({ length: n }, (_, i) => String((i + 1) % 10)).join("");
  // +d (dd) d.d-d… : every separator the rule removes, between digits (n ≥ 6).
  return `+${digits[0]} (${digits.slice(1, 3)}) ${digits[3]}.${digits[4]}-${digits.slice(5)}`;
}

describe("phone digit bounds (§4.3)", () => {
  it("the values used below hold exactly the digits they say, with every separator", () => {
    for (const n of [6, 7, 15, 16]) {
      expect(phoneOf(n).replace(/[+\s.\-()]/g, "")).toMatch(new RegExp(`^\\d{${n}}$`));
      expect(phoneOf(n)).toMatch(/^\+\d \(\d\d\) \d\.\d-\d+$/);
    }
  });

  for (const type of ["phone", "mobile", "fax"] as const) {
    it.each([
      [7, true],
      [15, true],
      [6, false],
      [16, false],
    ])(`type ${type} given, %i digits → accepted: %s`, async (n, ok) => {
      const { tenantId, key, id } = await withClient();
      const value = phoneOf(n);
      const res = await sync(key, { clientId: id, contactMethods: [{ type, value }] });
      const stored = await h.rows("test", contactMethods, { tenantId });
      if (ok) {
        expect(res.status, res.text).toBe(200);
        expect(res.body.contactMethods.created).toMatchObject([{ type, value }]);
        expect(stored).toMatchObject([{ type, value, clientId: id }]);
      } else {
        expect400(res, ["/contactMethods/0/value"]);
        expect(stored).toEqual([]);
      }
    });
  }

  it.each([
    [7, true],
    [15, true],
    [6, false],
    [16, false],
  ])("an update to a stored phone of %i digits → ok: %s (the merged row is checked)", async (n, ok) => {
    const { tenantId, key, id } = await withClient();
    const created = await sync(key, { clientId: id, contactMethods: [{ type: "phone", value: phoneOf(10), externalId: "p" }] });
    expect(created.status, created.text).toBe(200);
    const res = await sync(key, { clientId: id, contactMethods: [{ externalId: "p", value: phoneOf(n) }] });
    const [row] = await h.rows("test", contactMethods, { tenantId });
    if (ok) {
      expect(res.status, res.text).toBe(200);
      expect(row!.value).toBe(phoneOf(n));
    } else {
      expect400(res, ["/contactMethods/0/value"]);
      expect(row!.value).toBe(phoneOf(10));
    }
  });

  // Without a type, the value decides it on create: a phone when it has 7–15 digits, else `other`
  // (never a 400: `other` takes any value).
  it.each([
    [6, "other"],
    [7, "phone"],
    [15, "phone"],
    [16, "other"],
  ])("type inferred on create: %i digits → %s", async (n, type) => {
    const { tenantId, key, id } = await withClient();
    const value = phoneOf(n);
    const res = await sync(key, { clientId: id, contactMethods: [{ value }] });
    expect(res.status, res.text).toBe(200);
    expect(res.body.contactMethods.created).toMatchObject([{ type, value }]);
    expect(res.body.client.phone).toBe(type === "phone" ? value : null);
    expect(await h.rows("test", contactMethods, { tenantId })).toMatchObject([{ type, value }]);
  });

  it("type inferred on create when the client is created by the same sync, and inside a batch-created graph's sync", async () => {
    const { tenantId, key } = await h.newTenantWithKey();
    const res = await sync(key, {
      client: { type: "individual", name: "Bo" },
      contactMethods: [{ value: phoneOf(6) }, { value: phoneOf(7) }, { value: phoneOf(15) }, { value: phoneOf(16) }],
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.contactMethods.created.map((c: { type: string }) => c.type)).toEqual(["other", "phone", "phone", "other"]);
    const rows = await h.rows("test", contactMethods, { tenantId });
    expect(new Map(rows.map((r) => [r.value, r.type]))).toEqual(
      new Map([
        [phoneOf(6), "other"],
        [phoneOf(7), "phone"],
        [phoneOf(15), "phone"],
        [phoneOf(16), "other"],
      ]),
    );
  });

  it("a letter among the digits is no phone number, whatever the count", async () => {
    const { tenantId, key, id } = await withClient();
    const res = await sync(key, { clientId: id, contactMethods: [{ type: "phone", value: "+52 55 1234 567x" }] });
    expect400(res, ["/contactMethods/0/value"]);
    expect(await h.rows("test", contactMethods, { tenantId })).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------------
// §4.5: a document's status is the server's; a sync never changes it
// -------------------------------------------------------------------------------------------------

describe("a sync never changes a stored document's status (§4.5)", () => {
  const REVIEWED = {
    status: "verified",
    verifiedAt: "2026-01-02T03:04:05.678Z",
    verifiedBy: "analyst-7",
    rejectionReason: null,
    reviewedAt: "2026-01-02T03:04:05.678Z",
    reviewedBy: "analyst-7",
  };

  /** A client with one document created through the API, then reviewed (straight in D1). */
  async function reviewedDocument() {
    const { tenantId, key, id } = await withClient();
    const created = await sync(key, { clientId: id, documents: [{ type: "ine", externalId: "doc", category: "identity", fields: { a: 1 } }] });
    expect(created.status, created.text).toBe(200);
    const docId = created.body.documents.created[0].id as string;
    expect(created.body.documents.created[0].status).toBe("pending_upload");
    await h
      .binding("test")
      .prepare("UPDATE documents SET status = ?, verified_at = ?, verified_by = ?, reviewed_at = ?, reviewed_by = ? WHERE id = ?")
      .bind(REVIEWED.status, REVIEWED.verifiedAt, REVIEWED.verifiedBy, REVIEWED.reviewedAt, REVIEWED.reviewedBy, docId)
      .run();
    return { tenantId, key, id, docId };
  }

  for (const [how, itemOf] of [
    ["by externalId", (_docId: string) => ({ externalId: "doc" })],
    ["by id", (docId: string) => ({ id: docId })],
  ] as const) {
    it(`updating every other field of the document ${how} keeps its status and review (answer and database)`, async () => {
      const { tenantId, key, id, docId } = await reviewedDocument();
      const res = await sync(key, {
        clientId: id,
        documents: [
          {
            ...itemOf(docId),
            type: "passport",
            category: "tax",
            expiresAt: "2030-01-01",
            metadata: { k: 1 },
            fields: { b: 2 },
            filename: "p.pdf",
            contentType: "application/pdf",
            size: 99,
          },
        ],
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.documents.updated).toHaveLength(1);
      expect(res.body.documents.updated[0]).toMatchObject({ id: docId, type: "passport", size: 99, ...REVIEWED });
      expect(res.body.client.documents).toMatchObject([{ id: docId, type: "passport", ...REVIEWED }]);
      const [row] = await h.rows("test", documents, { tenantId });
      expect(row).toMatchObject({ id: docId, type: "passport", category: "tax", filename: "p.pdf", size: 99, ...REVIEWED });
      expect((await h.get(`/clients/${id}`, { key })).body.documents).toMatchObject([{ id: docId, ...REVIEWED }]);
    });
  }

  it("clearing fields with null, an unchanged item, and replaceMode keeping it: the status stays", async () => {
    const { tenantId, key, id, docId } = await reviewedDocument();
    const cleared = await sync(key, { clientId: id, documents: [{ externalId: "doc", fields: null, category: null }] });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.documents.updated[0]).toMatchObject({ fields: {}, category: null, ...REVIEWED });
    const same = await sync(key, { clientId: id, documents: [{ externalId: "doc" }], replaceMode: true });
    expect(same.status, same.text).toBe(200);
    expect(same.body.documents).toEqual({ created: [], updated: [], deleted: [] });
    expect(same.body.client.documents).toMatchObject([{ id: docId, ...REVIEWED }]);
    const [row] = await h.rows("test", documents, { tenantId });
    expect(row).toMatchObject({ id: docId, fields: {}, ...REVIEWED });
  });

  it("a sync that sends a status is refused and changes nothing", async () => {
    const { tenantId, key, id } = await reviewedDocument();
    const res = await sync(key, { clientId: id, documents: [{ externalId: "doc", status: "pending_upload", filename: "x.pdf" }] });
    expect400(res, ["/documents/0/status"]);
    const [row] = await h.rows("test", documents, { tenantId });
    expect(row).toMatchObject({ filename: null, ...REVIEWED });
  });
});

// -------------------------------------------------------------------------------------------------
// §4: free-form objects are capped in UTF-8 bytes of their serialized JSON
// -------------------------------------------------------------------------------------------------

const KIB = 1024;
const utf8 = (s: string) => new TextEncoder().encode(s).length;

/**
 * A JSON object of exactly `bytes` bytes serialized, padded with two-byte "é" (so that a cap
 * counted in UTF-16 units instead of bytes would let the object through), then one-byte "x".
 */
function objectOf(bytes: number): Record<string, string> {
  const room = bytes - utf8('{"a":""}');
  const wide = Math.floor(room / 2) - 1;
  const value = "é".repeat(wide) + "x".repeat(room - wide * 2);
  const object = { a: value };
  expect(utf8(JSON.stringify(object))).toBe(bytes);
  return object;
}

interface CapCase {
  name: string;
  cap: number;
  /** The body for a free-form object, against a tenant's existing client `id`. */
  body: (object: Record<string, string>, id: string) => unknown;
  endpoint: "batch" | "sync";
  pointer: string;
  /** The stored object, read back from the full client (GET). */
  stored: (client: any) => unknown;
}

const ADDRESS = { street: "S", city: "C", state: "ST", postalCode: "06600" };

const CAPS: CapCase[] = [
  { name: "document fields (64 KiB)", cap: 64 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, documents: [{ type: "ine", fields: o }] }), pointer: "/documents/0/fields", stored: (c) => c.documents[0]?.fields },
  { name: "client scopeData.US (64 KiB), batch", cap: 64 * KIB, endpoint: "batch", body: (o) => ({ items: [{ type: "individual", name: "A", scopeData: { US: o } }] }), pointer: "/items/0/scopeData/US", stored: (c) => c.scopeData.US },
  { name: "client scopeData.US (64 KiB), sync", cap: 64 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, client: { scopeData: { US: o } } }), pointer: "/client/scopeData/US", stored: (c) => c.scopeData.US },
  { name: "linked child scopeData.US (64 KiB)", cap: 64 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, linkedClients: [{ child: { type: "company", name: "Co", scopeData: { US: o } } }] }), pointer: "/linkedClients/0/child/scopeData/US", stored: (c) => c.linkedClients[0]?.client.scopeData.US },
  { name: "address scopeData.US (64 KiB)", cap: 64 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, addresses: [{ ...ADDRESS, scopeData: { US: o } }] }), pointer: "/addresses/0/scopeData/US", stored: (c) => c.addresses[0]?.scopeData.US },
  { name: "client metadata (16 KiB), batch", cap: 16 * KIB, endpoint: "batch", body: (o) => ({ items: [{ type: "individual", name: "A", metadata: o }] }), pointer: "/items/0/metadata", stored: (c) => c.metadata },
  { name: "client metadata (16 KiB), sync", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, client: { metadata: o } }), pointer: "/client/metadata", stored: (c) => c.metadata },
  { name: "address metadata (16 KiB)", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, addresses: [{ ...ADDRESS, metadata: o }] }), pointer: "/addresses/0/metadata", stored: (c) => c.addresses[0]?.metadata },
  { name: "contact method metadata (16 KiB)", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, contactMethods: [{ value: "a@b.co", metadata: o }] }), pointer: "/contactMethods/0/metadata", stored: (c) => c.contactMethods[0]?.metadata },
  { name: "bank account metadata (16 KiB)", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, bankAccounts: [{ accountNumber: "1", bankName: "B", currency: "MXN", metadata: o }] }), pointer: "/bankAccounts/0/metadata", stored: (c) => c.bankAccounts[0]?.metadata },
  { name: "document metadata (16 KiB)", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, documents: [{ type: "ine", metadata: o }] }), pointer: "/documents/0/metadata", stored: (c) => c.documents[0]?.metadata },
  { name: "link metadata (16 KiB)", cap: 16 * KIB, endpoint: "sync", body: (o, id) => ({ clientId: id, linkedClients: [{ child: { type: "company", name: "Co" }, metadata: o }] }), pointer: "/linkedClients/0/metadata", stored: (c) => c.linkedClients[0]?.metadata },
];

describe("byte caps of free-form objects (§4): exactly the cap is stored, one byte more is a 400", () => {
  it.each(CAPS)("$name: exactly the cap → stored as sent", async (c) => {
    const { key, id } = await withClient();
    const object = objectOf(c.cap);
    const res = await (c.endpoint === "batch" ? batch : sync)(key, c.body(object, id));
    expect(res.status, res.text.slice(0, 400)).toBe(200);
    const clientId = c.endpoint === "batch" ? res.body.data[0].id : id;
    const got = await h.get(`/clients/${clientId}`, { key });
    expect(c.stored(got.body)).toEqual(object);
  });

  it.each(CAPS)("$name: the cap + 1 byte → 400 at its pointer, nothing written", async (c) => {
    const { tenantId, key, id } = await withClient();
    const before = await countsOf(h, tenantId);
    const res = await (c.endpoint === "batch" ? batch : sync)(key, c.body(objectOf(c.cap + 1), id));
    expect400(res, [c.pointer]);
    expect(res.stats.rowsWritten).toBe(0);
    expect(await countsOf(h, tenantId)).toEqual(before);
    const [row] = await h.rows("test", clients, { id });
    expect(row!.metadata).toEqual({});
    expect(row!.scopeData).toEqual({});
  });

  it("the caps are per object: a 64 KiB fields and a 16 KiB metadata in one document are both fine", async () => {
    const { tenantId, key, id } = await withClient();
    const res = await sync(key, { clientId: id, documents: [{ type: "ine", fields: objectOf(64 * KIB), metadata: objectOf(16 * KIB) }] });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const [row] = await h.rows("test", documents, { tenantId });
    expect(utf8(JSON.stringify(row!.fields))).toBe(64 * KIB);
    expect(utf8(JSON.stringify(row!.metadata))).toBe(16 * KIB);
    expect(await h.count("test", addresses, tenantId)).toBe(0);
    expect(await h.count("test", clientLinks, tenantId)).toBe(0);
  });
});

// -------------------------------------------------------------------------------------------------
// §4.1: age = whole years from birthDate to today (UTC), the day of the month included
// -------------------------------------------------------------------------------------------------

const DAY = 24 * 60 * 60 * 1000;
/** YYYY-MM-DD of the UTC day `offset` days from today, `years` years earlier. */
function birthDate(years: number, offset: number): string {
  const day = new Date(Date.now() + offset * DAY);
  const date = new Date(Date.UTC(day.getUTCFullYear() - years, day.getUTCMonth(), day.getUTCDate()));
  // Multiples of 4 years keep Feb 29 a real date (1904–2096).
  expect(date.getUTCDate()).toBe(day.getUTCDate());
  return date.toISOString().slice(0, 10);
}

describe("age respects the day of the month (§4.1), relative to today (UTC)", () => {
  // 32 and 20: multiples of 4, so that a birthday on Feb 29 exists in the birth year.
  const CASES: [string, string, number][] = [];
  for (const years of [32, 20]) {
    CASES.push([`born today ${years} years ago`, birthDate(years, 0), years]);
    CASES.push([`birthday tomorrow, ${years} years ago`, birthDate(years, 1), years - 1]);
    CASES.push([`birthday yesterday, ${years} years ago`, birthDate(years, -1), years]);
  }
  // The same month on another day (when this month has one): only the day decides.
  const today = new Date();
  const dayOfMonth = today.getUTCDate();
  const daysInMonth = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 0)).getUTCDate();
  if (dayOfMonth < daysInMonth) CASES.push(["birthday later this month", birthDate(32, daysInMonth - dayOfMonth), 31]);
  if (dayOfMonth > 1) CASES.push(["birthday earlier this month", birthDate(32, 1 - dayOfMonth), 32]);

  it.each(CASES)("%s (%s) → age %i, in the batch answer, GET, the list and a linked client", async (_label, date, age) => {
    const { key } = await h.newTenantWithKey();
    const ext = `b-${uniq()}`;
    const created = await batch(key, { items: [{ type: "individual", name: "A", birthDate: date, externalId: ext }] });
    expect(created.status, created.text).toBe(200);
    expect(created.body.data[0]).toMatchObject({ birthDate: date, age });
    const id = created.body.data[0].id;
    expect((await h.get(`/clients/${id}`, { key })).body).toMatchObject({ birthDate: date, age });
    expect((await h.get(`/clients?externalId=${ext}`, { key })).body.data).toMatchObject([{ age }]);
    const parent = await sync(key, { client: { type: "company", name: "Co" }, linkedClients: [{ clientId: id }] });
    expect(parent.status, parent.text).toBe(200);
    expect(parent.body.client.linkedClients[0].client).toMatchObject({ id, birthDate: date, age });
  });

  it("a sync that sets the birthDate answers the age of the new date", async () => {
    const { key, id } = await withClient();
    const res = await sync(key, { clientId: id, client: { birthDate: birthDate(32, 1) } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.client.age).toBe(31);
  });
});
